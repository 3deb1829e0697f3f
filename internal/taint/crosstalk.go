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
// text: a []byte event as it is, any other as JSON.
func NewRequest(n int, event any, requestID string) Request {
	raw, ok := event.([]byte)
	if !ok {
		raw, _ = json.Marshal(event)
	}
	return Request{N: n, text: string(raw) + "\x00" + requestID, taints: Of(event, requestID)}
}

// Crosstalk is a response carrying a string of another invocation's
// request: what a warm start serves from a previous caller.
type Crosstalk struct {
	From int // the number of the invocation whose request carried it
	T    T
}

// Detail describes c for a report, the value redacted to its length.
func (c Crosstalk) Detail() string {
	return fmt.Sprintf("carries request data of invocation %d (%s, string(len=%d)): a warm start served a previous caller's value",
		c.From, c.T.From, len(c.T.Value))
}

// FindCrosstalk looks in response, own's response, for the strings of each
// of others, in their order, and returns one Crosstalk per request of
// others that response carries a string of, naming the longest such string.
// A string own's request carries too is not crosstalk: the response may
// echo it from there. Which requests count as others is the caller's: those
// answered before own, or all the others when invocations ran at once.
func FindCrosstalk(response []byte, own Request, others []Request) []Crosstalk {
	resp := string(response)
	var out []Crosstalk
	for _, o := range others {
		for _, t := range o.taints {
			if strings.Contains(resp, t.Value) && !strings.Contains(own.text, t.Value) {
				out = append(out, Crosstalk{From: o.N, T: t})
				break
			}
		}
	}
	return out
}
