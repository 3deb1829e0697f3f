// Package taint collects the strings a request carried, so that they can be
// looked for where the next request can see them: a watched variable, the
// environment, a stray file, a later response.
//
// A caller's data is rarely a top-level field of the event. It is in the
// JSON body of an API Gateway, ALB or function URL request, in the body of an
// SQS message that holds an SNS notification whose Message is JSON again, in
// a base64-encoded Kinesis record, in a map key such as an e-mail address.
// Of follows the event into all of these, because a leak detector that only
// sees the envelope reports nothing when a warm start serves one caller's
// job to the next.
package taint

import (
	"strings"
)

// MinLen is the shortest string that counts as request data when looking
// for it: shorter ones ("GET", "2.0", "/", "12") are everywhere and prove
// nothing. Shorter strings are still collected, for scrubbing reports.
const MinLen = 4

// Step is one step of where a string was found in the request.
//
// A Key step is a map key or a JSON object key: its Text came from the
// request and is redacted when printed (see T.Where). Any other step is
// named by the code that reads the event, not by its caller: a struct field
// name ("Body"), an index ("[3]"), a fixed name of a well-known header
// (`["Authorization"]`), or a marker of a decoding in parentheses: "(json)"
// for a string or bytes parsed as JSON, "(base64)" for a decoded body,
// "(credentials)" for the part of an Authorization header after its scheme.
type Step struct {
	Key  bool
	Text string
}

// String renders the step alone with a key redacted to its length, so that
// printing a path by mistake (fmt's %v of a T's From) never prints a key.
func (s Step) String() string {
	if s.Key {
		return "[" + keyLen(s.Text) + "]"
	}
	return s.Text
}

// T is a string taken from the request.
type T struct {
	From  []Step // where in the request; the request id's is [{Text: "request id"}]
	Value string
	// Key says the string is a map or JSON object key itself. Keys are kept
	// for scrubbing reports, never used as evidence: "message" in
	// ?message=hoge is the application's vocabulary, not the caller's data.
	Key bool
}

// Where renders t.From in the style of go-cmp's paths, for example
// .Body.(json)["items"][0]["alice@example.com"] with key = strconv.Quote.
// Each Key step's text is replaced by key(text), which is how a report keeps
// a key the caller sent out of the logs: pass a function that redacts.
// An empty From (the event itself is the string) renders as "".
func (t T) Where(key func(string) string) string {
	var b strings.Builder
	for i, s := range t.From {
		switch {
		case s.Key:
			b.WriteString("[")
			b.WriteString(key(s.Text))
			b.WriteString("]")
		case strings.HasPrefix(s.Text, "["):
			b.WriteString(s.Text)
		case i == 0 && !isIdent(s.Text) && !strings.HasPrefix(s.Text, "("):
			b.WriteString(s.Text) // "request id"
		default:
			b.WriteString(".")
			b.WriteString(s.Text)
		}
	}
	return b.String()
}

// isIdent reports whether s is a Go identifier (ASCII is enough for the
// field names of event types): it is rendered as a field, with a dot.
func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || i > 0 && '0' <= c && c <= '9' || c >= 0x80 {
			continue
		}
		return false
	}
	return true
}

// Find returns the first t of ts, longest first as Of orders them, that s
// contains and that counts as evidence: not a key, and at least MinLen long.
func Find(s string, ts []T) (T, bool) {
	for _, t := range ts {
		if evidence(t) && strings.Contains(s, t.Value) {
			return t, true
		}
	}
	return T{}, false
}

func evidence(t T) bool { return !t.Key && len(t.Value) >= MinLen }

// Secrets returns every string of ts, keys and short ones included, longest
// first: what a report is scrubbed of. A string too short to prove a leak is
// still the caller's, and a report must not print it.
func Secrets(ts []T) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.Value
	}
	return out
}
