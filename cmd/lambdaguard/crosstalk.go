package main

import (
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
	seen []taint.Request // invocations answered so far
}

// check records j's request and returns a finding when res's response
// carries a string of an earlier invocation's request (of any other one
// answered before it, when they ran concurrently) that j's own request does
// not carry. The finding names the first such invocation.
func (c *crosstalk) check(j job, requestID string, response []byte) (report.Finding, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	own := taint.NewRequest(j.n, j.ev.Payload, requestID)
	found := taint.FindCrosstalk(response, own, c.seen)
	c.seen = append(c.seen, own)
	if len(found) == 0 {
		return report.Finding{}, false
	}
	return report.Finding{Kind: "taint", Name: "response", Path: "response", Detail: found[0].Detail()}, true
}
