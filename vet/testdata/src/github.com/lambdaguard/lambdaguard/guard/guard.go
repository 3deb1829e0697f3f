// Package guard is a stub of lambdaguard's guard with the signatures the
// analyzer recognises; the tests only type-check against it.
package guard

import (
	"context"
	"net/http"
	"os"
	"sync"

	"github.com/aws/aws-lambda-go/lambda"
)

type Option func()

func Start[TIn, TOut any](h func(context.Context, TIn) (TOut, error), opts ...Option) {}

func Wrap[TIn, TOut any](h func(context.Context, TIn) (TOut, error), opts ...Option) func(context.Context, TIn) (TOut, error) {
	return h
}

func WrapHandler(h lambda.Handler, opts ...Option) lambda.Handler { return h }

func HTTP(h http.Handler, opts ...Option) http.Handler { return h }

func TempDir(ctx context.Context) (string, error) { return "", nil }

func TempRoot(ctx context.Context) (*os.Root, error) { return nil, nil }

type WatchOption func()

func Watch(name string, ptr any, opts ...WatchOption) {}

func Ignore(name string, ptr any) {}

func GuardedBy(l sync.Locker) WatchOption { return nil }

type SharedResource[T any] struct{ v T }

func (s *SharedResource[T]) Get(ctx context.Context) (T, error) { return s.v, nil }

func NewShared[T any](name string, build func(context.Context) (T, error)) *SharedResource[T] {
	return &SharedResource[T]{}
}

func SQS(fn func(context.Context, any) error) func(context.Context, any) (any, error) { return nil }
