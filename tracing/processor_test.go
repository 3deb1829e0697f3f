package tracing_test

import (
	"context"
	"errors"
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
	"go.uber.org/goleak"

	"github.com/lambdaguard/lambdaguard/guard"
	"github.com/lambdaguard/lambdaguard/tracing"
)

// exporter records what it is given, and fails if two exports overlap.
type exporter struct {
	mu       sync.Mutex
	batches  [][]string // span names, per export
	shutdown int
	err      error         // returned by every export
	block    chan struct{} // when set, an export waits for it to close
	started  chan struct{} // when set, gets a value as an export starts

	inExport   atomic.Int32
	overlapped atomic.Bool
}

func (e *exporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	if e.inExport.Add(1) > 1 {
		e.overlapped.Store(true)
	}
	defer e.inExport.Add(-1)
	if e.started != nil {
		e.started <- struct{}{}
	}
	if e.block != nil {
		select {
		case <-e.block:
		case <-ctx.Done():
			return ctx.Err()
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

func newProcessorProvider(t *testing.T, exp *exporter, opts ...sdktrace.TracerProviderOption) (*sdktrace.TracerProvider, *tracing.SpanProcessor) {
	p := tracing.NewSpanProcessor(exp)
	tp := sdktrace.NewTracerProvider(append(opts, sdktrace.WithSpanProcessor(p))...)
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return tp, p
}

// The spans of a guarded invocation are exported by the time the guard
// hands the result back, and not before the handler returns.
func TestSpanProcessorExportsWhenTheGuardFlushes(t *testing.T) {
	lambdaEnv(t)
	exp := &exporter{}
	tp, _ := newProcessorProvider(t, exp)
	tr := tp.Tracer("app")
	h := guard.Wrap(func(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		_, child := tr.Start(ctx, "query")
		child.End()
		assert.Empty(t, exp.exported(), "exported while the handler runs")
		return events.APIGatewayV2HTTPResponse{StatusCode: 200}, nil
	}, tracing.WithTracing(tracing.WithTracerProvider(tp)))

	_, err := h(invocation("req-1", ""), decode[events.APIGatewayV2HTTPRequest](t, "apigw-v2.json"))
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{"query", "orders"}, exp.exported())
	assert.Equal(t, 1, exp.exports(), "one export per invocation")
	assert.False(t, exp.overlapped.Load())
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
	_, span := tp.Tracer("app").Start(context.Background(), "recorded, not sampled")
	span.End()
	require.NoError(t, p.ForceFlush(context.Background()))
	assert.Empty(t, exp.exported())
	assert.Zero(t, exp.exports(), "nothing to export calls no exporter")
}

// A full buffer is exported at once rather than dropped, and nothing is
// exported twice.
func TestSpanProcessorExportsAFullBuffer(t *testing.T) {
	exp := &exporter{}
	tp, p := newProcessorProvider(t, exp)
	tr := tp.Tracer("app")
	for range tracing.MaxBufferedSpans - 1 {
		_, s := tr.Start(context.Background(), "span")
		s.End()
	}
	assert.Zero(t, exp.exports(), "exported before the buffer was full")
	_, s := tr.Start(context.Background(), "span")
	s.End()
	require.Equal(t, 1, exp.exports(), "the full buffer was not exported")
	assert.Len(t, exp.exported(), tracing.MaxBufferedSpans)

	_, s = tr.Start(context.Background(), "after")
	s.End()
	require.NoError(t, p.ForceFlush(context.Background()))
	assert.Len(t, exp.exported(), tracing.MaxBufferedSpans+1)
	assert.Equal(t, "after", exp.exported()[tracing.MaxBufferedSpans])
}

// Invocations that end spans and flush at once lose no span, export none
// twice, and never call the exporter concurrently.
func TestSpanProcessorConcurrentFlushes(t *testing.T) {
	exp := &exporter{}
	tp, p := newProcessorProvider(t, exp)
	tr := tp.Tracer("app")
	const workers, spans = 8, 300
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range spans {
				_, s := tr.Start(context.Background(), "span")
				s.End()
				if i%7 == 0 {
					assert.NoError(t, p.ForceFlush(context.Background()))
				}
			}
		})
	}
	wg.Wait()
	require.NoError(t, p.ForceFlush(context.Background()))
	assert.Len(t, exp.exported(), workers*spans)
	assert.False(t, exp.overlapped.Load(), "two exports ran at once")
}

// A flush waiting for another's export gives up when its context ends, and
// its spans wait for the next flush rather than being lost.
func TestSpanProcessorFlushWaitsWithinItsContext(t *testing.T) {
	exp := &exporter{block: make(chan struct{}), started: make(chan struct{}, 2)}
	tp, p := newProcessorProvider(t, exp)
	tr := tp.Tracer("app")

	_, first := tr.Start(context.Background(), "first")
	first.End()
	done := make(chan error)
	go func() { done <- p.ForceFlush(context.Background()) }()
	<-exp.started // the first export holds the exporter

	_, second := tr.Start(context.Background(), "second")
	second.End()
	ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	assert.ErrorIs(t, p.ForceFlush(ctx), context.DeadlineExceeded)

	close(exp.block)
	require.NoError(t, <-done)
	assert.Equal(t, []string{"first"}, exp.exported())
	require.NoError(t, p.ForceFlush(context.Background()))
	assert.Equal(t, []string{"first", "second"}, exp.exported())
}

func TestSpanProcessorFlushReturnsTheExportError(t *testing.T) {
	boom := errors.New("collector unreachable")
	exp := &exporter{err: boom}
	tp, p := newProcessorProvider(t, exp)
	_, s := tp.Tracer("app").Start(context.Background(), "span")
	s.End()
	assert.ErrorIs(t, p.ForceFlush(context.Background()), boom)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	assert.ErrorIs(t, p.ForceFlush(ctx), context.Canceled, "a flush whose context has ended exports nothing")
	assert.Equal(t, 1, exp.exports())
}

// Shutdown exports what is left and shuts the exporter down once; spans
// that end afterwards are dropped.
func TestSpanProcessorShutdown(t *testing.T) {
	exp := &exporter{}
	tp, _ := newProcessorProvider(t, exp)
	tr := tp.Tracer("app")
	_, s := tr.Start(context.Background(), "left")
	s.End()
	require.NoError(t, tp.Shutdown(context.Background()))
	require.NoError(t, tp.Shutdown(context.Background()))
	assert.Equal(t, []string{"left"}, exp.exported())
	assert.Equal(t, 1, exp.shutdown)

	_, s = tr.Start(context.Background(), "late")
	s.End()
	assert.Equal(t, []string{"left"}, exp.exported())
}

// A processor shut down on its own, while its provider still calls it,
// keeps nothing more.
func TestSpanProcessorShutDownAlone(t *testing.T) {
	exp := &exporter{}
	tp, p := newProcessorProvider(t, exp)
	require.NoError(t, p.Shutdown(context.Background()))
	_, s := tp.Tracer("app").Start(context.Background(), "late")
	s.End()
	require.NoError(t, p.ForceFlush(context.Background()))
	assert.Empty(t, exp.exported())
	assert.Equal(t, 1, exp.shutdown)
}

// A processor without an exporter records nothing and never fails.
func TestSpanProcessorWithoutExporter(t *testing.T) {
	p := tracing.NewSpanProcessor(nil)
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(p))
	_, s := tp.Tracer("app").Start(context.Background(), "span")
	s.End()
	assert.NoError(t, p.ForceFlush(context.Background()))
	assert.NoError(t, tp.Shutdown(context.Background()))
}

// The processor starts no goroutine, so nothing of it runs, or is frozen,
// between invocations: with spans buffered and flushed, and the provider
// not shut down, no goroutine is left. (The batch span processor keeps one.)
func TestSpanProcessorStartsNoGoroutine(t *testing.T) {
	exp := &exporter{}
	tp, p := newProcessorProvider(t, exp)
	_, s := tp.Tracer("app").Start(context.Background(), "span")
	s.End()
	require.NoError(t, p.ForceFlush(context.Background()))
	_, s = tp.Tracer("app").Start(context.Background(), "buffered")
	s.End()
	goleak.VerifyNone(t)
}

// A span whose parent was not sampled is not exported.
func TestSpanProcessorFollowsTheParentsSampling(t *testing.T) {
	exp := &exporter{}
	tp, p := newProcessorProvider(t, exp)
	ctx := trace.ContextWithSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{1}, SpanID: trace.SpanID{1}, Remote: true, // not sampled upstream
	}))
	_, s := tp.Tracer("app").Start(ctx, "child of an unsampled parent")
	s.End()
	require.NoError(t, p.ForceFlush(context.Background()))
	assert.Empty(t, exp.exported(), "the parent-based sampler dropped it; the processor must too")
}

// While an export runs, a full buffer keeps what ends, up to twice
// MaxBufferedSpans, without blocking whoever ends it (an exporter that makes
// spans of its own ends them during its export); past that, spans are
// dropped and the count reported through OpenTelemetry's error handler.
func TestSpanProcessorFullDuringAnExport(t *testing.T) {
	var handled []error
	var hmu sync.Mutex
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		hmu.Lock()
		defer hmu.Unlock()
		handled = append(handled, err)
	}))
	// The default handler cannot be put back (it would delegate to itself):
	// one that logs, as the default does.
	t.Cleanup(func() { otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) { log.Print(err) })) })

	exp := &exporter{block: make(chan struct{}), started: make(chan struct{}, 2)}
	tp, p := newProcessorProvider(t, exp)
	tr := tp.Tracer("app")
	_, s := tr.Start(context.Background(), "first")
	s.End()
	done := make(chan error)
	go func() { done <- p.ForceFlush(context.Background()) }()
	<-exp.started

	const extra = 5
	for range 2*tracing.MaxBufferedSpans + extra {
		_, s := tr.Start(context.Background(), "during")
		s.End() // would block until the export ends if it waited for it
	}
	close(exp.block)
	require.NoError(t, <-done)
	require.NoError(t, p.ForceFlush(context.Background()))
	assert.Len(t, exp.exported(), 1+2*tracing.MaxBufferedSpans)
	assert.False(t, exp.overlapped.Load())
	hmu.Lock()
	defer hmu.Unlock()
	require.Len(t, handled, 1)
	assert.ErrorContains(t, handled[0], "5 spans dropped")
}
