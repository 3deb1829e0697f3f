package detect

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/lambdaguard/lambdaguard/internal/snapshot"
	"github.com/lambdaguard/lambdaguard/internal/taint"
)

// redactor turns values into summaries that identify without revealing:
// type, length and a short keyed hash. The key is random per process, so
// the same value gives the same hash in every report of the process, of
// every guard (a value seen in invocation 1 is recognised in invocation 2),
// while a hash in the logs cannot be reversed by trying candidate values.
type redactor struct{ show bool }

var redactKey = sync.OnceValue(func() []byte {
	k := make([]byte, 32)
	_, _ = rand.Read(k)
	return k
})

func hash(s string) string {
	m := hmac.New(sha256.New, redactKey())
	m.Write([]byte(s))
	return hex.EncodeToString(m.Sum(nil)[:4])
}

// text summarises a string value.
func (r redactor) text(kind, s string) string {
	if r.show {
		return fmt.Sprintf("%s %q", kind, s)
	}
	return fmt.Sprintf("%s(len=%d, hash=%s)", kind, len(s), hash(s))
}

// value summarises a snapshot value.
func (r redactor) value(v snapshot.Value) string {
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
	case "struct", "ref", "opaque", "skipped":
		return v.Type
	}
	if r.show {
		return fmt.Sprintf("%s(%s)", v.Type, v.Text)
	}
	return fmt.Sprintf("%s(hash=%s)", v.Type, hash(v.Text))
}

// key summarises a map key: a key is data — a token, an e-mail, a session
// id — whatever its type, often derived from the request in ways a search
// for the request's own strings would miss.
func (r redactor) key(k string) string {
	if r.show {
		return k
	}
	return r.text("key", k)
}

// path renders a snapshot path go-cmp style with its map keys redacted:
// field names and indices stay readable, keys of every type do not.
func (r redactor) path(p snapshot.Path) string {
	return p.Format(func(s snapshot.Seg) string {
		if r.show {
			if s.StringKey {
				return fmt.Sprintf("%q", s.Text)
			}
			return s.Text
		}
		return r.text("key", s.Text)
	})
}

// where renders where in its request a request string was found, keys
// redacted.
func (r redactor) where(t taint.T) string {
	return t.Where(r.key)
}

// scrub replaces the secrets that s carries by their summaries, so that a
// name or a path built from request data does not carry it into the logs.
// A secret of taint.MinLen bytes or more is replaced wherever it occurs; a
// shorter one (a PIN, a two-letter code) only where it stands as a whole
// segment of s, no letter or digit on either side: "pin-739" loses its 739
// and "pin-7-9.txt" its 7-9, "pin7390" keeps its digits. short=false leaves short secrets alone (text of the detector's
// own, where a short segment is more likely a word of ours than data).
// All matches are found in s first and replaced in one pass, so that a
// summary is never scanned again.
func (r redactor) scrub(s string, secrets []string, short bool) string {
	if r.show || s == "" || len(secrets) == 0 {
		return s
	}
	var spans []span
	for _, sec := range secrets {
		if sec == "" {
			continue
		}
		if len(sec) >= taint.MinLen {
			for off := 0; ; {
				i := strings.Index(s[off:], sec)
				if i < 0 {
					break
				}
				spans = append(spans, span{off + i, off + i + len(sec)})
				off += i + 1
			}
			continue
		}
		if short {
			spans = append(spans, standalone(s, sec)...)
		}
	}
	if len(spans) == 0 {
		return s
	}
	for k := range spans {
		spans[k] = wholeSegments(s, spans[k])
	}
	sort.Slice(spans, func(a, b int) bool { return spans[a].i < spans[b].i })
	var b strings.Builder
	at, i := 0, 0
	for i < len(spans) {
		cur := spans[i]
		for i++; i < len(spans) && spans[i].i < cur.j; i++ {
			cur.j = max(cur.j, spans[i].j)
		}
		if cur.i < at {
			cur.i = at
		}
		b.WriteString(s[at:cur.i])
		b.WriteString("<" + r.text("redacted", s[cur.i:cur.j]) + ">")
		at = cur.j
	}
	b.WriteString(s[at:])
	return b.String()
}

// standalone returns where sec occurs in s with no letter or digit right
// before or after it: as a whole segment of s ("739" in "pin-739", "7-9" in
// "pin-7-9.txt", not "739" in "pin7390"). A match must begin and end where
// a character of s does: a byte inside a multi-byte character is not a
// segment (cutting it out would turn the character's other bytes into
// separators, and a neighbour into a segment of its own).
func standalone(s, sec string) []span {
	var starts []bool // starts[k]: a character of s begins at byte k (or k is the end)
	var out []span
	for off := 0; off < len(s); {
		i := strings.Index(s[off:], sec)
		if i < 0 {
			break
		}
		i += off
		j := i + len(sec)
		before, _ := utf8.DecodeLastRuneInString(s[:i])
		after, _ := utf8.DecodeRuneInString(s[j:])
		if (i == 0 || !alnum(before)) && (j == len(s) || !alnum(after)) {
			if starts == nil {
				starts = make([]bool, len(s)+1)
				for k := range s { // an invalid byte is a character of its own
					starts[k] = true
				}
				starts[len(s)] = true
			}
			if starts[i] && starts[j] {
				out = append(out, span{i, j})
			}
		}
		off = i + 1
	}
	return out
}

// wholeSegments widens sp to the edges of the segments it cuts into: a
// secret found in the middle of a word takes the whole word with it, so that
// what is left on either side is never a fragment that reads as a segment
// of its own ("0" of "00", left by a secret that began at its second "0").
func wholeSegments(s string, sp span) span {
	for sp.i > 0 {
		before, n := utf8.DecodeLastRuneInString(s[:sp.i])
		at, _ := utf8.DecodeRuneInString(s[sp.i:])
		if !alnum(before) || !alnum(at) {
			break
		}
		sp.i -= n
	}
	for sp.j < len(s) && sp.j > 0 {
		last, _ := utf8.DecodeLastRuneInString(s[:sp.j])
		after, n := utf8.DecodeRuneInString(s[sp.j:])
		if !alnum(last) || !alnum(after) {
			break
		}
		sp.j += n
	}
	return sp
}

func alnum(c rune) bool {
	return c != utf8.RuneError && (unicode.IsLetter(c) || unicode.IsDigit(c))
}

// span is the byte range [i, j) of a string.
type span struct{ i, j int }
