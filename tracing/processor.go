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
// flushing goroutine: nothing of it runs between invocations, when the
// execution environment may be frozen anyway.
//
// The SDK's batch span processor (sdktrace.WithBatcher) hands every ended
// span to a goroutine of its own, and a flush to that goroutine and to one
// more that it starts for the export: wake-ups that cost more than the rest
// of the tracing of a small invocation. A SpanProcessor appends the span to
// a slice under a lock, and a flush calls the exporter directly.
//
// Unsampled spans are not exported. When the buffer reaches
// MaxBufferedSpans, its spans are exported at once, in a goroutine of their
// own so that ending a span never waits for an export; a flush waits for
// that export as for any other. Calls to the exporter never overlap, its
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
	// After the exporter's Shutdown it is never given back.
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
	late     bool
	exports  uint64 // exports finished
	failedAt uint64 // the number of the last export that failed, 0 if none
	failed   error  // its error
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
	if len(p.spans) >= 2*MaxBufferedSpans {
		p.dropped++
		p.mu.Unlock()
		return
	}
	p.spans = append(p.spans, s)
	full := len(p.spans) >= MaxBufferedSpans
	p.mu.Unlock()
	if !full {
		return
	}
	select {
	case <-p.exporting:
	default:
		return // the export running, or the next, takes them
	}
	go func() {
		defer p.release()
		ctx, cancel := context.WithTimeout(context.Background(), overflowExportTimeout)
		defer cancel()
		if err := p.exportBatch(ctx, math.MaxUint64); err != nil {
			otel.Handle(err)
		}
	}()
}

// ForceFlush exports the spans that ended before it was called. It returns
// the exporter's error, or that of an export in progress when it was
// called, which took those spans. It waits for an export in progress; if
// ctx ends first, it returns ctx's error and the spans wait for the next
// flush. After Shutdown it does nothing.
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
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
	defer p.release()
	return p.exportBatch(ctx, since)
}

// Shutdown exports what is left and shuts the exporter down; spans that end
// afterwards are dropped, and flushes do nothing. It waits for an export in
// progress; if ctx ends first, it returns ctx's error, and that export shuts
// the exporter down when it ends. A second call waits for the first.
func (p *SpanProcessor) Shutdown(ctx context.Context) error {
	p.mu.Lock()
	first := !p.stopped
	p.stopped = true
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
	// A free token wins over a context that has ended: select would pick
	// either.
	select {
	case <-p.exporting:
	default:
		select {
		case <-p.exporting:
		case <-ctx.Done():
			return p.shutdownLate(ctx)
		}
	}
	err := p.exportBatch(ctx, math.MaxUint64)
	return errors.Join(err, p.shutdownExporter(ctx))
}

// shutdownLate leaves the exporter's shutdown to the export in progress,
// when Shutdown's context ended before it.
func (p *SpanProcessor) shutdownLate(ctx context.Context) error {
	p.mu.Lock()
	p.late = true
	p.mu.Unlock()
	// The export may have given the token back before it could see late.
	select {
	case <-p.exporting:
	default:
		return ctx.Err()
	}
	p.mu.Lock()
	p.late = false
	p.mu.Unlock()
	return errors.Join(ctx.Err(), p.shutdownExporter(ctx))
}

// shutdownExporter shuts the exporter down. The caller holds the token,
// and keeps it.
func (p *SpanProcessor) shutdownExporter(ctx context.Context) error {
	defer close(p.done)
	p.mu.Lock()
	clear(p.spans) // left unexported: Shutdown's context ended first
	p.spans, p.spare = nil, nil
	p.mu.Unlock()
	return p.exporter.Shutdown(ctx)
}

// release gives the token back, or, when Shutdown has left it the task,
// shuts the exporter down instead.
func (p *SpanProcessor) release() {
	p.mu.Lock()
	late := p.late
	p.late = false
	p.mu.Unlock()
	if !late {
		p.exporting <- struct{}{}
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), lateShutdownTimeout)
	defer cancel()
	if err := p.shutdownExporter(ctx); err != nil {
		otel.Handle(err)
	}
}

// exportBatch exports the buffered spans; the caller holds the token. It
// returns the export's error or, when that succeeded, the error of the last
// export that failed after the since-th.
func (p *SpanProcessor) exportBatch(ctx context.Context, since uint64) error {
	p.mu.Lock()
	batch := p.spans
	p.spans, p.spare = p.spare, nil
	dropped := p.dropped
	p.dropped = 0
	p.mu.Unlock()
	if dropped > 0 {
		otel.Handle(fmt.Errorf("lambdaguard tracing: %d spans dropped: %d were waiting while an export ran", dropped, 2*MaxBufferedSpans))
	}
	var err error
	if len(batch) > 0 {
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
