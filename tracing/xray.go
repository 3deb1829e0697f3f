package tracing

import (
	"context"
	"os"
	"strings"

	"go.opentelemetry.io/contrib/propagators/aws/xray"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// lambdaTraceKey is the context key under which aws-lambda-go stores the
// invocation's Lambda-Runtime-Trace-Id header: a plain string, as it uses.
const lambdaTraceKey = "x-amzn-trace-id"

// lambdaTraceHeader returns the X-Ray trace header that Lambda gave this
// invocation. aws-lambda-go puts it in the context; _X_AMZN_TRACE_ID is only
// a fallback (an older runtime client, a test harness) and only when
// invocations do not run concurrently: with AWS_LAMBDA_MAX_CONCURRENCY > 1
// the variable is process-wide and belongs to whichever request set it last.
func (c *config) lambdaTraceHeader(ctx context.Context) string {
	if h, ok := ctx.Value(lambdaTraceKey).(string); ok && h != "" {
		return h
	}
	if c.concurrent {
		return ""
	}
	return os.Getenv("_X_AMZN_TRACE_ID")
}

// lambdaParent returns the span context of Lambda's own trace header, when it
// is valid and sampled. An unsampled header is what Lambda sends when active
// tracing is off and no caller sampled the request: nothing records its
// segments, so it is no one's parent.
func (c *config) lambdaParent(ctx context.Context) (trace.SpanContext, bool) {
	h := c.lambdaTraceHeader(ctx)
	if h == "" {
		return trace.SpanContext{}, false
	}
	sc := trace.SpanContextFromContext(xray.Propagator{}.Extract(context.Background(), Carrier{xrayHeader: h}))
	if !sc.IsValid() || !sc.IsSampled() {
		return trace.SpanContext{}, false
	}
	return sc, true
}

// xrayField returns the value of key in an X-Ray trace header
// ("Root=1-…;Parent=…;Sampled=1"), and whether it is there.
func xrayField(header, key string) (string, bool) {
	for header != "" {
		var part string
		part, header, _ = strings.Cut(header, ";")
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if ok && k == key {
			return v, true
		}
	}
	return "", false
}

// xrayRootOnly reads an X-Ray header that names a trace but no parent
// segment, as an Application Load Balancer sends it ("Root=1-…" alone). The
// X-Ray propagator drops such a header, and the invocation would start a
// trace of its own; instead it joins the trace under a parent span id
// derived from the trace id (the load balancer records no segment, so there
// is no real one). The request is sampled unless the header says Sampled=0.
func xrayRootOnly(header string) (trace.SpanContext, bool) {
	if header == "" {
		return trace.SpanContext{}, false
	}
	if _, ok := xrayField(header, "Parent"); ok {
		return trace.SpanContext{}, false
	}
	root, ok := xrayField(header, "Root")
	if !ok {
		return trace.SpanContext{}, false
	}
	// Parse the root through the propagator, with a placeholder parent.
	probe := Carrier{xrayHeader: "Root=" + root + ";Parent=0000000000000001;Sampled=1"}
	sc := trace.SpanContextFromContext(xray.Propagator{}.Extract(context.Background(), probe))
	if !sc.IsValid() {
		return trace.SpanContext{}, false
	}
	tid := sc.TraceID()
	sid := rootOnlySpanID(tid)
	flags := trace.FlagsSampled
	if s, _ := xrayField(header, "Sampled"); s == "0" {
		flags = 0
	}
	return trace.NewSpanContext(trace.SpanContextConfig{
		TraceID:    tid,
		SpanID:     sid,
		TraceFlags: flags,
		Remote:     true,
	}), true
}

// rootOnlySpanID is the parent span id a root-only X-Ray header gets: made
// up from the trace id, the same for every request of that trace.
func rootOnlySpanID(tid trace.TraceID) trace.SpanID {
	var sid trace.SpanID
	copy(sid[:], tid[8:])
	if !sid.IsValid() {
		sid[7] = 1
	}
	return sid
}

// madeUp reports whether sc is the parent a root-only header produced.
func madeUp(sc trace.SpanContext) bool {
	return sc.SpanID() == rootOnlySpanID(sc.TraceID())
}

// extract returns ctx with the trace context found in carrier, and whether
// there was one.
func (c *config) extract(ctx context.Context, carrier propagation.TextMapCarrier) (context.Context, bool) {
	out := c.propagator.Extract(ctx, carrier)
	if sc := trace.SpanContextFromContext(out); sc.IsValid() {
		return out, true
	}
	if sc, ok := xrayRootOnly(carrier.Get(xrayHeader)); ok {
		return trace.ContextWithRemoteSpanContext(out, sc), true
	}
	return out, false
}

// extractLink returns the span context in carrier, for a link.
func (c *config) extractLink(carrier propagation.TextMapCarrier) (trace.SpanContext, bool) {
	ctx, ok := c.extract(context.Background(), carrier)
	if !ok {
		return trace.SpanContext{}, false
	}
	return trace.SpanContextFromContext(ctx), true
}
