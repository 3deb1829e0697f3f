package guard

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/google/uuid"
)

// Wrap returns h guarded: each call runs in its own scope with its own temp
// directory, both closed and wiped when h returns — with a result, an error,
// a panic (raised again afterwards) or after the deadline. Pass the result to
// lambda.Start, or use Start.
//
// A streamed result — an *events.LambdaFunctionURLStreamingResponse, or any
// result when TOut is an interface such as io.Reader — is read by
// aws-lambda-go after h returns. The invocation then stays open (its scope
// values, its background work, its temp directory) until the body has been
// read to its end, has failed, or is closed, and closes then; a body still
// unread at the start of the cleanup reserve is closed and the invocation
// with it. A reader of a concrete type (an *os.File result) cannot be
// followed: return it as an io.Reader.
//
// The returned function is safe for concurrent use, as aws-lambda-go needs
// when AWS_LAMBDA_MAX_CONCURRENCY > 1.
func Wrap[TIn, TOut any](h func(context.Context, TIn) (TOut, error), opts ...Option) func(context.Context, TIn) (TOut, error) {
	return wrapTyped(newGuard(opts), h)
}

func wrapTyped[TIn, TOut any](g *guard, h func(context.Context, TIn) (TOut, error)) func(context.Context, TIn) (TOut, error) {
	boxed := len(g.cfg.middleware) > 0
	return func(ctx context.Context, in TIn) (TOut, error) {
		sampled := g.det != nil && g.det.Pick()
		if !boxed && !sampled {
			// The common case: neither middleware nor debug mode reads the
			// event, which then stays unboxed, on the stack.
			return invoke(g, ctx, requestID(ctx), nil, false, func(ctx context.Context) (TOut, error) {
				return h(ctx, in)
			})
		}
		ev := any(in)
		return invoke(g, ctx, requestID(ctx), ev, sampled, through(g, ev, func(ctx context.Context) (TOut, error) {
			in, _ := ev.(TIn) // the handler gets its event back from the box; a nil interface stays nil
			return h(ctx, in)
		}))
	}
}

// through returns call inside the guard's middleware, which sees event.
func through[T any](g *guard, event any, call func(context.Context) (T, error)) func(context.Context) (T, error) {
	if len(g.cfg.middleware) == 0 {
		return call
	}
	return func(ctx context.Context) (T, error) {
		res, err := chain(ctx, g.cfg.middleware, event, func(ctx context.Context) (any, error) { return call(ctx) })
		return typedResult[T](res, err)
	}
}

// typedResult converts what the middleware chain returned back to TOut.
func typedResult[TOut any](res any, err error) (TOut, error) {
	var zero TOut
	if res == nil {
		return zero, err
	}
	out, ok := res.(TOut)
	if !ok {
		return zero, fmt.Errorf("guard: middleware returned %T, the handler returns %T", res, zero)
	}
	return out, err
}

// WrapHandler is Wrap for a byte-level lambda.Handler, as given to
// lambda.StartHandler. Middleware sees the raw payload as a []byte event.
func WrapHandler(h lambda.Handler, opts ...Option) lambda.Handler {
	return &handler{g: newGuard(opts), h: h}
}

type handler struct {
	g *guard
	h lambda.Handler
}

var _ lambda.Handler = (*handler)(nil)

// Invoke implements lambda.Handler.
func (h *handler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	g := h.g
	return invoke(g, ctx, requestID(ctx), payload, g.det != nil && g.det.Pick(), through(g, payload, func(ctx context.Context) ([]byte, error) {
		return h.h.Invoke(ctx, payload)
	}))
}

// HTTP guards an http.Handler, for functions served through an HTTP adapter
// (the Lambda Web Adapter, aws-lambda-go-api-proxy): each request gets its
// own scope and temp directory, closed and wiped when ServeHTTP returns. The
// request id comes from the Lambda context in the request's context
// (aws-lambda-go-api-proxy), the x-amzn-lambda-context header (Lambda Web
// Adapter) or the X-Amzn-RequestId header, else a new UUID. Middleware sees
// the *http.Request as the event.
func HTTP(h http.Handler, opts ...Option) http.Handler {
	g := newGuard(opts)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = invoke(g, r.Context(), httpRequestID(r), r, g.det != nil && g.det.Pick(), through(g, r, func(ctx context.Context) (HTTPResult, error) {
			sw := &statusWriter{ResponseWriter: w}
			h.ServeHTTP(sw, r.WithContext(ctx))
			if sw.code == 0 {
				sw.code = http.StatusOK
			}
			return HTTPResult{StatusCode: sw.code}, nil
		}))
	})
}

// HTTPResult is what middleware sees as the result of a request served
// through HTTP.
type HTTPResult struct {
	StatusCode int // the status the handler wrote (200 when it wrote none)
}

// statusWriter remembers the status a handler writes. Unwrap lets
// http.ResponseController reach the flusher and deadlines underneath.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Flush lets a streaming handler's w.(http.Flusher) work as it would
// without the guard; it does nothing where the writer underneath cannot
// flush.
func (w *statusWriter) Flush() {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

// Hijack hands the connection over, where the writer underneath can.
func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return http.NewResponseController(w.ResponseWriter).Hijack()
}

var (
	_ http.Flusher  = (*statusWriter)(nil)
	_ http.Hijacker = (*statusWriter)(nil)
)

func httpRequestID(r *http.Request) string {
	if lc, ok := lambdacontext.FromContext(r.Context()); ok && lc.AwsRequestID != "" {
		return lc.AwsRequestID
	}
	if raw := r.Header.Get("X-Amzn-Lambda-Context"); raw != "" {
		var lc struct {
			RequestID string `json:"request_id"`
		}
		if json.Unmarshal([]byte(raw), &lc) == nil && lc.RequestID != "" {
			return lc.RequestID
		}
	}
	if id := r.Header.Get("X-Amzn-RequestId"); id != "" {
		return id
	}
	return uuid.NewString()
}

// Start guards h and hands it to aws-lambda-go's lambda.StartWithOptions,
// with SIGTERM enabled (lambda.WithEnableSIGTERM): when Lambda shuts the
// execution environment down, the hooks given with WithShutdown run (a trace
// flush, say), then the shared resources are closed (CloseShared) and stale
// temp directories swept, all within about 500ms, and the process exits
// (status 0) rather than wait for Lambda's SIGKILL. Start does not return, as
// lambda.Start. Call it once per process: the SIGTERM handler is
// process-wide.
func Start[TIn, TOut any](h func(context.Context, TIn) (TOut, error), opts ...Option) {
	g := newGuard(opts)
	lambda.StartWithOptions(wrapTyped(g, h), lambda.WithEnableSIGTERM(g.shutdownOnce()))
}

// shutdownBudget is what Lambda allows between SIGTERM and SIGKILL for a
// function with an internal extension.
const shutdownBudget = 500 * time.Millisecond

// shutdownOnce returns a function that runs the shutdown hooks once.
func (g *guard) shutdownOnce() func() {
	var once sync.Once
	return func() {
		once.Do(func() {
			ctx, cancel := context.WithTimeout(context.Background(), shutdownBudget)
			g.shutdown(ctx)
			cancel()
			// aws-lambda-go leaves the process running after its SIGTERM
			// callbacks, for Lambda to kill at the end of the budget: the
			// work is done, so end it here.
			os.Exit(0)
		})
	}
}

// shutdown runs the shutdown hooks in reverse order within ctx, closes the
// shared resources, then sweeps the temp base.
func (g *guard) shutdown(ctx context.Context) {
	for i := len(g.cfg.shutdown) - 1; i >= 0; i-- {
		if err := callSafe(ctx, g.cfg.shutdown[i]); err != nil {
			g.cfg.logger.Error("lambdaguard: shutdown hook failed", "error", err.Error())
		}
	}
	if err := CloseShared(ctx); err != nil {
		g.cfg.logger.Error("lambdaguard: closing shared resources", "error", err.Error())
	}
	g.sweepStale()
}

func callSafe(ctx context.Context, fn func(context.Context) error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("guard: panic: %v", r)
		}
	}()
	return fn(ctx)
}
