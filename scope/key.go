package scope

import (
	"context"
	"fmt"
)

// Key identifies a value of type T in a scope. Create keys with NewKey, once,
// usually as package-level variables: a Key holds no value itself, only the
// identity under which each invocation stores its own.
type Key[T any] struct {
	id *keyID
}

type keyID struct{ name string }

// NewKey returns a new key. The name is for diagnostics; two keys with the
// same name are still distinct.
func NewKey[T any](name string) Key[T] {
	return Key[T]{id: &keyID{name: name}}
}

// String returns the key's name.
func (k Key[T]) String() string {
	if k.id == nil {
		return "<zero key>"
	}
	return k.id.name
}

// Get returns the value stored under k in the scope carried by ctx. It
// reports false when nothing was stored, when there is no scope, or when the
// scope has been closed.
func (k Key[T]) Get(ctx context.Context) (T, bool) {
	return k.load(From(ctx))
}

// Set stores v under k in the scope carried by ctx, replacing what was there.
// It returns ErrNoScope without a scope and ErrClosed after the scope closed.
func (k Key[T]) Set(ctx context.Context, v T) error {
	return k.store(From(ctx), v)
}

// load is Get for a scope at hand.
func (k Key[T]) load(s *Scope) (T, bool) {
	var zero T
	if s == nil || k.id == nil {
		return zero, false
	}
	s.mu.Lock()
	raw, ok := s.values[k.id]
	s.mu.Unlock()
	if !ok {
		return zero, false
	}
	if raw == nil {
		return zero, true // a nil interface value was stored: it is there
	}
	v, ok := raw.(T)
	return v, ok
}

// store is Set for a scope at hand.
func (k Key[T]) store(s *Scope, v T) error {
	if s == nil {
		return ErrNoScope
	}
	if k.id == nil {
		return fmt.Errorf("scope: store with a zero Key (use NewKey)")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if s.values == nil {
		s.values = make(map[any]any)
	}
	s.values[k.id] = v
	return nil
}
