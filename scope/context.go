package scope

import (
	"context"
	"errors"
)

// ErrNoScope is returned when a context carries no scope: the code runs
// outside a guarded invocation.
var ErrNoScope = errors.New("scope: no scope in context (is the handler wrapped by guard?)")

type ctxKey struct{}

// NewContext returns a copy of parent that carries s.
func NewContext(parent context.Context, s *Scope) context.Context {
	return context.WithValue(parent, ctxKey{}, s)
}

// From returns the scope carried by ctx, or nil when there is none. Every
// method of a nil *Scope is safe to call: it stores nothing and returns
// ErrNoScope.
func From(ctx context.Context) *Scope {
	s, _ := ctx.Value(ctxKey{}).(*Scope)
	return s
}
