package vet

import (
	"fmt"
	"go/token"
	"strings"

	"golang.org/x/tools/go/ssa"
)

// maxContexts bounds how many different bindings of its parameters one
// function is analysed under, from one handler.
const maxContexts = 8

// A node is a function reached from a handler, with what its parameters and
// free variables are bound to and the call path that reached it.
type node struct {
	fn     *ssa.Function
	params []*state
	free   []*state
	parent *node
	step   string // how the path shows this call: "save", "go auditLoop"
}

// A finding is one diagnostic: where, what, and the call path from the
// function the walk started at.
type finding struct {
	pos  token.Pos
	msg  string
	path string
}

// checker walks the package's functions from its handlers.
type checker struct {
	g          *graph
	stateOf    func(*ssa.Global) *state // nil for a variable that is not reported
	globalName func(*ssa.Global) string // "cache", or "http.DefaultClient" for another package's
	prefix     string                   // put before each step of a path: "store." in a fact

	// forFact is set when the walk starts at an exported function rather
	// than a handler: a goroutine it can join is left out, for the package
	// may well join it in another of its functions (a Close, a Wait).
	forFact bool
}

// reach walks every function reachable from h, breadth first so that each
// finding shows a shortest call path, and returns the findings.
func (c *checker) reach(h *handler) []finding {
	start := &node{fn: h.fn, params: h.params, free: h.free, step: c.prefix + displayName(h.fn)}
	queue := []*node{start}
	contexts := map[*ssa.Function]int{}
	visited := map[string]bool{}
	reported := map[string]bool{}
	var out []finding
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		key := n.key()
		if visited[key] || contexts[n.fn] >= maxContexts {
			continue
		}
		visited[key] = true
		contexts[n.fn]++

		for _, e := range c.g.effectsOf(n.fn) {
			if !e.pos.IsValid() { // a synthetic wrapper's
				continue
			}
			if e.goroutine && e.joinable && (c.forFact || c.joined(n)) {
				continue
			}
			msg := e.msg
			if e.write {
				st := c.bound(n, e.target)
				if st == nil {
					continue
				}
				msg = e.verb + " " + st.desc
				if p := accessPath(e.target, c.globalName); p != "…" && !strings.Contains(st.desc, " "+p+" ") && !strings.HasSuffix(st.desc, " "+p) {
					msg += " (as " + p + ")"
				}
				msg += ": it keeps its value into the next invocation"
			}
			id := fmt.Sprintf("%d %s", e.pos, msg)
			if reported[id] {
				continue
			}
			reported[id] = true
			path := n.path()
			if e.via != "" {
				path += " → " + e.via
			}
			out = append(out, finding{pos: e.pos, msg: msg, path: path})
		}
		for _, e := range c.g.edgesOf(n.fn) {
			next := &node{fn: e.callee, parent: n, params: make([]*state, len(e.callee.Params)), free: make([]*state, len(e.callee.FreeVars))}
			for i, a := range e.args {
				if a != nil && i < len(next.params) {
					next.params[i] = c.bound(n, a)
				}
			}
			for i, a := range e.free {
				if a != nil && i < len(next.free) {
					next.free[i] = c.bound(n, a)
				}
			}
			next.step = c.prefix + displayName(e.callee)
			if e.goroutine {
				next.step = "go " + next.step
			}
			queue = append(queue, next)
		}
	}
	return out
}

// joined reports whether a goroutine started in n may be joined: n or a
// function on the path that called it, up to the goroutine that runs it,
// waits for something.
func (c *checker) joined(n *node) bool {
	for m := n; m != nil; m = m.parent {
		if c.g.waitsIn(m.fn) {
			return true
		}
		if strings.HasPrefix(m.step, "go ") {
			return false // what called the goroutine does not wait for what it starts
		}
	}
	return false
}

// bound returns the cross-invocation state v reaches in n, or nil.
func (c *checker) bound(n *node, v ssa.Value) *state {
	for _, r := range rootsOf(v) {
		switch {
		case r.global != nil:
			if st := c.stateOf(r.global); st != nil {
				return st
			}
		case r.param >= 0 && r.param < len(n.params):
			if st := n.params[r.param]; st != nil {
				return st
			}
		case r.free >= 0 && r.free < len(n.free):
			if st := n.free[r.free]; st != nil {
				return st
			}
		}
	}
	return nil
}

// key identifies a function under one binding of its parameters.
func (n *node) key() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%p", n.fn)
	for _, s := range n.params {
		fmt.Fprintf(&b, "|%p", s)
	}
	b.WriteString(";")
	for _, s := range n.free {
		fmt.Fprintf(&b, "|%p", s)
	}
	return b.String()
}

// path is the call path from the handler to n: "handle → save → go flush".
// Synthetic wrappers (a method value's, an interface method's) are left out
// when they only pass the call on to a function named the same.
func (n *node) path() string {
	var steps []string
	for m := n; m != nil; m = m.parent {
		if len(steps) > 0 && steps[len(steps)-1] == m.step {
			continue
		}
		steps = append(steps, m.step)
	}
	for i, j := 0, len(steps)-1; i < j; i, j = i+1, j-1 {
		steps[i], steps[j] = steps[j], steps[i]
	}
	return strings.Join(steps, " → ")
}
