// Package scope is a stub of lambdaguard's scope.
package scope

import "context"

type Key[T any] struct{ name string }

func NewKey[T any](name string) Key[T] { return Key[T]{name} }

func (k Key[T]) Set(ctx context.Context, v T) error { return nil }

func (k Key[T]) Get(ctx context.Context) (T, bool) { var v T; return v, false }

type Scope struct{}

func From(ctx context.Context) *Scope { return nil }

func (s *Scope) Go(fn func(context.Context) error) {}
