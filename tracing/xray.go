package tracing

import (
	"context"
	"encoding/hex"
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
// names a parent segment and is sampled, or when sampled is false, whatever
// its decision. An unsampled header is what Lambda sends when active tracing
// is off and no caller sampled the request: nothing records its segments, so
// by default it is no one's parent; with xray-lambda (see WithPropagator) the
// user chose it as the parent all the same.
func (c *config) lambdaParent(ctx context.Context, sampled bool) (trace.SpanContext, bool) {
	x, ok := parseXRay(c.lambdaTraceHeader(ctx))
	if !ok || !x.parent.IsValid() || x.decision == decisionUnknown {
		return trace.SpanContext{}, false
	}
	sc := x.spanContext()
	if sampled && !sc.IsSampled() {
		return trace.SpanContext{}, false
	}
	return sc, true
}

// decision is an X-Ray header's Sampled field.
type decision uint8

const (
	decisionUnknown decision = iota // missing, or "?": the receiver decides
	decisionSampled                 // "1"
	decisionDropped                 // "0"
)

// xrayContext is an X-Ray trace header, read.
type xrayContext struct {
	trace    trace.TraceID
	parent   trace.SpanID // invalid when the header names none
	decision decision
}

// spanContext returns x as a remote parent; x must have a parent.
func (x xrayContext) spanContext() trace.SpanContext {
	var flags trace.TraceFlags
	if x.decision == decisionSampled {
		flags = trace.FlagsSampled
	}
	return trace.NewSpanContext(trace.SpanContextConfig{TraceID: x.trace, SpanID: x.parent, TraceFlags: flags, Remote: true})
}

// parseXRay reads an X-Ray trace header ("Root=1-5759e988-bd862e3fe1be46a9
// 94272793;Parent=53995c3f42cd8ad8;Sampled=1"), its fields in any order and
// with spaces around them. It needs a valid Root; a Parent that is not 16
// hex digits is no parent, and a Sampled that is neither 0 nor 1 is no
// decision. Other fields (Self, Lineage) are ignored.
func parseXRay(header string) (xrayContext, bool) {
	var x xrayContext
	root := false
	for header != "" {
		var part string
		part, header, _ = strings.Cut(header, ";")
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		switch strings.TrimSpace(k) {
		case "Root":
			x.trace, root = parseXRayRoot(v)
		case "Parent":
			var sid trace.SpanID
			if len(v) == 16 {
				if _, err := hex.Decode(sid[:], []byte(v)); err == nil {
					x.parent = sid
				}
			}
		case "Sampled":
			switch v {
			case "1":
				x.decision = decisionSampled
			case "0":
				x.decision = decisionDropped
			}
		}
	}
	return x, root
}

// parseXRayRoot reads an X-Ray trace id, "1-" then 8 hex digits of time, "-"
// and 24 of randomness, into the W3C trace id of those 32 digits.
func parseXRayRoot(root string) (trace.TraceID, bool) {
	var tid trace.TraceID
	if len(root) != 35 || root[:2] != "1-" || root[10] != '-' {
		return tid, false
	}
	if _, err := hex.Decode(tid[:4], []byte(root[2:10])); err != nil {
		return tid, false
	}
	if _, err := hex.Decode(tid[4:], []byte(root[11:])); err != nil {
		return tid, false
	}
	return tid, tid.IsValid()
}

// xrayPropagator reads and writes the X-Ray header X-Amzn-Trace-Id. It
// writes as contrib's X-Ray propagator does. It reads a header with a parent
// and a decision as that one does, with spaces tolerated; a header that
// lacks either is not a parent (one with no decision would make the span
// unsampled, one with no parent would need a made-up parent span): it is
// kept in the context as a pending trace, which the invocation's span
// joins as a root that the sampler decides on (see NewIDGenerator), linked
// to the parent segment if there is one.
type xrayPropagator struct{}

var _ propagation.TextMapPropagator = xrayPropagator{}

func (xrayPropagator) Inject(ctx context.Context, carrier propagation.TextMapCarrier) {
	xray.Propagator{}.Inject(ctx, carrier)
}

func (xrayPropagator) Extract(ctx context.Context, carrier propagation.TextMapCarrier) context.Context {
	x, ok := parseXRay(carrier.Get(xrayHeader))
	if !ok {
		return ctx
	}
	if x.parent.IsValid() && x.decision != decisionUnknown {
		return trace.ContextWithRemoteSpanContext(ctx, x.spanContext())
	}
	return context.WithValue(ctx, pendingKey{}, x)
}

func (xrayPropagator) Fields() []string { return []string{xrayHeader} }

// pendingKey keys the xrayContext of a header that named a trace to join
// but no parent to take it from.
type pendingKey struct{}

// pendingTrace returns the trace that ctx's extraction left to join.
func pendingTrace(ctx context.Context) (xrayContext, bool) {
	x, ok := ctx.Value(pendingKey{}).(xrayContext)
	return x, ok && x.trace.IsValid()
}

// extract returns ctx with the trace context found in carrier, and whether
// there was a parent, or a pending trace to join.
func (c *config) extract(ctx context.Context, carrier propagation.TextMapCarrier) (context.Context, bool) {
	out := c.propagator.Extract(ctx, carrier)
	if sc := trace.SpanContextFromContext(out); sc.IsValid() {
		return out, true
	}
	_, pending := pendingTrace(out)
	return out, pending
}

// extractLink returns the span context in carrier, for a link: a parent,
// or the parent segment of a header with no decision.
func (c *config) extractLink(carrier propagation.TextMapCarrier) (trace.SpanContext, bool) {
	ctx := c.propagator.Extract(context.Background(), carrier)
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		return sc, true
	}
	if x, ok := pendingTrace(ctx); ok && x.parent.IsValid() {
		return x.spanContext(), true
	}
	return trace.SpanContext{}, false
}
