package guard

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/lambdaguard/lambdaguard/internal/snapshot"
)

// redactor turns values into summaries that identify without revealing:
// type, length and a short keyed hash. The key is random per guard, so the
// same value gives the same hash across the reports of one process (a value
// seen in invocation 1 can be recognised in invocation 2) while a hash in the
// logs cannot be reversed by trying candidate values.
type redactor struct {
	key  []byte
	show bool
}

func newRedactor(show bool) *redactor {
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	return &redactor{key: key, show: show}
}

func (r *redactor) hash(s string) string {
	m := hmac.New(sha256.New, r.key)
	m.Write([]byte(s))
	return hex.EncodeToString(m.Sum(nil)[:4])
}

// text summarises a string value.
func (r *redactor) text(kind, s string) string {
	if r.show {
		return fmt.Sprintf("%s %q", kind, s)
	}
	return fmt.Sprintf("%s(len=%d, hash=%s)", kind, len(s), r.hash(s))
}

// value summarises a snapshot value.
func (r *redactor) value(v snapshot.Value) string {
	if !v.Valid {
		return "(absent)"
	}
	switch v.Kind {
	case "string", "bytes":
		return r.text(v.Type, v.Text)
	case "nil":
		return v.Type + "(nil)"
	case "map", "slice", "array":
		return fmt.Sprintf("%s(len=%d)", v.Type, v.Length)
	case "struct", "ref", "truncated", "opaque":
		return v.Type + v.Text
	}
	if r.show {
		return fmt.Sprintf("%s(%s)", v.Type, v.Text)
	}
	return fmt.Sprintf("%s(hash=%s)", v.Type, r.hash(v.Text))
}

// path redacts the map keys of a go-cmp style path: cache["s3cr3t"] becomes
// cache[key(len=6, hash=…)]. A key is data — a token, an e-mail, a session
// id — often derived from the request in ways a search for the request's
// own strings would miss. Field names and numeric indices stay readable.
func (r *redactor) path(p string) string {
	if r.show || !strings.Contains(p, "[") {
		return p
	}
	var b strings.Builder
	for len(p) > 0 {
		i := strings.IndexByte(p, '[')
		if i < 0 {
			b.WriteString(p)
			break
		}
		b.WriteString(p[:i+1])
		p = p[i+1:]
		if strings.HasPrefix(p, `"`) {
			// A quoted key: find its closing quote, escapes included.
			if q, err := strconv.QuotedPrefix(p); err == nil && strings.HasPrefix(p[len(q):], "]") {
				raw, _ := strconv.Unquote(q)
				b.WriteString(r.text("key", raw))
				p = p[len(q):]
				continue
			}
		}
		j := strings.IndexByte(p, ']')
		if j < 0 {
			b.WriteString(p)
			break
		}
		if key := p[:j]; !isIndex(key) {
			b.WriteString(r.text("key", key))
		} else {
			b.WriteString(key)
		}
		p = p[j:]
	}
	return b.String()
}

func isIndex(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// scrub replaces every occurrence of the secrets in s with its summary, so
// that a path or a file name that carries request data does not carry it
// into the logs.
func (r *redactor) scrub(s string, secrets []string) string {
	if r.show {
		return s
	}
	for _, sec := range secrets {
		if sec != "" && strings.Contains(s, sec) {
			s = strings.ReplaceAll(s, sec, "<"+r.text("redacted", sec)+">")
		}
	}
	return s
}
