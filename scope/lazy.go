package scope

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
)

// Lazy is a per-invocation value built on first use: the first Get in a scope
// calls the constructor, later Gets in the same scope return the same value,
// and another invocation builds its own. When the value implements io.Closer
// it is closed when the scope closes, in last-in-first-out order with the
// cleanups registered by OnClose.
//
// A Lazy is declared once, usually as a package-level variable; it holds no
// per-invocation state itself.
type Lazy[T any] struct {
	key  Key[*lazyCell[T]]
	make func(context.Context) (T, error)
}

type lazyCell[T any] struct {
	once sync.Once
	v    T
	err  error
}

// NewLazy returns a Lazy whose values are built by make.
func NewLazy[T any](name string, make func(context.Context) (T, error)) *Lazy[T] {
	return &Lazy[T]{key: NewKey[*lazyCell[T]](name), make: make}
}

// Get returns this invocation's value, building it on the first call. If the
// constructor fails or panics, its error is returned and kept: later calls in
// the same scope return it again rather than retrying. Get returns ErrNoScope
// without a scope and ErrClosed after the scope closed.
func (l *Lazy[T]) Get(ctx context.Context) (T, error) {
	var zero T
	s := From(ctx)
	if s == nil {
		return zero, ErrNoScope
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return zero, ErrClosed
	}
	raw, ok := s.values[l.key.id]
	if !ok {
		raw = &lazyCell[T]{}
		if s.values == nil {
			s.values = make(map[any]any)
		}
		s.values[l.key.id] = raw
	}
	s.mu.Unlock()
	cell := raw.(*lazyCell[T])
	cell.once.Do(func() {
		cell.err = callRecover(func() error {
			v, err := l.make(ctx)
			cell.v = v
			return err
		})
		if cell.err != nil {
			cell.err = fmt.Errorf("scope: building %s: %w", l.key, cell.err)
			return
		}
		if c, ok := any(cell.v).(io.Closer); ok {
			if err := s.OnClose(func(context.Context) error { return c.Close() }); err != nil {
				cell.err = errors.Join(err, c.Close())
				cell.v = zero
			}
		}
	})
	return cell.v, cell.err
}
