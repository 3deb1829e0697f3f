package guard

import (
	"context"
	"log/slog"
	"os"
	"sync"
)

// Keys of the attributes NewLogHandler adds, camelCase as aws-lambda-go's
// requestId.
const (
	functionNameKey    = "functionName"
	functionVersionKey = "functionVersion"
	coldStartKey       = "coldStart"
)

// AddLogAttrs adds attrs to the log attributes of the invocation ctx
// belongs to — of the batch record, inside a batch helper. From then on they
// are on every record logged with a context of that invocation (or record)
// through a handler made by NewLogHandler, whichever code logs it; they are
// gone when the invocation (or record) ends, so the next one never carries
// them: the log keys of one caller cannot show up in another's logs, as
// they do with a logger kept in a package-level variable. A record's
// attributes come after the invocation's, and an attribute added twice is
// logged twice, as slog does.
//
// It returns ErrNoInvocation outside a guarded handler and
// ErrInvocationEnded once the invocation has ended.
func AddLogAttrs(ctx context.Context, attrs ...slog.Attr) error {
	inv := invocationOf(ctx)
	if inv == nil {
		return ErrNoInvocation
	}
	return inv.logs.add(attrs)
}

// NewLogHandler returns a slog.Handler that adds to every record, before
// handing it to next: functionName and functionVersion (from
// AWS_LAMBDA_FUNCTION_NAME and AWS_LAMBDA_FUNCTION_VERSION, read once, here)
// and, for a record logged with a context of a guarded invocation,
// coldStart and the attributes given with AddLogAttrs.
//
// It composes with aws-lambda-go's lambdacontext.NewLogHandler, which adds
// requestId and honours AWS_LAMBDA_LOG_FORMAT and AWS_LAMBDA_LOG_LEVEL, and
// with tracing.NewLogHandler, which adds the trace and span ids:
//
//	slog.SetDefault(slog.New(guard.NewLogHandler(tracing.NewLogHandler(lambdacontext.NewLogHandler()))))
//	...
//	guard.AddLogAttrs(ctx, slog.String("tenant", tenant))
//	slog.InfoContext(ctx, "order stored") // with functionName, coldStart, tenant, requestId, trace_id
//
// Records logged without the context (slog.Info instead of slog.InfoContext)
// carry only the function's name and version.
func NewLogHandler(next slog.Handler) slog.Handler {
	h := &logHandler{next: next}
	if v := os.Getenv("AWS_LAMBDA_FUNCTION_NAME"); v != "" {
		h.fixed = append(h.fixed, slog.String(functionNameKey, v))
	}
	if v := os.Getenv("AWS_LAMBDA_FUNCTION_VERSION"); v != "" {
		h.fixed = append(h.fixed, slog.String(functionVersionKey, v))
	}
	return h
}

type logHandler struct {
	next  slog.Handler
	fixed []slog.Attr // the function's name and version
}

func (h *logHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.next.Enabled(ctx, level)
}

func (h *logHandler) Handle(ctx context.Context, r slog.Record) error {
	r.AddAttrs(h.fixed...)
	if ctx != nil {
		if inv := invocationOf(ctx); inv != nil {
			r.AddAttrs(slog.Bool(coldStartKey, inv.info.ColdStart))
			r.AddAttrs(inv.logs.attrs(nil)...)
		}
	}
	return h.next.Handle(ctx, r)
}

func (h *logHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &logHandler{next: h.next.WithAttrs(attrs), fixed: h.fixed}
}

func (h *logHandler) WithGroup(name string) slog.Handler {
	return &logHandler{next: h.next.WithGroup(name), fixed: h.fixed}
}

// logBag holds the log attributes of an invocation, or of a batch record
// with its invocation's as parent.
type logBag struct {
	parent *logBag

	mu     sync.Mutex
	list   []slog.Attr
	closed bool
}

func (b *logBag) add(attrs []slog.Attr) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return ErrInvocationEnded
	}
	b.list = append(b.list, attrs...)
	return nil
}

// attrs appends the parent's attributes, then b's, to dst.
func (b *logBag) attrs(dst []slog.Attr) []slog.Attr {
	if b.parent != nil {
		dst = b.parent.attrs(dst)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return append(dst, b.list...)
}

// close drops the attributes and refuses new ones.
func (b *logBag) close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	b.list = nil
}
