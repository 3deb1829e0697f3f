package generic

import (
	"context"

	"github.com/lambdaguard/lambdaguard/guard"
)

var last any

func handle[T any](ctx context.Context, v T) (T, error) {
	last = v // want `write to package-level variable last: .* \(handler handle: handle\)`
	return v, nil
}

type box[T any] struct{ n int }

func (b *box[T]) handle(ctx context.Context, v T) (T, error) {
	b.n++ // want `write to the receiver of handler \(\*box\).handle \(as b.n\)`
	return v, nil
}

func Main() {
	guard.Start(handle[string])
	b := &box[int]{}
	guard.Start(b.handle)
}
