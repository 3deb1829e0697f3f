package tracing_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/lambdaguard/lambdaguard/guard"
	"github.com/lambdaguard/lambdaguard/tracing"
)

// exporter records what it is given, and notes whether two calls overlap.
type exporter struct {
	mu       sync.Mutex
	batches  [][]string // span names, per export
	shutdown int
	err      error         // returned by every export
	block    chan struct{} // when set, an export waits for it to close
	deaf     bool          // with block: the export ignores its context
	started  chan struct{} // when set, gets a value as an export starts
	panics   bool          // an export panics

	inCall     atomic.Int32
	overlapped atomic.Bool
}

func (e *exporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	if e.inCall.Add(1) > 1 {
		e.overlapped.Store(true)
	}
	defer e.inCall.Add(-1)
	if e.started != nil {
		e.started <- struct{}{}
	}
	if e.panics {
		panic("exporter bug")
	}
	if e.block != nil {
		if e.deaf {
			<-e.block
		} else {
			select {
			case <-e.block:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
	names := make([]string, len(spans))
	for i, s := range spans {
		names[i] = s.Name()
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.batches = append(e.batches, names)
	return e.err
}

func (e *exporter) Shutdown(context.Context) error {
	if e.inCall.Add(1) > 1 {
		e.overlapped.Store(true)
	}
	defer e.inCall.Add(-1)
	e.mu.Lock()
	defer e.mu.Unlock()
	e.shutdown++
	return nil
}

func (e *exporter) exported() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var all []string
	for _, b := range e.batches {
		all = append(all, b...)
	}
	return all
}

func (e *exporter) exports() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.batches)
}

func newProcessorProvider(t *testing.T, exp *exporter, opts ...sdktrace.TracerProviderOption) (*sdktrace.TracerProvider, sdktrace.SpanProcessor) {
	p := tracing.NewSpanProcessor(exp)
	tp := sdktrace.NewTracerProvider(append(opts, sdktrace.WithSpanProcessor(p))...)
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return tp, p
}

func endAll(tr trace.Tracer, n int, name string) {
	for range n {
		_, s := tr.Start(context.Background(), name)
		s.End()
	}
}

// The spans of a guarded invocation are exported by the time the guard
// hands the result back, and not before the handler returns.
func TestSpanProcessorExportsWhenTheGuardFlushes(t *testing.T) {
	for _, form := range []string{"typed", "raw"} {
		t.Run(form, func(t *testing.T) {
			lambdaEnv(t)
			exp := &exporter{}
			tp, _ := newProcessorProvider(t, exp)
			tr := tp.Tracer("app")
			work := func(ctx context.Context) {
				_, child := tr.Start(ctx, "query")
				child.End()
				assert.Empty(t, exp.exported(), "exported while the handler runs")
			}
			opts := []guard.Option{guard.WithTempBase(t.TempDir()), tracing.WithTracing(tracing.WithTracerProvider(tp))}
			if form == "typed" {
				h := guard.Wrap(func(ctx context.Context, _ events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
					work(ctx)
					return events.APIGatewayV2HTTPResponse{StatusCode: 200}, nil
				}, opts...)
				_, err := h(invocation("req-1", ""), decode[events.APIGatewayV2HTTPRequest](t, "apigw-v2.json"))
				require.NoError(t, err)
			} else {
				h := guard.WrapHandler(rawHandler(func(ctx context.Context, _ []byte) ([]byte, error) {
					work(ctx)
					return []byte(`{"statusCode":200}`), nil
				}), opts...)
				_, err := h.Invoke(invocation("req-1", ""), fixture(t, "apigw-v2.json"))
				require.NoError(t, err)
			}
			assert.ElementsMatch(t, []string{"query", "POST /orders"}, exp.exported())
			assert.Equal(t, 1, exp.exports(), "one export per invocation")
			assert.False(t, exp.overlapped.Load())
		})
	}
}

// An exporter that ignores its context does not hold the invocation past
// its deadline: the flush gives up at the deadline, the result goes back,
// and the export goes on by itself.
func TestSpanProcessorFlushBoundedByTheDeadline(t *testing.T) {
	for _, form := range []string{"typed", "raw"} {
		t.Run(form, func(t *testing.T) {
			lambdaEnv(t)
			exp := &exporter{block: make(chan struct{}), deaf: true, started: make(chan struct{}, 1)}
			tp, p := newProcessorProvider(t, exp)
			var flushErr error
			opts := []guard.Option{guard.WithTempBase(t.TempDir()),
				tracing.WithTracing(tracing.WithTracerProvider(tp), tracing.WithFlushTimeout(time.Hour)),
				guard.WithFlush(func(ctx context.Context) error { flushErr = p.ForceFlush(ctx); return nil })}
			ctx, cancel := context.WithTimeout(invocation("req-1", ""), 50*time.Millisecond)
			defer cancel()
			if form == "typed" {
				_, err := guard.Wrap(func(context.Context, events.SQSEvent) (string, error) { return "ok", nil }, opts...)(ctx, decode[events.SQSEvent](t, "sqs-event.json"))
				require.NoError(t, err)
			} else {
				_, err := guard.WrapHandler(rawHandler(func(context.Context, []byte) ([]byte, error) { return nil, nil }), opts...).Invoke(ctx, fixture(t, "sqs-event.json"))
				require.NoError(t, err)
			}
			<-exp.started
			assert.ErrorIs(t, flushErr, context.DeadlineExceeded, "the flush gave up")
			assert.Empty(t, exp.exported(), "the export was still running when the invocation returned")
			close(exp.block)
			require.NoError(t, p.ForceFlush(context.Background()), "the next flush waits for it")
			assert.Equal(t, []string{"process SQSQueue"}, exp.exported())
		})
	}
}

// recordOnly records every span and samples none: the processor sees them
// end, and must not export them.
type recordOnly struct{}

func (recordOnly) ShouldSample(sdktrace.SamplingParameters) sdktrace.SamplingResult {
	return sdktrace.SamplingResult{Decision: sdktrace.RecordOnly}
}
func (recordOnly) Description() string { return "RecordOnly" }

func TestSpanProcessorDropsUnsampledSpans(t *testing.T) {
	exp := &exporter{}
	tp, p := newProcessorProvider(t, exp, sdktrace.WithSampler(recordOnly{}))
	endAll(tp.Tracer("app"), 1, "recorded, not sampled")
	require.NoError(t, p.ForceFlush(context.Background()))
	assert.Empty(t, exp.exported())
	assert.Zero(t, exp.exports(), "nothing to export calls no exporter")
}

// A full buffer is exported at once, without a flush, and a flush waits for
// that export; nothing is exported twice.
func TestSpanProcessorExportsAFullBuffer(t *testing.T) {
	exp := &exporter{block: make(chan struct{}), started: make(chan struct{}, 1)}
	tp, p := newProcessorProvider(t, exp)
	tr := tp.Tracer("app")
	endAll(tr, 2048, "span") // never waits, though the export blocks
	<-exp.started
	flushed := make(chan error, 1)
	go func() { flushed <- p.ForceFlush(context.Background()) }()
	close(exp.block)
	require.NoError(t, <-flushed)
	assert.Len(t, exp.exported(), 2048)
	endAll(tr, 1, "after")
	require.NoError(t, p.ForceFlush(context.Background()))
	assert.Len(t, exp.exported(), 2049)
	assert.Equal(t, 2, exp.exports())
}

// Flushes from several invocations at once: every span exported once, no
// two calls to the exporter at the same time.
func TestSpanProcessorConcurrentFlushes(t *testing.T) {
	exp := &exporter{}
	tp, p := newProcessorProvider(t, exp)
	tr := tp.Tracer("app")
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 50 {
				endAll(tr, 1, fmt.Sprintf("s%d-%d", i, j))
				assert.NoError(t, p.ForceFlush(context.Background()))
			}
		})
	}
	wg.Wait()
	got := exp.exported()
	assert.Len(t, got, 400)
	seen := map[string]bool{}
	for _, n := range got {
		assert.False(t, seen[n], "%s exported twice", n)
		seen[n] = true
	}
	assert.False(t, exp.overlapped.Load())
}

func TestSpanProcessorFlushReturnsTheExportError(t *testing.T) {
	exp := &exporter{err: errors.New("collector down")}
	tp, p := newProcessorProvider(t, exp)
	endAll(tp.Tracer("app"), 1, "s")
	assert.EqualError(t, p.ForceFlush(context.Background()), "collector down")
	assert.NoError(t, p.ForceFlush(context.Background()), "the failed spans are not tried again")
}

// The error of an export that the flush gave up on is not lost.
func TestSpanProcessorLateErrorIsHandled(t *testing.T) {
	exp := &exporter{block: make(chan struct{}), deaf: true, err: errors.New("collector down")}
	tp, p := newProcessorProvider(t, exp)
	handled := make(chan error, 1)
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) { handled <- err }))
	t.Cleanup(func() { otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) { log.Print(err) })) })
	endAll(tp.Tracer("app"), 1, "s")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	assert.ErrorIs(t, p.ForceFlush(ctx), context.Canceled)
	ctx, cancel = context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	assert.ErrorIs(t, p.ForceFlush(ctx), context.DeadlineExceeded)
	close(exp.block)
	assert.EqualError(t, <-handled, "collector down")
}

func TestSpanProcessorShutdown(t *testing.T) {
	exp := &exporter{}
	tp, p := newProcessorProvider(t, exp)
	tr := tp.Tracer("app")
	endAll(tr, 1, "before")
	require.NoError(t, p.Shutdown(context.Background()))
	assert.Equal(t, []string{"before"}, exp.exported())
	assert.Equal(t, 1, exp.shutdown)
	endAll(tr, 1, "after")
	require.NoError(t, p.ForceFlush(context.Background()))
	require.NoError(t, p.Shutdown(context.Background()), "a second call does nothing")
	assert.Equal(t, []string{"before"}, exp.exported(), "spans ended after Shutdown are dropped")
	assert.Equal(t, 1, exp.shutdown)
	assert.False(t, exp.overlapped.Load())
}

// Shutdown is bounded by its context, with an exporter that is not.
func TestSpanProcessorShutdownBoundedByItsContext(t *testing.T) {
	exp := &exporter{block: make(chan struct{}), deaf: true, started: make(chan struct{}, 1)}
	tp, p := newProcessorProvider(t, exp)
	endAll(tp.Tracer("app"), 1, "s")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	assert.ErrorIs(t, p.Shutdown(ctx), context.DeadlineExceeded)
	<-exp.started
	close(exp.block)
	// The shutdown goes on after the export, in its turn.
	require.Eventually(t, func() bool {
		exp.mu.Lock()
		defer exp.mu.Unlock()
		return exp.shutdown == 1
	}, 5*time.Second, time.Millisecond)
}

func TestSpanProcessorWithoutExporter(t *testing.T) {
	p := tracing.NewSpanProcessor(nil)
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(p))
	endAll(tp.Tracer("app"), 1, "s")
	assert.NoError(t, p.ForceFlush(context.Background()))
	assert.NoError(t, tp.Shutdown(context.Background()))
}

func TestSpanProcessorSurvivesAPanickingExporter(t *testing.T) {
	exp := &exporter{panics: true}
	tp, p := newProcessorProvider(t, exp)
	tr := tp.Tracer("app")
	endAll(tr, 1, "s")
	assert.EqualError(t, p.ForceFlush(context.Background()), "tracing: the exporter panicked: exporter bug")
	exp.panics = false
	endAll(tr, 1, "next")
	require.NoError(t, p.ForceFlush(context.Background()))
	assert.Equal(t, []string{"next"}, exp.exported())
}

// Debug mode does not report the export a flush gave up on as a goroutine
// the invocation left running; a goroutine of the handler's own that it
// left running is reported.
func TestSpanProcessorExportIsNotALeakInDebugMode(t *testing.T) {
	lambdaEnv(t)
	exp := &exporter{block: make(chan struct{}), deaf: true, started: make(chan struct{}, 1)}
	tp, _ := newProcessorProvider(t, exp)
	var reports []guard.Report
	stray := make(chan struct{})
	defer close(stray)
	h := guard.Wrap(func(ctx context.Context, _ json.RawMessage) (string, error) {
		endAll(tp.Tracer("app"), 2048, "item") // a full buffer's export, in the invocation
		<-exp.started
		go func() { <-stray }()
		return "ok", nil
	}, guard.WithDebug(true), guard.WithTempBase(t.TempDir()),
		guard.WithReporter(func(r guard.Report) { reports = append(reports, r) }),
		tracing.WithTracing(tracing.WithTracerProvider(tp), tracing.WithFlushTimeout(time.Millisecond)))
	_, err := h(invocation("req-1", ""), json.RawMessage(`{}`))
	require.NoError(t, err)
	close(exp.block)
	var goroutines []string
	for _, r := range reports {
		for _, f := range r.Findings {
			if f.Kind == guard.KindGoroutine {
				goroutines = append(goroutines, f.Name)
			}
		}
	}
	require.Len(t, goroutines, 1, "%q", goroutines)
	assert.Contains(t, goroutines[0], "TestSpanProcessorExportIsNotALeakInDebugMode")
}
