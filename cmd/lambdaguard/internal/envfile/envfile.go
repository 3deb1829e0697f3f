// Package envfile reads the environment files lambdaguard run --env-file takes: KEY=VALUE
// lines, as Docker Compose's .env files write them.
//
// The rules, a subset of Compose's (and of the dotenv libraries'):
//
//   - Blank lines and lines whose first non-blank character is # are skipped.
//   - A line is KEY=VALUE, optionally after "export ". KEY is a letter or _, then letters,
//     digits, _ or ., and is never quoted. Blanks around KEY and around an unquoted VALUE
//     are dropped; "KEY=" sets an empty value.
//   - An unquoted VALUE runs to the end of the line, or to a # that follows a blank (an
//     inline comment): "a#b" keeps its #, "a #b" is "a".
//   - 'single quotes' keep everything between them literally.
//   - "double quotes" understand \n, \r, \t, \\ and \"; any other backslash stays as it is.
//   - After a closing quote only blanks and a # comment may follow.
//   - Nothing is interpolated: ${HOME} is those seven characters. A value does not span
//     lines, and a line without = is an error (Docker would take the variable from the
//     caller's environment; the runner gives the function none of its own).
//
// Errors name the file and the line.
package envfile

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
)

// ErrSyntax is wrapped by the errors Parse returns for a malformed line.
var ErrSyntax = errors.New("envfile: malformed line")

// Load reads the file at path.
func Load(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("envfile: %w", err)
	}
	return Parse(path, data)
}

// Parse reads data, the content of the file name, and returns its variables as KEY=VALUE
// entries in the order they appear (a later entry for a KEY overrides an earlier one where
// the environment is built).
func Parse(name string, data []byte) ([]string, error) {
	var env []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSuffix(sc.Text(), "\r")
		if n == 1 {
			line = strings.TrimPrefix(line, "\ufeff")
		}
		kv, ok, err := parseLine(line)
		if err != nil {
			return nil, fmt.Errorf("%w: %s:%d: %v", ErrSyntax, name, n, err)
		}
		if ok {
			env = append(env, kv)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("envfile: %s: %w", name, err)
	}
	return env, nil
}

// parseLine returns the entry a line holds, ok false for a blank or comment line.
func parseLine(line string) (kv string, ok bool, err error) {
	s := strings.TrimLeft(line, " \t")
	if s == "" || s[0] == '#' {
		return "", false, nil
	}
	if rest, found := strings.CutPrefix(s, "export "); found {
		s = strings.TrimLeft(rest, " \t")
	}
	key, raw, found := strings.Cut(s, "=")
	if !found {
		return "", false, errors.New("want KEY=VALUE")
	}
	key = strings.TrimRight(key, " \t")
	if !validKey(key) {
		return "", false, fmt.Errorf("%q is not a variable name (a letter or _, then letters, digits, _ or .)", key)
	}
	value, err := parseValue(strings.TrimLeft(raw, " \t"))
	if err != nil {
		return "", false, fmt.Errorf("%s: %v", key, err)
	}
	if strings.ContainsRune(value, 0) {
		return "", false, fmt.Errorf("%s: the value holds a NUL byte, which no environment can carry", key)
	}
	return key + "=" + value, true, nil
}

func validKey(k string) bool {
	if k == "" {
		return false
	}
	for i, c := range k {
		switch {
		case c == '_', 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case i > 0 && ('0' <= c && c <= '9' || c == '.'):
		default:
			return false
		}
	}
	return true
}

func parseValue(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	switch s[0] {
	case '\'':
		end := strings.IndexByte(s[1:], '\'')
		if end < 0 {
			return "", errors.New("the single quote is not closed on its line")
		}
		return s[1 : 1+end], afterQuote(s[2+end:])
	case '"':
		var b strings.Builder
		for i := 1; i < len(s); i++ {
			c := s[i]
			switch {
			case c == '"':
				return b.String(), afterQuote(s[i+1:])
			case c == '\\' && i+1 < len(s):
				i++
				switch s[i] {
				case 'n':
					b.WriteByte('\n')
				case 'r':
					b.WriteByte('\r')
				case 't':
					b.WriteByte('\t')
				case '\\', '"':
					b.WriteByte(s[i])
				default:
					b.WriteByte('\\')
					b.WriteByte(s[i])
				}
			default:
				b.WriteByte(c)
			}
		}
		return "", errors.New("the double quote is not closed on its line")
	}
	for i := 1; i < len(s); i++ {
		if s[i] == '#' && (s[i-1] == ' ' || s[i-1] == '\t') {
			s = s[:i]
			break
		}
	}
	return strings.TrimRight(s, " \t"), nil
}

// afterQuote checks what follows a closing quote: blanks, then nothing or a comment.
func afterQuote(rest string) error {
	rest = strings.TrimLeft(rest, " \t")
	if rest == "" || rest[0] == '#' {
		return nil
	}
	return fmt.Errorf("unexpected %q after the closing quote", rest)
}
