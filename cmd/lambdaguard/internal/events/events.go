// Package events loads the events cmd/lambdaguard sends: a file holding one JSON document
// or JSON lines (several documents, one after another), standard input, or the built-in
// samples. Errors name the file, the line and the column, and say what is wrong.
package events

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
)

// Event is one invocation's payload and where it came from.
type Event struct {
	Source  string // "events.jsonl:3", "sample apigw-v2 #1"
	Payload []byte
}

// ErrNoEvents is returned for input that holds no JSON document.
var ErrNoEvents = errors.New("events: no events")

// Load reads events from the file at path, or from stdin when path is "-".
func Load(path string, stdin io.Reader) ([]Event, error) {
	name := path
	var data []byte
	var err error
	if path == "-" {
		name = "stdin"
		data, err = io.ReadAll(stdin)
	} else {
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("events: %w", err)
	}
	return Parse(name, data)
}

// Parse reads the JSON documents in data, one event each: a single document (pretty-printed
// or not) or JSON lines. name is used in sources and errors.
func Parse(name string, data []byte) ([]Event, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	var out []Event
	for {
		start := skipSpace(data, int(dec.InputOffset()))
		var raw json.RawMessage
		err := dec.Decode(&raw)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, syntaxError(name, data, start, err)
		}
		line, _ := position(data, start)
		out = append(out, Event{Source: fmt.Sprintf("%s:%d", name, line), Payload: raw})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w in %s: expected a JSON document, or one per line", ErrNoEvents, name)
	}
	return out, nil
}

// syntaxError says where in the file the decoder stopped and why.
func syntaxError(name string, data []byte, start int, err error) error {
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		line, col := position(data, int(se.Offset)-1)
		return fmt.Errorf("events: %s:%d:%d: malformed JSON: %v", name, line, col, se)
	case errors.Is(err, io.ErrUnexpectedEOF):
		line, col := position(data, start)
		return fmt.Errorf("events: %s:%d:%d: malformed JSON: the document that starts here is cut short (unexpected end of file)", name, line, col)
	default:
		line, col := position(data, start)
		return fmt.Errorf("events: %s:%d:%d: %w", name, line, col, err)
	}
}

// position turns a byte offset into a 1-based line and column.
func position(data []byte, off int) (line, col int) {
	off = min(max(off, 0), len(data))
	line = 1 + bytes.Count(data[:off], []byte("\n"))
	return line, off - bytes.LastIndexByte(data[:off], '\n')
}

func skipSpace(data []byte, off int) int {
	for off < len(data) {
		switch data[off] {
		case ' ', '\t', '\r', '\n':
			off++
		default:
			return off
		}
	}
	return off
}
