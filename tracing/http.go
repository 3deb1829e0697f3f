package tracing

import (
	"net/http"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
)

// NewTransport returns base (http.DefaultTransport when nil) wrapped so that
// every request made with a context of the invocation carries its trace
// context (traceparent, and the rest of the configured propagator's
// headers) and gets a CLIENT span of its own, child of the invocation's,
// named by the method ("GET") as the HTTP conventions ask.
// It is otelhttp's transport with this package's provider and propagator.
//
// The RoundTripper returned also has the methods
//
//	Unwrap() http.RoundTripper                     // base
//	WithBase(http.RoundTripper) http.RoundTripper  // the same instrumentation around another base
//	CloseIdleConnections()                         // base's, when it has them
//
// so that code which adapts a client's transport need not know this one:
// guard.SharedHTTPClient rebuilds it around a clone of base whose
// connections debug mode knows to be shared, where otelhttp's transport,
// which gives no access to its base, would keep them reported as leaks; and
// http.Client.CloseIdleConnections, which a shared client calls after a
// long freeze, reaches base's pool.
func NewTransport(base http.RoundTripper, opts ...Option) http.RoundTripper {
	cfg := newConfig(opts)
	o := []otelhttp.Option{otelhttp.WithPropagators(cfg.propagator), otelhttp.WithSpanNameFormatter(clientSpanName)}
	if cfg.provider != nil {
		o = append(o, otelhttp.WithTracerProvider(cfg.provider))
	}
	return newTransport(base, o)
}

// clientSpanName names a CLIENT span as the HTTP conventions do: "{method}",
// "HTTP" for a method they do not know (otelhttp's default is "HTTP GET").
func clientSpanName(_ string, r *http.Request) string {
	if r.Method == "" {
		return http.MethodGet
	}
	if m, known := normalMethod(r.Method); known && m != "" {
		return m
	}
	return "HTTP"
}

// transport is otelhttp's transport around base, remembering both so that
// it can be taken apart and rebuilt.
type transport struct {
	base http.RoundTripper
	opts []otelhttp.Option // never changed once made: shared by rebuilt copies
	otel *otelhttp.Transport
}

func newTransport(base http.RoundTripper, opts []otelhttp.Option) *transport {
	if base == nil {
		base = http.DefaultTransport
	}
	return &transport{base: base, opts: opts, otel: otelhttp.NewTransport(base, opts...)}
}

// RoundTrip makes the request through otelhttp's transport.
func (t *transport) RoundTrip(r *http.Request) (*http.Response, error) {
	return t.otel.RoundTrip(r)
}

// Unwrap returns the transport under the instrumentation.
func (t *transport) Unwrap() http.RoundTripper { return t.base }

// WithBase returns a transport with the same instrumentation (provider,
// propagator) around base instead; t is not changed.
func (t *transport) WithBase(base http.RoundTripper) http.RoundTripper {
	return newTransport(base, t.opts)
}

// CloseIdleConnections closes the idle connections of the transport under
// the instrumentation, which otelhttp's transport does not pass on.
func (t *transport) CloseIdleConnections() {
	if c, ok := t.base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// NewClient returns an http.Client whose transport is NewTransport(nil,
// opts...). Make requests with the handler's context
// (http.NewRequestWithContext) for them to join the invocation's trace.
func NewClient(opts ...Option) *http.Client {
	return &http.Client{Transport: NewTransport(nil, opts...)}
}
