package guard

import (
	"context"
	"net/http"
	"time"
)

// SharedHTTPClient declares c as a shared *http.Client: when it has not been
// handed out for longer than after (a freeze longer than the peers' idle
// timeout, most often), Get closes its idle connections first, so that the
// request after a thaw dials afresh instead of writing into a connection the
// peer closed meanwhile (ECONNRESET, or EOF on a request that is not
// retried). Its connections are left out of debug reports, and its idle
// connections are closed at shutdown.
//
// c is copied, not changed: its *http.Transport (http.DefaultTransport when c
// or its Transport is nil) is cloned, with its dial functions wrapped by
// SharedDial. A Transport that wraps another (tracing.NewTransport, or any
// middleware with the methods Unwrap and WithBase) is rebuilt around the
// same treatment of what it wraps, so that its own work (spans, headers) is
// kept and the *http.Transport at the bottom is the clone. A Transport of
// another type is used as it is, and its connections stay in debug reports:
// declare them with SharedDial where it dials.
func SharedHTTPClient(name string, after time.Duration, c *http.Client) *SharedResource[*http.Client] {
	build := func(context.Context) (*http.Client, error) { return sharedHTTPClient(c), nil }
	return NewShared(name, build,
		WithValidate(after, func(_ context.Context, c *http.Client) error {
			c.CloseIdleConnections()
			return nil
		}),
		WithClose(func(_ context.Context, c *http.Client) error {
			c.CloseIdleConnections()
			return nil
		}))
}

// transportWrapper is what SharedHTTPClient needs of a RoundTripper that
// wraps another (instrumentation, retries, signing) to reach the
// *http.Transport under it. Unwrap returns the RoundTripper wrapped;
// WithBase returns a new RoundTripper doing the same work around another
// one, leaving the receiver as it is. The guard names the methods only,
// never the packages that have them: tracing's transport has them, and
// the guard does not import OpenTelemetry.
type transportWrapper interface {
	http.RoundTripper
	Unwrap() http.RoundTripper
	WithBase(base http.RoundTripper) http.RoundTripper
}

// maxTransportDepth bounds how many wrappers sharedTransport goes through: a
// wrapper that, wrongly, unwraps to itself must not make it loop.
const maxTransportDepth = 16

func sharedHTTPClient(c *http.Client) *http.Client {
	var out http.Client
	if c != nil {
		out = *c
	}
	rt := out.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	if shared, ok := sharedTransport(rt, 0); ok {
		rt = shared
	}
	out.Transport = rt
	return &out
}

// sharedTransport returns rt with the *http.Transport at its bottom cloned
// and its dial functions wrapped by SharedDial, every wrapper above it
// rebuilt around the result. It reports false, and rt is to be used as it
// is, when no *http.Transport is reached.
func sharedTransport(rt http.RoundTripper, depth int) (http.RoundTripper, bool) {
	switch t := rt.(type) {
	case *http.Transport:
		t = t.Clone()
		t.DialContext = SharedDial(t.DialContext)
		if t.DialTLSContext != nil {
			t.DialTLSContext = SharedDial(t.DialTLSContext)
		}
		return t, true
	case transportWrapper:
		if depth >= maxTransportDepth {
			return rt, false
		}
		base := t.Unwrap()
		if base == nil {
			return rt, false // what nil stands for is the wrapper's business
		}
		shared, ok := sharedTransport(base, depth+1)
		if !ok {
			return rt, false
		}
		if rebuilt := t.WithBase(shared); rebuilt != nil {
			return rebuilt, true
		}
	}
	return rt, false
}
