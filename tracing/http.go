package tracing

import (
	"net/http"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
)

// NewTransport returns base (http.DefaultTransport when nil) wrapped so that
// every request made with a context of the invocation carries its trace
// context (traceparent, and the rest of the configured propagator's
// headers) and gets a CLIENT span of its own, child of the invocation's.
// It is otelhttp's transport with this package's provider and propagator.
func NewTransport(base http.RoundTripper, opts ...Option) http.RoundTripper {
	cfg := newConfig(opts)
	if base == nil {
		base = http.DefaultTransport
	}
	o := []otelhttp.Option{otelhttp.WithPropagators(cfg.propagator)}
	if cfg.provider != nil {
		o = append(o, otelhttp.WithTracerProvider(cfg.provider))
	}
	return otelhttp.NewTransport(base, o...)
}

// NewClient returns an http.Client whose transport is NewTransport(nil,
// opts...). Make requests with the handler's context
// (http.NewRequestWithContext) for them to join the invocation's trace.
func NewClient(opts ...Option) *http.Client {
	return &http.Client{Transport: NewTransport(nil, opts...)}
}
