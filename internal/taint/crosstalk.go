package taint

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Request is one invocation's request, as the crosstalk check needs it:
// its number, the strings it carried, and its whole text, for telling a
// string it shares with another request from one it was served.
type Request struct {
	N      int // the invocation's number, from 1
	text   string
	taints []T
}

// NewRequest takes the strings of an invocation's event (see Of) and its
// text: a []byte event as it is, any other as JSON, and every string Of
// found in it. The decoded strings matter: a response may echo what the
// request carried inside a base64 or JSON body, and that is the request's
// own, not crosstalk.
func NewRequest(n int, event any, requestID string) Request {
	var raw []byte
	switch ev := event.(type) {
	case []byte:
		raw = ev
	case json.RawMessage:
		raw = ev
	default:
		raw, _ = json.Marshal(event)
	}
	taints := Of(event, requestID)
	var b strings.Builder
	b.Write(raw)
	b.WriteString("\x00")
	b.WriteString(requestID)
	for _, t := range taints {
		b.WriteString("\x00")
		b.WriteString(t.Value)
	}
	return Request{N: n, text: b.String(), taints: taints}
}

// Crosstalk is a response carrying a string of another invocation's
// request: what a warm start serves from a previous caller.
type Crosstalk struct {
	From int // the number of the invocation whose request carried it
	T    T
}

// Detail describes c for a report without any request data: the value is
// redacted to its length, and so is every key on its path, since a key the
// caller sent (an e-mail address in a JSON body) is the caller's data too.
func (c Crosstalk) Detail() string {
	where := c.T.Where(keyLen)
	if where == "" {
		where = "the event"
	}
	return fmt.Sprintf("carries request data of invocation %d (%s, string(len=%d)): a warm start served a previous caller's value",
		c.From, where, len(c.T.Value))
}

// FindCrosstalk looks in response, own's response, for the strings of each
// of others, in their order, and returns one Crosstalk per request of
// others that response carries a string of, naming the longest such string.
// A string own's request carries too is not crosstalk: the response may
// echo it from there. Which requests count as others is the caller's: those
// answered before own, or all the others when invocations ran at once.
//
// The response is searched as it is and in the strings it holds decoded (a
// body that is JSON in a string, base64, JSON escapes such as \u0026 for
// the & of a URL), which is how a previous caller's value comes back in an
// API Gateway response.
func FindCrosstalk(response []byte, own Request, others []Request) []Crosstalk {
	if len(others) == 0 {
		return nil
	}
	var b strings.Builder
	b.Write(response)
	for _, t := range Of(response, "") {
		b.WriteString("\x00")
		b.WriteString(t.Value)
	}
	resp := b.String()
	var out []Crosstalk
	for _, o := range others {
		for _, t := range o.taints {
			if evidence(t) && strings.Contains(resp, t.Value) && !strings.Contains(own.text, t.Value) {
				out = append(out, Crosstalk{From: o.N, T: t})
				break
			}
		}
	}
	return out
}
