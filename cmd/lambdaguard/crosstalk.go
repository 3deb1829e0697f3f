package main

import (
	"fmt"
	"strings"
	"sync"

	"github.com/lambdaguard/lambdaguard/cmd/lambdaguard/internal/report"
	"github.com/lambdaguard/lambdaguard/internal/taint"
)

// crosstalk looks in each response for data of another invocation's
// request: what a warm start serves from a previous caller. The guard inside
// the function cannot see this; the runner, which sends every request and
// receives every response, can.
type crosstalk struct {
	mu   sync.Mutex
	seen []sent // invocations answered so far
}

type sent struct {
	n      int
	taints []taint.T
}

// check records j's request and returns a finding when res's response
// carries a string of an earlier invocation's request (of any other one
// answered before it, when they ran concurrently) that j's own request does
// not carry.
func (c *crosstalk) check(j job, requestID string, response []byte) (report.Finding, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	own := string(j.ev.Payload) + "\x00" + requestID
	resp := string(response)
	var found *report.Finding
	for _, s := range c.seen {
		if found != nil {
			break
		}
		for _, t := range s.taints {
			if strings.Contains(resp, t.Value) && !strings.Contains(own, t.Value) {
				found = &report.Finding{
					Kind: "taint",
					Name: "response",
					Path: "response",
					Detail: fmt.Sprintf("carries request data of invocation %d (%s, string(len=%d)): a warm start served a previous caller's value",
						s.n, t.From, len(t.Value)),
				}
				break
			}
		}
	}
	c.seen = append(c.seen, sent{n: j.n, taints: taint.Of(j.ev.Payload, requestID)})
	if found == nil {
		return report.Finding{}, false
	}
	return *found, true
}
