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
	assert.ElementsMatch(t, []string{"query", "POST /orders"}, exp.exported())
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

// A full buffer is exported at once, without a flush, rather than dropped,
// and nothing is exported twice.
func TestSpanProcessorExportsAFullBuffer(t *testing.T) {
	exp := &exporter{started: make(chan struct{}, 1)}
	tp, p := newProcessorProvider(t, exp)
	tr := tp.Tracer("app")
	for range tracing.MaxBufferedSpans - 1 {
		_, s := tr.Start(context.Background(), "span")
		s.End()
	}
	assert.Zero(t, exp.exports(), "exported before the buffer was full")
	_, s := tr.Start(context.Background(), "span")
	s.End()
	<-exp.started // no flush has been asked for
	require.NoError(t, p.ForceFlush(context.Background()))
	require.Equal(t, 1, exp.exports(), "the full buffer was not exported in one export")
	assert.Len(t, exp.exported(), tracing.MaxBufferedSpans)

	_, s = tr.Start(context.Background(), "after")
	s.End()
	require.NoError(t, p.ForceFlush(context.Background()))
	assert.Len(t, exp.exported(), tracing.MaxBufferedSpans+1)
	assert.Equal(t, "after", exp.exported()[tracing.MaxBufferedSpans])
}

// endAll ends n spans in another goroutine and fails the test if that does
// not finish: ending a span must never wait for an export.
func endAll(t *testing.T, tr trace.Tracer, n int, name string) {
	t.Helper()
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		for range n {
			_, s := tr.Start(context.Background(), name)
			s.End()
		}
	}()
	select {
	case <-ended:
	case <-time.After(time.Minute):
		t.Fatal("ending spans waited for an export")
	}
}

// The export a full buffer starts runs in a goroutine of its own: the span
// that fills the buffer ends at once, however slow the exporter.
func TestSpanProcessorFullBufferDoesNotBlockEnd(t *testing.T) {
	exp := &exporter{block: make(chan struct{}), started: make(chan struct{}, 1)}
	tp, p := newProcessorProvider(t, exp)
	endAll(t, tp.Tracer("app"), tracing.MaxBufferedSpans, "span")
	<-exp.started
	close(exp.block)
	require.NoError(t, p.ForceFlush(context.Background()))
	assert.Len(t, exp.exported(), tracing.MaxBufferedSpans)
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

// While an export runs, a full buffer keeps what ends, up to twice
// MaxBufferedSpans, without blocking whoever ends it; past that, spans are
// dropped and their count reported through OpenTelemetry's error handler.
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
	done := flushHeldUp(tr, p, exp.started, "first")

	endAll(t, tr, 2*tracing.MaxBufferedSpans+5, "during")
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

// waitCtx tells when somebody first asks for its Done channel: a flush or
// a shutdown does when it starts to wait.
type waitCtx struct {
	context.Context
	asked chan struct{}
	once  sync.Once
}

func waiting(ctx context.Context) *waitCtx {
	return &waitCtx{Context: ctx, asked: make(chan struct{})}
}

func (c *waitCtx) Done() <-chan struct{} {
	c.once.Do(func() { close(c.asked) })
	return c.Context.Done()
}

// strictExporter records what the exporter contract forbids: an export or
// a shutdown after the shutdown, or a shutdown during an export.
type strictExporter struct {
	exporter
	shut             atomic.Bool
	exportAfterShut  atomic.Int32
	shutDuringExport atomic.Bool
}

func (e *strictExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	if e.shut.Load() {
		e.exportAfterShut.Add(1)
	}
	return e.exporter.ExportSpans(ctx, spans)
}

func (e *strictExporter) Shutdown(ctx context.Context) error {
	if e.inExport.Load() > 0 {
		e.shutDuringExport.Store(true)
	}
	e.shut.Store(true)
	return e.exporter.Shutdown(ctx)
}

// A shutdown whose context ends while another invocation's flush exports
// leaves the exporter's shutdown to that export: never during it, and no
// export afterwards.
func TestSpanProcessorShutdownDuringAnExport(t *testing.T) {
	exp := &strictExporter{exporter: exporter{block: make(chan struct{}), started: make(chan struct{}, 4)}}
	p := tracing.NewSpanProcessor(exp)
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(p))
	tr := tp.Tracer("app")
	done := flushHeldUp(tr, p, exp.started, "first")

	_, s := tr.Start(context.Background(), "second")
	s.End()
	ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	assert.ErrorIs(t, p.Shutdown(ctx), context.DeadlineExceeded)
	assert.False(t, exp.shut.Load(), "shut down while an export ran")

	close(exp.block)
	require.NoError(t, <-done)
	require.NoError(t, p.ForceFlush(context.Background()))
	wctx, wcancel := context.WithTimeout(context.Background(), time.Minute)
	defer wcancel()
	require.NoError(t, p.Shutdown(wctx), "a second Shutdown waits for the first, which the export finishes")
	assert.Equal(t, []string{"first"}, exp.exported())
	assert.True(t, exp.shut.Load(), "the export that ran did not shut the exporter down")
	assert.False(t, exp.shutDuringExport.Load())
	assert.Zero(t, exp.exportAfterShut.Load())
}

// A shutdown whose context has ended still finds a free exporter first:
// the buffered spans go out, then the exporter shuts down, every time.
func TestSpanProcessorShutdownWithAnEndedContext(t *testing.T) {
	for range 50 {
		exp := &strictExporter{}
		p := tracing.NewSpanProcessor(exp)
		tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(p))
		_, s := tp.Tracer("app").Start(context.Background(), "span")
		s.End()
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_ = p.Shutdown(ctx)
		require.NoError(t, p.ForceFlush(context.Background()))
		require.Equal(t, []string{"span"}, exp.exported())
		require.True(t, exp.shut.Load())
		require.Zero(t, exp.exportAfterShut.Load())
	}
}

// A second Shutdown returns once the exporter is shut down, not before.
func TestSpanProcessorSecondShutdownWaits(t *testing.T) {
	exp := &strictExporter{exporter: exporter{block: make(chan struct{}), started: make(chan struct{}, 1)}}
	p := tracing.NewSpanProcessor(exp)
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(p))
	_, s := tp.Tracer("app").Start(context.Background(), "span")
	s.End()
	first := make(chan error)
	go func() { first <- p.Shutdown(context.Background()) }()
	<-exp.started
	sctx := waiting(context.Background())
	second := make(chan error)
	go func() { second <- p.Shutdown(sctx) }()
	<-sctx.asked // the second Shutdown waits
	close(exp.block)
	require.NoError(t, <-second)
	assert.True(t, exp.shut.Load(), "the second Shutdown returned before the exporter was shut down")
	require.NoError(t, <-first)
}

// A flush whose spans another flush took, and lost when that flush's
// context ended, reports the error rather than success.
func TestSpanProcessorFlushReportsAnotherExportsFailure(t *testing.T) {
	exp := &exporter{block: make(chan struct{}), started: make(chan struct{}, 4)}
	tp, p := newProcessorProvider(t, exp)
	tr := tp.Tracer("app")
	_, a := tr.Start(context.Background(), "A's span")
	a.End()
	bctx, cancel := context.WithCancel(context.Background())
	bDone := make(chan error)
	go func() { bDone <- p.ForceFlush(bctx) }() // invocation B, about to time out
	<-exp.started
	actx := waiting(context.Background())
	aDone := make(chan error)
	go func() { aDone <- p.ForceFlush(actx) }() // invocation A
	<-actx.asked                                // A waits for B's export
	cancel()
	assert.ErrorIs(t, <-bDone, context.Canceled)
	assert.ErrorIs(t, <-aDone, context.Canceled, "A's flush reported success for a span that was lost")
	assert.Empty(t, exp.exported())
}

// selfTracingExporter ends a span of its own (named "export") during every
// export, as an exporter whose HTTP client is traced with the same provider
// does.
type selfTracingExporter struct {
	exporter
	tr trace.Tracer
}

func (e *selfTracingExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	err := e.exporter.ExportSpans(ctx, spans)
	_, s := e.tr.Start(ctx, "export")
	s.End()
	return err
}

// Many invocations ending spans, a few flushes, full buffers exported on
// their own, and an exporter that makes spans: every span is exported
// exactly once, and exports never overlap.
func TestSpanProcessorExportsEverySpanOnce(t *testing.T) {
	exp := &selfTracingExporter{}
	p := tracing.NewSpanProcessor(exp)
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(p))
	exp.tr = tp.Tracer("exporter")
	tr := tp.Tracer("app")
	const workers, spans = 8, 3000
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range spans {
				_, s := tr.Start(context.Background(), fmt.Sprintf("%d/%d", w, i))
				s.End()
				if i%500 == 0 {
					assert.NoError(t, p.ForceFlush(context.Background()))
				}
			}
		})
	}
	wg.Wait()
	require.NoError(t, p.ForceFlush(context.Background()))
	require.NoError(t, tp.Shutdown(context.Background()))
	seen := map[string]int{}
	for _, n := range exp.exported() {
		if n != "export" {
			seen[n]++
		}
	}
	assert.Len(t, seen, workers*spans)
	for n, c := range seen {
		if c != 1 {
			t.Errorf("%s exported %d times", n, c)
		}
	}
	assert.False(t, exp.overlapped.Load(), "two exports ran at once")
}

// An exporter that panics does not keep the exporter from later flushes.
func TestSpanProcessorSurvivesAPanickingExporter(t *testing.T) {
	exp := &panicFirst{}
	p := tracing.NewSpanProcessor(exp)
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(p))
	_, s := tp.Tracer("app").Start(context.Background(), "a")
	s.End()
	assert.Panics(t, func() { _ = p.ForceFlush(context.Background()) })
	_, s = tp.Tracer("app").Start(context.Background(), "b")
	s.End()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	require.NoError(t, p.ForceFlush(ctx))
	require.NoError(t, tp.Shutdown(ctx))
	assert.EqualValues(t, 2, exp.n.Load())
}

// Debug mode does not report the export a full buffer started as a
// goroutine the invocation left running, when the flush gave up on it; a
// goroutine of the handler's own that it left running is reported.
func TestSpanProcessorExportIsNotALeakInDebugMode(t *testing.T) {
	lambdaEnv(t)
	exp := &exporter{block: make(chan struct{}), started: make(chan struct{}, 1)}
	tp, _ := newProcessorProvider(t, exp)
	var reports []guard.Report
	stray := make(chan struct{})
	defer close(stray)
	h := guard.Wrap(func(ctx context.Context, _ json.RawMessage) (string, error) {
		for range tracing.MaxBufferedSpans {
			_, s := tp.Tracer("app").Start(ctx, "item")
			s.End()
		}
		<-exp.started // the export runs, and waits
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

// hookExporter calls onExport at the end of every export, before returning.
type hookExporter struct {
	strictExporter
	onExport func()
}

func (e *hookExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	err := e.strictExporter.ExportSpans(ctx, spans)
	if e.onExport != nil {
		e.onExport()
	}
	return err
}

// Shutdown's context ends exactly as the running export ends: whichever
// way the race goes, the exporter ends up shut down. (The hand-off of the
// shutdown to the export and the export's giving the token back were
// once two steps, and a shutdown could fall between them.)
func TestSpanProcessorLateShutdownIsNeverLost(t *testing.T) {
	lost := 0
	const runs = 20000
	for i := range runs {
		sctx, scancel := context.WithCancel(context.Background())
		exp := &hookExporter{strictExporter: strictExporter{exporter: exporter{block: make(chan struct{}), started: make(chan struct{}, 1)}}}
		spin := time.Duration(i%40) * 250 * time.Nanosecond // sweep the delay after the cancel
		exp.onExport = func() {
			scancel()
			for t0 := time.Now(); time.Since(t0) < spin; {
			}
		}
		p := tracing.NewSpanProcessor(exp)
		tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(p))
		_, s := tp.Tracer("app").Start(context.Background(), "span")
		s.End()
		fdone := make(chan error)
		go func() { fdone <- p.ForceFlush(context.Background()) }()
		<-exp.started
		wctx := waiting(sctx)
		sdone := make(chan error)
		go func() { sdone <- p.Shutdown(wctx) }()
		<-wctx.asked
		close(exp.block) // the export ends and cancels Shutdown's context
		<-fdone
		<-sdone
		if !exp.shut.Load() {
			lost++
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			err := p.Shutdown(ctx)
			cancel()
			if lost == 1 {
				t.Logf("run %d: exporter not shut down; a second Shutdown (2s) returns %v; exporter shut=%v", i, err, exp.shut.Load())
			}
		}
	}
	assert.Zero(t, lost, "exporter never shut down in %d of %d runs", lost, runs)
}

// Spans that piled up during an export are exported as it ends, and the
// spans that end afterwards are kept, not dropped for a buffer that was
// full while the export ran.
func TestSpanProcessorBufferFilledDuringAnExport(t *testing.T) {
	exp := &exporter{block: make(chan struct{}), started: make(chan struct{}, 4)}
	tp, p := newProcessorProvider(t, exp)
	tr := tp.Tracer("app")
	done := flushHeldUp(tr, p, exp.started, "first")
	endAll(t, tr, 2*tracing.MaxBufferedSpans, "during")
	close(exp.block)
	require.NoError(t, <-done) // no export runs any more
	endAll(t, tr, 10, "after")
	require.NoError(t, p.ForceFlush(context.Background()))
	assert.Equal(t, 1+2*tracing.MaxBufferedSpans+10, len(exp.exported()), "spans that ended while no export ran were dropped")
}

// A flush called before Shutdown, waiting for another's export, reports
// that its span was not exported when Shutdown came first.
func TestSpanProcessorFlushOvertakenByShutdown(t *testing.T) {
	exp := &strictExporter{exporter: exporter{block: make(chan struct{}), started: make(chan struct{}, 4)}}
	p := tracing.NewSpanProcessor(exp)
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(p))
	tr := tp.Tracer("app")
	hdone := flushHeldUp(tr, p, exp.started, "H's span")

	_, s := tr.Start(context.Background(), "F's span")
	s.End()
	fctx := waiting(context.Background())
	fdone := make(chan error)
	go func() { fdone <- p.ForceFlush(fctx) }() // invocation F flushes, and waits
	<-fctx.asked

	ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	assert.ErrorIs(t, p.Shutdown(ctx), context.DeadlineExceeded)
	close(exp.block)
	require.NoError(t, <-hdone)
	ferr := <-fdone
	assert.NotContains(t, exp.exported(), "F's span")
	assert.ErrorContains(t, ferr, "1 spans not exported", "F's flush returned nil, but its span was never exported")
}

// panicFirst panics in its first export; counts its Shutdowns.
type panicFirst struct {
	n     atomic.Int32
	shuts atomic.Int32
}

func (e *panicFirst) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error {
	if e.n.Add(1) == 1 {
		panic("collector client bug")
	}
	return nil
}
func (e *panicFirst) Shutdown(context.Context) error {
	e.shuts.Add(1)
	return nil
}

// An exporter that panics in Shutdown's export is shut down all the same,
// and a second Shutdown does not wait for it forever.
func TestSpanProcessorShutdownSurvivesAPanickingExport(t *testing.T) {
	exp := &panicFirst{}
	p := tracing.NewSpanProcessor(exp)
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(p))
	_, s := tp.Tracer("app").Start(context.Background(), "a")
	s.End()
	assert.Panics(t, func() { _ = p.Shutdown(context.Background()) })
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	assert.NoError(t, p.Shutdown(ctx))
	assert.EqualValues(t, 1, exp.shuts.Load(), "exporter never shut down")
}

// ctxShutExporter records whether its Shutdown got a context that had
// already ended.
type ctxShutExporter struct {
	exporter
	shutCtxErr atomic.Value
}

func (e *ctxShutExporter) Shutdown(ctx context.Context) error {
	e.shutCtxErr.Store(errors.Join(ctx.Err(), errors.New("-")))
	return ctx.Err()
}

// The exporter's shutdown, left by a late Shutdown to the export that held
// it up, gets a context of its own: the export's has likely ended.
func TestSpanProcessorLateShutdownGetsAContextOfItsOwn(t *testing.T) {
	exp := &ctxShutExporter{exporter: exporter{block: make(chan struct{}), started: make(chan struct{}, 1)}}
	p := tracing.NewSpanProcessor(exp)
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(p))
	_, s := tp.Tracer("app").Start(context.Background(), "span")
	s.End()
	fctx, fcancel := context.WithCancel(context.Background())
	fdone := make(chan error)
	go func() { fdone <- p.ForceFlush(fctx) }()
	<-exp.started
	sctx, scancel := context.WithTimeout(context.Background(), time.Millisecond)
	defer scancel()
	assert.ErrorIs(t, p.Shutdown(sctx), context.DeadlineExceeded)
	fcancel() // the flush's context ends too; its export returns
	<-fdone
	require.NotNil(t, exp.shutCtxErr.Load())
	assert.NotErrorIs(t, exp.shutCtxErr.Load().(error), context.Canceled, "exporter shut down with an ended context")
}

// blockThenPanic blocks its first export until block closes, then panics.
type blockThenPanic struct {
	n       atomic.Int32
	block   chan struct{}
	started chan struct{}
	mu      sync.Mutex
	names   []string
}

func (e *blockThenPanic) ExportSpans(_ context.Context, spans []sdktrace.ReadOnlySpan) error {
	if e.n.Add(1) == 1 {
		e.started <- struct{}{}
		<-e.block
		panic("collector client bug")
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, s := range spans {
		e.names = append(e.names, s.Name())
	}
	return nil
}
func (e *blockThenPanic) Shutdown(context.Context) error { return nil }

// A flush whose spans an export that panicked had taken reports it.
func TestSpanProcessorFlushReportsAPanickedExport(t *testing.T) {
	exp := &blockThenPanic{block: make(chan struct{}), started: make(chan struct{}, 1)}
	p := tracing.NewSpanProcessor(exp)
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(p))
	_, s := tp.Tracer("app").Start(context.Background(), "F's span")
	s.End()
	hdone := make(chan any)
	go func() {
		defer func() { hdone <- recover() }()
		_ = p.ForceFlush(context.Background())
	}()
	<-exp.started // H's export took F's span
	fctx := waiting(context.Background())
	fdone := make(chan error)
	go func() { fdone <- p.ForceFlush(fctx) }()
	<-fctx.asked
	close(exp.block)
	assert.NotNil(t, <-hdone, "H's export did not panic")
	ferr := <-fdone
	assert.Empty(t, exp.names)
	assert.ErrorContains(t, ferr, "the exporter panicked", "F's span was never exported, and F returned nil")
}

// flushHeldUp ends a span named name and starts a flush, and returns its
// result once the export has started (on started): the exporter's block
// holds it up until the test closes it.
func flushHeldUp(tr trace.Tracer, p *tracing.SpanProcessor, started <-chan struct{}, name string) <-chan error {
	_, s := tr.Start(context.Background(), name)
	s.End()
	done := make(chan error, 1)
	go func() { done <- p.ForceFlush(context.Background()) }()
	<-started
	return done
}
