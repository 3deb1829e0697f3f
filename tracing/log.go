package tracing

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"go.opentelemetry.io/otel/trace"

	"github.com/lambdaguard/lambdaguard/guard"
)

// Keys of the attributes that NewLogHandler adds: OpenTelemetry's names for
// the ids, and aws-lambda-go's (lambdacontext) for the request.
const (
	traceIDKey    = "trace_id"
	spanIDKey     = "span_id"
	traceFlagsKey = "trace_flags" // "01" sampled, "00" not
	requestIDKey  = "requestId"   // the key lambdacontext's handler uses
	coldStartKey  = "coldStart"
)

// info is what the tracing middleware keeps in the invocation's context for
// the log handler.
type info struct {
	requestID string
	coldStart bool
}

type infoKey struct{}

func withInfo(ctx context.Context, i info) context.Context {
	return context.WithValue(ctx, infoKey{}, i)
}

// NewLogHandler returns a slog.Handler that adds, to every record logged with
// a context of a guarded invocation, trace_id, span_id and trace_flags of the
// current span (as hex, the names of OpenTelemetry's trace context in
// non-OTLP log formats, which log back ends correlate on),
// requestId and coldStart, and hands the record on to next.
//
// It composes with aws-lambda-go's lambdacontext.NewLogHandler, which already
// adds requestId and honours AWS_LAMBDA_LOG_FORMAT and AWS_LAMBDA_LOG_LEVEL:
// wrapped around it, this handler leaves requestId to it.
//
//	slog.SetDefault(slog.New(tracing.NewLogHandler(lambdacontext.NewLogHandler())))
//	...
//	slog.InfoContext(ctx, "order stored", "id", id) // with the ids of the invocation
//
// Records logged without the context (slog.Info instead of slog.InfoContext)
// carry none of them. Attributes are added at the top level of the record,
// or inside the group opened with WithGroup.
func NewLogHandler(next slog.Handler) slog.Handler {
	// lambdacontext's handler adds requestId itself when the Lambda context
	// is there; its type is unexported, so it is known by name.
	return &logHandler{next: next, lambdaHandler: fmt.Sprintf("%T", next) == "*lambdacontext.lambdaHandler"}
}

type logHandler struct {
	next          slog.Handler
	lambdaHandler bool
}

func (h *logHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.next.Enabled(ctx, level)
}

func (h *logHandler) Handle(ctx context.Context, r slog.Record) error {
	if ctx == nil {
		return h.next.Handle(ctx, r)
	}
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		r.AddAttrs(slog.String(traceIDKey, sc.TraceID().String()), slog.String(spanIDKey, sc.SpanID().String()),
			slog.String(traceFlagsKey, sc.TraceFlags().String()))
	}
	i, ok := ctx.Value(infoKey{}).(info)
	if !ok {
		// Guarded but not traced by this package's middleware.
		inv, found := guard.InvocationFrom(ctx)
		if !found {
			return h.next.Handle(ctx, r)
		}
		i = info{requestID: inv.RequestID, coldStart: inv.ColdStart}
	}
	if !h.lambdaHandler || !hasLambdaContext(ctx) {
		r.AddAttrs(slog.String(requestIDKey, i.requestID))
	}
	if !hasAttr(r, coldStartKey) { // guard.NewLogHandler, around this one, adds it too
		r.AddAttrs(slog.Bool(coldStartKey, i.coldStart))
	}
	return h.next.Handle(ctx, r)
}

func hasAttr(r slog.Record, key string) bool {
	found := false
	r.Attrs(func(a slog.Attr) bool {
		found = a.Key == key
		return !found
	})
	return found
}

func hasLambdaContext(ctx context.Context) bool {
	_, ok := lambdacontext.FromContext(ctx)
	return ok
}

func (h *logHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &logHandler{next: h.next.WithAttrs(attrs), lambdaHandler: h.lambdaHandler}
}

func (h *logHandler) WithGroup(name string) slog.Handler {
	return &logHandler{next: h.next.WithGroup(name), lambdaHandler: h.lambdaHandler}
}
