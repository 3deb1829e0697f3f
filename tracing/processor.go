package tracing

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// MaxBufferedSpans is how many ended spans a SpanProcessor holds before it
// exports them without waiting for a flush. While that export runs, up to
// twice as many wait; past that, spans are dropped (see OnEnd).
const MaxBufferedSpans = 2048

// overflowExportTimeout bounds an export started because the buffer is
// full, which has no caller's context. It is the batch span processor's
// default export timeout.
const overflowExportTimeout = 30 * time.Second

// lateShutdownTimeout bounds the exporter's shutdown when it is left to the
// export that was running when Shutdown's context ended.
const lateShutdownTimeout = time.Second

// SpanProcessor is a span processor for functions whose TracerProvider is
// flushed after every invocation, as WithTracing and Middleware do. It
// holds ended spans in memory and exports them when flushed, in the
// flushing goroutine: it keeps no goroutine of its own, to be frozen
// between invocations.
//
// The SDK's batch span processor (sdktrace.WithBatcher) hands every ended
// span to a goroutine of its own, and a flush to that goroutine and to one
// more that it starts for the export: wake-ups that cost more than the rest
// of the tracing of a small invocation. A SpanProcessor appends the span to
// a slice under a lock, and a flush calls the exporter directly.
//
// Unsampled spans are not exported. When the buffer reaches
// MaxBufferedSpans, its spans are exported at once, in a goroutine started
// for that export, so that ending a span never waits; a flush waits for
// that export as for any other (if the flush gives up first, the export
// goes on past the invocation). Calls to the exporter never overlap, its
// Shutdown included. A flush that waits for an export in progress gives up
// when its context ends, and its spans stay for the next flush. An export
// that fails loses its spans, as with the batch span processor; the error
// goes to every flush that was waiting for those spans.
//
// A SpanProcessor is safe for concurrent use by the invocations of one
// process. Create it with NewSpanProcessor.
type SpanProcessor struct {
	exporter sdktrace.SpanExporter
	// exporting holds one token: whoever holds it may call the exporter.
	// After the exporter's Shutdown it is never given back. It is given
	// back, and taken without waiting, only under mu.
	exporting chan struct{}
	// done is closed when the exporter has been shut down.
	done chan struct{}

	mu      sync.Mutex
	spans   []sdktrace.ReadOnlySpan // ended, waiting for the next export
	spare   []sdktrace.ReadOnlySpan // an exported batch's memory, cleared
	dropped int                     // spans dropped since the last export
	stopped bool                    // Shutdown was called
	// late: Shutdown's context ended while an export ran; the export
	// shuts the exporter down when it ends, instead of giving the token
	// back.
	late      bool
	exports   uint64 // exports finished
	failedAt  uint64 // the number of the last export that failed, 0 if none
	failed    error  // its error
	discarded int    // spans the exporter's Shutdown came before
}

var _ sdktrace.SpanProcessor = (*SpanProcessor)(nil)

// NewSpanProcessor returns a SpanProcessor that exports to exporter. Register
// it with sdktrace.WithSpanProcessor in place of sdktrace.WithBatcher:
//
//	tp := sdktrace.NewTracerProvider(sdktrace.WithResource(res),
//		sdktrace.WithSpanProcessor(tracing.NewSpanProcessor(exporter)))
func NewSpanProcessor(exporter sdktrace.SpanExporter) *SpanProcessor {
	p := &SpanProcessor{exporter: exporter, exporting: make(chan struct{}, 1), done: make(chan struct{})}
	p.exporting <- struct{}{}
	return p
}

// OnStart does nothing.
func (p *SpanProcessor) OnStart(context.Context, sdktrace.ReadWriteSpan) {}

// OnEnd keeps a sampled span for the next export, and never waits. When the
// buffer reaches MaxBufferedSpans and no export runs, it starts one in a
// goroutine. While an export runs, spans wait up to twice
// MaxBufferedSpans; past that they are dropped, and their number reported
// through OpenTelemetry's error handler (otel.Handle) at the next export.
func (p *SpanProcessor) OnEnd(s sdktrace.ReadOnlySpan) {
	if p.exporter == nil || !s.SpanContext().IsSampled() {
		return
	}
	p.mu.Lock()
	if p.stopped {
		p.mu.Unlock()
		return
	}
	if len(p.spans) < 2*MaxBufferedSpans {
		p.spans = append(p.spans, s)
		s = nil
	}
	if len(p.spans) < MaxBufferedSpans || !p.tryTake() {
		if s != nil {
			p.dropped++
		}
		p.mu.Unlock()
		return
	}
	// This goroutine holds the token: the buffer is its batch.
	batch, dropped := p.takeBatch()
	if s != nil {
		p.spans = append(p.spans, s)
	}
	p.mu.Unlock()
	go p.exportOverflow(batch, dropped)
}

// tryTake takes the token if it is free. The caller holds mu.
func (p *SpanProcessor) tryTake() bool {
	select {
	case <-p.exporting:
		return true
	default:
		return false
	}
}

// exportOverflow exports a full buffer's batch, taken by whoever holds the
// token for it.
func (p *SpanProcessor) exportOverflow(batch []sdktrace.ReadOnlySpan, dropped int) {
	ctx, cancel := context.WithTimeout(context.Background(), overflowExportTimeout)
	defer cancel()
	defer p.release(ctx)
	if err := p.send(ctx, batch, dropped, math.MaxUint64); err != nil {
		otel.Handle(err)
	}
}

// ForceFlush exports the spans that ended before it was called. It returns
// the exporter's error, or that of an export in progress when it was
// called, which took those spans. It waits for an export in progress; if
// ctx ends first, it returns ctx's error and the spans wait for the next
// flush. Called once Shutdown has begun it does nothing (Shutdown exports
// what is left, and returns the outcome); overtaken by Shutdown while it
// waited, it returns an error if spans were not exported.
func (p *SpanProcessor) ForceFlush(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if p.exporter == nil {
		return nil
	}
	p.mu.Lock()
	stopped, since := p.stopped, p.exports
	p.mu.Unlock()
	if stopped {
		return nil
	}
	select {
	case <-p.exporting:
	case <-p.done:
		return p.lostTo(since)
	case <-ctx.Done():
		return ctx.Err()
	}
	defer p.release(ctx)
	p.mu.Lock()
	batch, dropped := p.takeBatch()
	p.mu.Unlock()
	return p.send(ctx, batch, dropped, since)
}

// lostTo returns what became of the spans of a flush that Shutdown
// overtook: the error of an export that ended since, or the spans that
// the exporter's Shutdown came before.
func (p *SpanProcessor) lostTo(since uint64) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.failedAt > since {
		return p.failed
	}
	if p.discarded > 0 {
		return fmt.Errorf("lambdaguard tracing: %d spans not exported: the span processor was shut down first", p.discarded)
	}
	return nil
}

// Shutdown exports what is left and shuts the exporter down; spans that end
// afterwards are dropped, and flushes do nothing. It waits for an export in
// progress; if ctx ends first, it returns ctx's error, and that export shuts
// the exporter down when it ends. A second call waits for the first.
func (p *SpanProcessor) Shutdown(ctx context.Context) error {
	p.mu.Lock()
	first := !p.stopped
	p.stopped = true
	// A free token wins over a context that has ended: select would pick
	// either.
	took := first && p.exporter != nil && p.tryTake()
	p.mu.Unlock()
	if p.exporter == nil {
		return nil
	}
	if !first {
		select {
		case <-p.done:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if !took {
		select {
		case <-p.exporting:
		case <-ctx.Done():
			return p.shutdownLate(ctx)
		}
	}
	sent := false
	defer func() {
		if !sent { // the exporter panicked: shut it down all the same
			_ = p.shutdownExporter(ctx)
		}
	}()
	p.mu.Lock()
	batch, dropped := p.takeBatch()
	p.mu.Unlock()
	err := p.send(ctx, batch, dropped, math.MaxUint64)
	sent = true
	return errors.Join(err, p.shutdownExporter(ctx))
}

// shutdownLate leaves the exporter's shutdown to the export in progress,
// when Shutdown's context ended before it; or, if that export has just
// given the token back, shuts the exporter down itself.
func (p *SpanProcessor) shutdownLate(ctx context.Context) error {
	p.mu.Lock()
	if !p.tryTake() {
		p.late = true // the holder's release sees it: both under mu
		p.mu.Unlock()
		return ctx.Err()
	}
	p.mu.Unlock()
	return errors.Join(ctx.Err(), p.shutdownExporter(ctx))
}

// shutdownExporter shuts the exporter down, within ctx. The caller holds
// the token, and keeps it.
func (p *SpanProcessor) shutdownExporter(ctx context.Context) error {
	defer close(p.done)
	p.mu.Lock()
	p.discarded += len(p.spans) // left unexported: Shutdown's context ended first
	clear(p.spans)
	p.spans, p.spare = nil, nil
	p.mu.Unlock()
	return p.exporter.Shutdown(ctx)
}

// release ends the holder's turn: it gives the token back (a buffer that
// filled meanwhile is exported when the next span ends, or by the next
// flush); or, when Shutdown has left it the task, shuts the exporter down
// (within lateShutdownTimeout).
func (p *SpanProcessor) release(ctx context.Context) {
	p.mu.Lock()
	if !p.late {
		p.exporting <- struct{}{} // never waits: this was the only token
		p.mu.Unlock()
		return
	}
	p.late = false
	p.mu.Unlock()
	// The holder's context may well have ended: a slow export is what
	// made Shutdown late.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), lateShutdownTimeout)
	defer cancel()
	if err := p.shutdownExporter(ctx); err != nil {
		otel.Handle(err)
	}
}

// takeBatch takes the buffered spans for an export, and the count of those
// dropped since the last. The caller holds mu, and the token.
func (p *SpanProcessor) takeBatch() ([]sdktrace.ReadOnlySpan, int) {
	batch, dropped := p.spans, p.dropped
	p.spans, p.spare, p.dropped = p.spare, nil, 0
	return batch, dropped
}

// send exports a batch, and reports the spans dropped before it; the
// caller holds the token. It returns the export's error or, when that
// succeeded, the error of the last export that failed after the since-th.
func (p *SpanProcessor) send(ctx context.Context, batch []sdktrace.ReadOnlySpan, dropped int, since uint64) error {
	if dropped > 0 {
		otel.Handle(fmt.Errorf("lambdaguard tracing: %d spans dropped: %d were waiting while an export ran", dropped, 2*MaxBufferedSpans))
	}
	var err error
	if len(batch) > 0 {
		defer func() {
			if r := recover(); r != nil {
				// The flushes waiting for these spans learn they are lost.
				p.mu.Lock()
				p.exports++
				p.failed, p.failedAt = fmt.Errorf("lambdaguard tracing: the exporter panicked: %v", r), p.exports
				p.mu.Unlock()
				panic(r)
			}
		}()
		err = p.exporter.ExportSpans(ctx, batch)
		clear(batch) // the spans are not kept past their export
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.spare == nil && cap(batch) <= 2*MaxBufferedSpans {
		p.spare = batch[:0]
	}
	if len(batch) > 0 {
		p.exports++
		if err != nil {
			p.failed, p.failedAt = err, p.exports
		}
	}
	if err == nil && p.failedAt > since {
		err = p.failed
	}
	return err
}
