package tracing

import (
	"os"
	"strconv"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// Option configures tracing. Options are resolved once, into a config, when
// WithTracing, Middleware, NewTransport or NewCarrier is called.
type Option interface {
	apply(*config)
}

// optionFunc is an Option that is a function.
type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	provider     trace.TracerProvider // nil: the global provider
	propagator   propagation.TextMapPropagator
	flushTimeout time.Duration

	// Facts of the execution environment, read from its variables once.
	functionName    string
	functionVersion string
	onDemand        bool // AWS_LAMBDA_INITIALIZATION_TYPE is on-demand (or unset)
	concurrent      bool // AWS_LAMBDA_MAX_CONCURRENCY > 1: _X_AMZN_TRACE_ID is not ours
	// lambdaFirst: OTEL_PROPAGATORS named xray-lambda, Lambda's own X-Ray
	// context is the parent over the event's.
	lambdaFirst bool
}

// defaultFlushTimeout bounds the flush after each invocation when the
// invocation's deadline is further away than that.
const defaultFlushTimeout = 2 * time.Second

// DefaultPropagator is the propagator used unless WithPropagator is given or
// OTEL_PROPAGATORS is set: W3C trace context and baggage, and the AWS X-Ray
// header (X-Amzn-Trace-Id). When a carrier holds both, the W3C trace context
// wins. The X-Ray header is written as contrib's X-Ray propagator writes it,
// and read with spaces tolerated; one that names no parent segment or no
// sampling decision is joined as NewIDGenerator says.
func DefaultPropagator() propagation.TextMapPropagator {
	return propagation.NewCompositeTextMapPropagator(xrayPropagator{}, propagation.TraceContext{}, propagation.Baggage{})
}

func newConfig(opts []Option) *config {
	c := &config{
		flushTimeout:    defaultFlushTimeout,
		functionName:    os.Getenv("AWS_LAMBDA_FUNCTION_NAME"),
		functionVersion: os.Getenv("AWS_LAMBDA_FUNCTION_VERSION"),
	}
	switch os.Getenv("AWS_LAMBDA_INITIALIZATION_TYPE") {
	case "", "on-demand":
		c.onDemand = true
	}
	if n, err := strconv.Atoi(os.Getenv("AWS_LAMBDA_MAX_CONCURRENCY")); err == nil && n > 1 {
		c.concurrent = true
	}
	for _, o := range opts {
		if o != nil {
			o.apply(c)
		}
	}
	if c.propagator == nil {
		p, lambdaFirst, err := envPropagators(os.Getenv("OTEL_PROPAGATORS"))
		if err != nil {
			otel.Handle(err)
		}
		c.propagator, c.lambdaFirst = p, lambdaFirst
	}
	if c.propagator == nil {
		c.propagator = DefaultPropagator()
	}
	return c
}

// tracerProvider returns the configured provider, or the global one as it is
// now (a provider set with otel.SetTracerProvider after wrapping is used).
func (c *config) tracerProvider() trace.TracerProvider {
	if c.provider != nil {
		return c.provider
	}
	return otel.GetTracerProvider()
}

// WithTracerProvider sets the provider of the tracer. The default is the
// global provider (otel.GetTracerProvider), including one set after the
// handler was wrapped.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return optionFunc(func(c *config) { c.provider = tp })
}

// WithPropagator sets the propagator that reads the caller's trace context
// from events and writes it into outgoing requests and messages. Without it,
// OTEL_PROPAGATORS chooses (tracecontext, baggage, b3, b3multi, jaeger,
// ottrace, xray, xray-lambda, none; xray-lambda makes Lambda's own X-Ray
// context the parent of the invocation's span, and the event's a link); without
// that, DefaultPropagator. Not the global propagator: the global one
// propagates nothing unless it was set, and a function that drops its
// callers' traces by default is what this package exists to avoid.
func WithPropagator(p propagation.TextMapPropagator) Option {
	return optionFunc(func(c *config) { c.propagator = p })
}

// WithFlushTimeout bounds the flush of the TracerProvider after each
// invocation; it is bounded by the invocation's deadline too. The default is
// 2s. Zero or less turns the flush off, for a provider that exports
// synchronously or an environment that is never frozen.
func WithFlushTimeout(d time.Duration) Option {
	return optionFunc(func(c *config) { c.flushTimeout = d })
}

// WithFunctionName sets the span name of non-messaging triggers (faas.name
// is the resource's: see Resource). The default is AWS_LAMBDA_FUNCTION_NAME.
func WithFunctionName(name string) Option {
	return optionFunc(func(c *config) { c.functionName = name })
}

// TracerProvider returns the provider that opts resolve to: the one
// WithTracerProvider gave, else the global provider as it is now. It is for
// integrations built on this package's options (tracing/awssdk).
func TracerProvider(opts ...Option) trace.TracerProvider {
	return newConfig(opts).tracerProvider()
}

// Propagator returns the propagator that opts resolve to: the one
// WithPropagator gave, else OTEL_PROPAGATORS's, else DefaultPropagator.
func Propagator(opts ...Option) propagation.TextMapPropagator {
	return newConfig(opts).propagator
}
