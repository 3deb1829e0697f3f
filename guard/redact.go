package guard

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
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
