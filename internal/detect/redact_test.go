package detect

import (
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/assert"
)

func TestScrub(t *testing.T) {
	r := redactor{}
	secrets := []string{"alice@example.com", "tok_live_ALICE_0123456789", "739", "ab"}
	for _, tc := range []struct{ in, gone, kept string }{
		{"alice@example.com-tok_live_ALICE_0123456789.part", "alice@example.com", ".part"},
		{"alice@example.com-tok_live_ALICE_0123456789.part", "tok_live_ALICE", "-"},
		{"pin-739", "739", "pin-"},
		{"pin7390", "", "pin7390"}, // 739 is not a segment of it
		{"x-ab-y", "-ab-", "x-"},
	} {
		got := r.scrub(tc.in, secrets, true)
		if tc.gone != "" {
			assert.NotContains(t, got, tc.gone, tc.in)
		}
		assert.Contains(t, got, tc.kept, tc.in)
	}
	assert.Equal(t, "fd 739", r.scrub("fd 739", secrets, false), "short secrets are left in the detector's own text")
	assert.Equal(t, "pin-739", redactor{show: true}.scrub("pin-739", secrets, true))
}

func TestScrubOverlapping(t *testing.T) {
	r := redactor{}
	got := r.scrub("abcdefgh", []string{"abcdef", "defgh"}, true)
	assert.NotContains(t, got, "abc")
	assert.NotContains(t, got, "fgh")
	assert.Equal(t, 1, strings.Count(got, "<redacted"), got)
}

// FuzzScrub: whatever the secrets and the text, a scrubbed text holds no
// secret of MinLen bytes or more, and no shorter one as a whole segment.
func FuzzScrub(f *testing.F) {
	f.Add("alice@example.com-tok.part", "alice@example.com", "tok")
	f.Add("pin-739", "739", "pin")
	f.Add("aaaa", "aa", "aaa")
	f.Fuzz(func(t *testing.T, s, a, b string) {
		got := redactor{}.scrub(s, []string{a, b}, true)
		for _, sec := range []string{a, b} {
			if sec == "" || strings.Contains(redactionText(sec), sec) {
				continue // the summary itself spells it ("len", a hex digit)
			}
			// What scrub left between its summaries, piece by piece: a
			// secret would have to lie within one of them.
			for _, piece := range unscrubbed(got) {
				if len(sec) >= 4 {
					if strings.Contains(piece, sec) {
						t.Fatalf("scrub(%q) = %q still holds %q", s, got, sec)
					}
					continue
				}
				if !isSegment(sec) {
					continue
				}
				for _, seg := range segmentsOf(piece) {
					if seg == sec {
						t.Fatalf("scrub(%q) = %q still holds segment %q", s, got, sec)
					}
				}
			}
		}
	})
}

func redactionText(s string) string { return redactor{}.text("redacted", s) }

// unscrubbed returns the parts of s that scrub left as they were: what lies
// between the summaries it put in.
func unscrubbed(s string) []string {
	var out []string
	for {
		i := strings.Index(s, "<redacted(")
		if i < 0 {
			return append(out, s)
		}
		j := strings.Index(s[i:], ")>")
		if j < 0 {
			return append(out, s)
		}
		out = append(out, s[:i])
		s = s[i+j+2:]
	}
}

func isSegment(s string) bool {
	for _, c := range s {
		if !unicode.IsLetter(c) && !unicode.IsDigit(c) {
			return false
		}
	}
	return true
}

func segmentsOf(s string) []string {
	return strings.FieldsFunc(s, func(c rune) bool { return !unicode.IsLetter(c) && !unicode.IsDigit(c) })
}

func TestScrubShortWithPunctuation(t *testing.T) {
	r := redactor{}
	for _, tc := range []struct{ in, sec string }{{"pin-7-9.txt", "7-9"}, {"PIN_a.b", "a.b"}, {"pin-x_y.txt", "x_y"}} {
		assert.NotContains(t, r.scrub(tc.in, []string{tc.sec}, true), tc.sec, tc.in)
	}
	assert.Equal(t, "pin17-90", r.scrub("pin17-90", []string{"7-9"}, true), "not a whole segment")
}
