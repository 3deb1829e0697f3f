package tracing

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/lambdaguard/lambdaguard/guard"
)

// instrumentationName names the tracer, as the OpenTelemetry conventions ask.
const instrumentationName = "github.com/lambdaguard/lambdaguard/tracing"

// WithTracing returns a guard option that traces every invocation of the
// guarded handler and every record of a batch helper (guard.SQS, Kinesis,
// DynamoDB). Per invocation it:
//
//   - starts the invocation's span, its name, kind and attributes read from
//     the event as the package documentation says (the environment's own
//     attributes belong on the provider's resource);
//   - takes the parent from the event, else from the Lambda X-Ray trace
//     header; for a batch it links the span to every message's producer;
//   - records an error returned by the handler, a 5xx status of an HTTP
//     trigger, or a panic (as an exception event with its stack, and error
//     status) — the panic goes on to the guard;
//   - gives each record of a batch helper a "process" span (StartProcess for
//     an SQS message), linked to the record's producer, that records its
//     error or panic;
//   - flushes the TracerProvider through the guard's flush hook
//     (guard.WithFlush), after the handler's background work and cleanups,
//     before the result goes back, bounded by WithFlushTimeout and the
//     invocation's deadline.
//
// When the execution environment shuts down (guard.Start), the
// TracerProvider is shut down, which exports what is left.
func WithTracing(opts ...Option) guard.Option {
	t := newTracer(opts)
	return guard.Options(
		guard.WithMiddleware(t.middleware),
		guard.WithRecordMiddleware(t.record),
		guard.WithFlush(t.flushAtDeadline),
		guard.WithShutdown(t.shutdown))
}

type tracer struct {
	cfg    *config
	tracer trace.Tracer
	// arn caches arnAttributes for the last ARN seen.
	arn atomic.Pointer[arnAttrs]
}

func newTracer(opts []Option) *tracer {
	cfg := newConfig(opts)
	return &tracer{
		cfg: cfg,
		tracer: cfg.tracerProvider().Tracer(instrumentationName,
			trace.WithInstrumentationVersion(version),
			trace.WithSchemaURL(semconv.SchemaURL)),
	}
}

// version is the version of this instrumentation, given to the tracer.
const version = "0.1.0"

func (t *tracer) middleware(ctx context.Context, event any, next guard.Next) (res any, err error) {
	inv, _ := guard.InvocationFrom(ctx) // always there: WithTracing runs it as the guard's middleware
	cold := inv.ColdStart && t.cfg.onDemand
	src := classify(event)
	pctx, links := t.parent(ctx, &src)

	name := src.name
	if name == "" {
		name = t.cfg.functionName
	}
	if name == "" {
		name = "lambda"
	}
	arn := t.arnAttributes(ctx)
	// The start attributes are copied by trace.NewSpanStartConfig (every
	// TracerProvider gets them through it), so their slice is borrowed.
	buf := startAttrs.Get().(*[]attribute.KeyValue)
	attrs := append((*buf)[:0],
		src.trigger,
		semconv.FaaSInvocationID(inv.RequestID),
		semconv.FaaSColdstart(cold),
	)
	attrs = append(attrs, arn...)
	attrs = append(attrs, src.attrs.all()...)

	opts := []trace.SpanStartOption{spanKind(src.kind), trace.WithAttributes(attrs...), nil}[:2]
	if len(links) > 0 {
		opts = append(opts, trace.WithLinks(links...))
	}
	ctx, span := t.tracer.Start(pctx, name, opts...)
	if _, ok := pendingTrace(ctx); ok {
		// The trace to join is this span's; a root the handler starts is not.
		ctx = context.WithValue(ctx, pendingKey{}, nil)
	}
	clear(attrs) // the request id and the event's strings are not kept
	*buf = attrs[:0]
	startAttrs.Put(buf)
	if cold != inv.ColdStart {
		// The log handler reads the invocation itself; only what differs
		// from it is kept.
		ctx = withInfo(ctx, info{requestID: inv.RequestID, coldStart: cold})
	}

	// The guard flushes once the scope closes (flushAtDeadline): after the
	// span ends, the handler's background work has finished and the
	// cleanups have run.
	defer func() {
		if r := recover(); r != nil {
			perr := panicError{r}
			span.RecordError(perr, trace.WithStackTrace(true))
			span.SetStatus(codes.Error, perr.Error())
			span.SetAttributes(semconv.ErrorTypeKey.String(fmt.Sprintf("%T", r)))
			span.End()
			panic(r)
		}
		t.finish(span, src.http, res, err)
	}()
	return next(ctx)
}

// startAttrs holds the slices the span start attributes are gathered in.
var startAttrs = sync.Pool{New: func() any {
	s := make([]attribute.KeyValue, 0, 16)
	return &s
}}

// parent returns the context to start the invocation's span in, and its
// links. The order: a span already in ctx (an HTTP server span around
// guard.HTTP); the caller's context in the event; for a batch of one message,
// that message's; the client context of a direct invocation; Lambda's own
// X-Ray header, when sampled. Lambda's header, when it is not the parent,
// is linked, so the X-Ray trace stays reachable.
func (t *tracer) parent(ctx context.Context, src *source) (context.Context, []trace.Link) {
	var links []trace.Link
	var ids []attribute.KeyValue // the links' attributes, one allocation for all
	link := func(sc trace.SpanContext, id string) {
		if links == nil {
			// Every message's producer, and Lambda's own header.
			links = make([]trace.Link, 0, len(src.records)+1)
			ids = make([]attribute.KeyValue, 0, len(src.records))
		}
		l := trace.Link{SpanContext: sc}
		if id != "" {
			ids = append(ids, semconv.MessagingMessageID(id))
			l.Attributes = ids[len(ids)-1 : len(ids) : len(ids)]
		}
		links = append(links, l)
	}
	for _, r := range src.records {
		var sc trace.SpanContext
		ok := false
		if r.carrier != nil {
			sc, ok = t.cfg.extractLink(r.carrier)
		}
		if ok {
			link(sc, r.id)
		}
		// SQS's AWSTraceHeader is the sender's X-Ray context, which may be
		// another span than the one in the message's attributes.
		if r.traceHeader == "" {
			continue
		}
		if xsc, xok := t.cfg.extractLink(xrayCarrier(r.traceHeader)); xok && (!ok || xsc.SpanID() != sc.SpanID()) {
			link(xsc, r.id)
		}
	}
	if trace.SpanContextFromContext(ctx).IsValid() {
		return ctx, links
	}
	if t.cfg.lambdaFirst {
		// xray-lambda: Lambda's own context is the parent, the event's a link.
		if sc, ok := t.cfg.lambdaParent(ctx, false); ok {
			if ectx, found := t.eventContext(ctx, src); found {
				if esc, ok := linkOf(ectx); ok && esc.SpanID() != sc.SpanID() {
					links = append(links, trace.Link{SpanContext: esc})
				}
			}
			return trace.ContextWithRemoteSpanContext(ctx, sc), links
		}
	}
	ctx, found := t.eventContext(ctx, src)
	event := trace.SpanContextFromContext(ctx)
	pending, isPending := pendingTrace(ctx)
	tid := event.TraceID()
	if !event.IsValid() {
		tid = pending.trace
	}
	if sc, ok := t.cfg.lambdaParent(ctx, true); ok {
		switch {
		case !found:
			return trace.ContextWithRemoteSpanContext(ctx, sc), links
		case !event.IsValid() && tid == sc.TraceID():
			// The event named the trace but no parent (an ALB's Root=…);
			// Lambda's own header for the same trace has the real parent
			// segment and the sampling decision.
			return trace.ContextWithRemoteSpanContext(ctx, sc), links
		case tid != sc.TraceID():
			links = append(links, trace.Link{SpanContext: sc})
		}
	}
	if !event.IsValid() && isPending && pending.parent.IsValid() {
		// A parent segment with no decision: linked, and the sampler
		// decides on the span as a root (see NewIDGenerator).
		links = append(links, trace.Link{SpanContext: pending.spanContext()})
	}
	return ctx, links
}

// eventContext returns ctx with the caller's context the event carries, and
// whether it carried one (a parent, or a trace to join). The order: the
// event's own carrier (headers, detail, payload); for a batch of one
// message, that message's, then its transport's X-Ray header; the client
// context of a direct invocation.
func (t *tracer) eventContext(ctx context.Context, src *source) (context.Context, bool) {
	found := false
	if src.carrier != nil {
		ctx, found = t.cfg.extract(ctx, src.carrier)
	}
	if !found && len(src.records) == 1 && src.records[0].carrier != nil {
		ctx, found = t.cfg.extract(ctx, src.records[0].carrier)
		if !found && src.records[0].traceHeader != "" {
			ctx, found = t.cfg.extract(ctx, xrayCarrier(src.records[0].traceHeader))
		}
	}
	if !found {
		if lc, ok := lambdacontext.FromContext(ctx); ok && len(lc.ClientContext.Custom) > 0 {
			ctx, found = t.cfg.extract(ctx, Carrier(lc.ClientContext.Custom))
		}
	}
	return ctx, found
}

// linkOf returns the context an extraction left in ctx, as a link: its
// parent, or a pending trace's parent segment.
func linkOf(ctx context.Context) (trace.SpanContext, bool) {
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		return sc, true
	}
	if x, ok := pendingTrace(ctx); ok && x.parent.IsValid() {
		return x.spanContext(), true
	}
	return trace.SpanContext{}, false
}

// arnAttributes returns the attributes read from the invoked function's
// ARN (arn:aws:lambda:REGION:ACCOUNT:function:NAME[:ALIAS]), if any. They
// are worked out once per ARN (an environment is invoked through one ARN,
// or a few aliases) and shared, read-only, between invocations.
func (t *tracer) arnAttributes(ctx context.Context) []attribute.KeyValue {
	lc, ok := lambdacontext.FromContext(ctx)
	if !ok || lc.InvokedFunctionArn == "" {
		return nil
	}
	arn := lc.InvokedFunctionArn
	if f := t.arn.Load(); f != nil && f.arn == arn {
		return f.attrs
	}
	f := &arnAttrs{arn: arn, attrs: t.readARN(arn)}
	t.arn.Store(f)
	return f.attrs
}

// arnAttrs are the attributes of the invocations through arn.
type arnAttrs struct {
	arn   string
	attrs []attribute.KeyValue // never modified once stored
}

func (t *tracer) readARN(arn string) []attribute.KeyValue {
	attrs := []attribute.KeyValue{semconv.AWSLambdaInvokedARN(arn)}
	if parts := strings.SplitN(arn, ":", 8); len(parts) >= 7 {
		attrs = append(attrs, semconv.CloudAccountID(parts[4]))
		// The resource is the function at the version that runs, not the
		// alias it was invoked through: one environment serves several.
		id := strings.Join(parts[:7], ":")
		if t.cfg.functionVersion != "" {
			id += ":" + t.cfg.functionVersion
		}
		attrs = append(attrs, semconv.CloudResourceID(id))
	}
	return slices.Clip(attrs)
}

// The span kinds the middleware uses, as options made once.
var (
	serverKind   = trace.WithSpanKind(trace.SpanKindServer)
	consumerKind = trace.WithSpanKind(trace.SpanKindConsumer)
)

func spanKind(k trace.SpanKind) trace.SpanStartOption {
	switch k {
	case trace.SpanKindServer:
		return serverKind
	case trace.SpanKindConsumer:
		return consumerKind
	}
	return trace.WithSpanKind(k)
}

// finish records the outcome of the handler and ends the span.
func (t *tracer) finish(span trace.Span, isHTTP bool, res any, err error) {
	if isHTTP {
		if code := statusCode(res); code != 0 {
			span.SetAttributes(semconv.HTTPResponseStatusCode(code))
			if code >= 500 && err == nil {
				span.SetStatus(codes.Error, "")
				span.SetAttributes(semconv.ErrorTypeKey.String(strconv.Itoa(code)))
			}
		}
	}
	if err != nil {
		recordError(span, err)
	}
	span.End()
}

// recordError records err on span as the conventions ask: an exception
// event, status Error with the message, error.type.
func recordError(span trace.Span, err error) {
	span.RecordError(err)
	span.SetStatus(codes.Error, err.Error())
	span.SetAttributes(semconv.ErrorType(err))
}

// statusCode returns the HTTP status of an API Gateway, ALB or function URL
// response, or 0.
func statusCode(res any) int {
	switch r := res.(type) {
	case events.APIGatewayProxyResponse:
		return r.StatusCode
	case *events.APIGatewayProxyResponse:
		if r != nil {
			return r.StatusCode
		}
	case events.APIGatewayV2HTTPResponse:
		return r.StatusCode
	case *events.APIGatewayV2HTTPResponse:
		if r != nil {
			return r.StatusCode
		}
	case events.ALBTargetGroupResponse:
		return r.StatusCode
	case *events.ALBTargetGroupResponse:
		if r != nil {
			return r.StatusCode
		}
	case events.LambdaFunctionURLResponse:
		return r.StatusCode
	case *events.LambdaFunctionURLResponse:
		if r != nil {
			return r.StatusCode
		}
	case guard.HTTPResult:
		return r.StatusCode
	case []byte:
		return rawStatusCode(r)
	}
	return 0
}

// panicError is a recovered panic as an error, for RecordError.
type panicError struct{ value any }

func (p panicError) Error() string { return fmt.Sprintf("panic: %v", p.value) }
