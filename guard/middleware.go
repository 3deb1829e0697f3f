package guard

import "context"

// Next calls the rest of the chain: the following middleware, and at the end
// the handler.
type Next func(ctx context.Context) (any, error)

// Middleware runs around a guarded handler. event is what the handler is
// given: the typed event for Wrap and Start, the raw payload ([]byte) for
// WrapHandler, the *http.Request for HTTP. A middleware returns what next
// returned (it may observe the result and error, and must not replace the
// result with a value of another type: that becomes an error). A panic of the
// handler passes through middleware; a middleware that recovers it must
// panic again.
type Middleware func(ctx context.Context, event any, next Next) (any, error)

// chain calls the middleware of c around call.
func chain(ctx context.Context, mw []Middleware, event any, call Next) (any, error) {
	switch len(mw) {
	case 0:
		return call(ctx)
	case 1:
		return mw[0](ctx, event, call)
	}
	return mw[0](ctx, event, func(ctx context.Context) (any, error) {
		return chain(ctx, mw[1:], event, call)
	})
}
