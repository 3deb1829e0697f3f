package runtimeapi

import (
	"bytes"
	"sync"
)

// Line is one line the function wrote, without its newline.
type Line struct {
	Stream string // "stdout" or "stderr"
	Text   string
	PID    int
}

// lineWriter splits what a process writes into lines for emit. exec.Cmd copies each pipe
// from its own goroutine, so emit must be safe for concurrent use.
type lineWriter struct {
	stream string
	pid    func() int
	emit   func(Line)

	mu  sync.Mutex
	buf []byte
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		w.emit(Line{Stream: w.stream, Text: string(w.buf[:i]), PID: w.pid()})
		w.buf = w.buf[i+1:]
	}
	if len(w.buf) == 0 {
		w.buf = nil // let a large line's buffer go
	}
	return len(p), nil
}

// flush emits an unterminated last line.
func (w *lineWriter) flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.buf) > 0 {
		w.emit(Line{Stream: w.stream, Text: string(w.buf), PID: w.pid()})
		w.buf = nil
	}
}
