package scope

import (
	"context"
	"errors"
	"fmt"
)

// ErrNoScope is returned when a context carries no scope: the code runs
// outside a guarded invocation.
var ErrNoScope = errors.New("scope: no scope in context (is the handler wrapped by guard?)")

type ctxKey struct{}

// NewContext returns a copy of parent that carries s.
func NewContext(parent context.Context, s *Scope) context.Context {
	if s != nil {
		s.mu.Lock()
		first := !s.nodeUsed
		if first {
			// The first context of a scope lives in the scope: the guard
			// makes one per invocation, and this is one allocation fewer.
			// Written under the lock: Go reads it to derive its context.
			s.node = scopeCtx{Context: parent, s: s}
			s.nodeUsed = true
		}
		s.mu.Unlock()
		if first {
			return &s.node
		}
	}
	return context.WithValue(parent, ctxKey{}, s)
}

// scopeCtx is context.WithValue(parent, ctxKey{}, s) without an allocation
// of its own.
type scopeCtx struct {
	context.Context
	s *Scope
}

func (c *scopeCtx) Value(key any) any {
	if _, ok := key.(ctxKey); ok {
		return c.s
	}
	return c.Context.Value(key)
}

func (c *scopeCtx) String() string { return fmt.Sprintf("%v.WithValue(scope)", c.Context) }

// From returns the scope carried by ctx, or nil when there is none. Every
// method of a nil *Scope is safe to call: it stores nothing and returns
// ErrNoScope.
func From(ctx context.Context) *Scope {
	s, _ := ctx.Value(ctxKey{}).(*Scope)
	return s
}
