package tracing

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// MaxBufferedSpans is how many ended spans a SpanProcessor holds before it
// exports them without waiting for a flush.
const MaxBufferedSpans = 2048

// overflowExportTimeout bounds an export made because the buffer is full:
// OnEnd has no context of its own. It is the batch span processor's default.
const overflowExportTimeout = 30 * time.Second

// SpanProcessor is a span processor for functions whose TracerProvider is
// flushed after every invocation, as WithTracing and Middleware do. It
// holds ended spans in memory and exports them when flushed, in the
// flushing goroutine: nothing runs between invocations, when the execution
// environment may be frozen anyway.
//
// The SDK's batch span processor (sdktrace.WithBatcher) hands every ended
// span to a goroutine of its own, and a flush to that goroutine and to one
// more that it starts for the export: wake-ups that cost more than the rest
// of the tracing of a small invocation. A SpanProcessor appends the span to
// a slice under a lock, and a flush calls the exporter directly.
//
// Unsampled spans are not exported. When MaxBufferedSpans spans wait, the
// span that ends next is exported with them at once, in the goroutine that
// ends it, rather than dropped (see OnEnd). Exports are never concurrent: a flush waits
// for the export in progress, or for its context to end, in which case its
// spans stay for the next flush. An export that fails loses its spans, as
// with the batch span processor; ForceFlush returns the error.
//
// A SpanProcessor is safe for concurrent use by the invocations of one
// process. Create it with NewSpanProcessor.
type SpanProcessor struct {
	exporter sdktrace.SpanExporter
	// exporting holds one token: whoever holds it may call the exporter.
	exporting chan struct{}

	mu      sync.Mutex
	spans   []sdktrace.ReadOnlySpan // ended, waiting for the next export
	spare   []sdktrace.ReadOnlySpan // an exported batch's memory, cleared
	dropped int                     // spans dropped since the last export
	stopped bool
}

var _ sdktrace.SpanProcessor = (*SpanProcessor)(nil)

// NewSpanProcessor returns a SpanProcessor that exports to exporter. Register
// it with sdktrace.WithSpanProcessor in place of sdktrace.WithBatcher:
//
//	tp := sdktrace.NewTracerProvider(sdktrace.WithResource(res),
//		sdktrace.WithSpanProcessor(tracing.NewSpanProcessor(exporter)))
func NewSpanProcessor(exporter sdktrace.SpanExporter) *SpanProcessor {
	p := &SpanProcessor{exporter: exporter, exporting: make(chan struct{}, 1)}
	p.exporting <- struct{}{}
	return p
}

// OnStart does nothing.
func (p *SpanProcessor) OnStart(context.Context, sdktrace.ReadWriteSpan) {}

// OnEnd keeps a sampled span for the next export. When the buffer is full,
// it exports the buffered spans and this one before it returns, unless an
// export is running already (an exporter that makes spans of its own ends
// them while it exports): then the span waits too, up to twice
// MaxBufferedSpans, past which it is dropped and counted.
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
		return // the export running takes them, or the next
	}
	ctx, cancel := context.WithTimeout(context.Background(), overflowExportTimeout)
	defer cancel()
	if err := p.exportHolding(ctx); err != nil {
		otel.Handle(err)
	}
}

// ForceFlush exports the spans that ended before it was called, and returns
// the exporter's error. It waits for an export in progress; if ctx ends
// first, it returns ctx's error and the spans wait for the next flush.
func (p *SpanProcessor) ForceFlush(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return p.export(ctx)
}

// Shutdown exports what is left and shuts the exporter down. Spans that end
// afterwards are dropped. Only the first call does anything.
func (p *SpanProcessor) Shutdown(ctx context.Context) error {
	p.mu.Lock()
	if p.stopped {
		p.mu.Unlock()
		return nil
	}
	p.stopped = true
	p.mu.Unlock()
	if p.exporter == nil {
		return nil
	}
	err := p.export(ctx)
	return errors.Join(err, p.exporter.Shutdown(ctx))
}

// export hands the buffered spans to the exporter, once it holds the
// exporting token.
func (p *SpanProcessor) export(ctx context.Context) error {
	if p.exporter == nil {
		return nil
	}
	select {
	case <-p.exporting:
	case <-ctx.Done():
		return ctx.Err()
	}
	return p.exportHolding(ctx)
}

// exportHolding exports the buffered spans; the caller took the exporting
// token, which it gives back.
func (p *SpanProcessor) exportHolding(ctx context.Context) error {
	defer func() { p.exporting <- struct{}{} }()

	p.mu.Lock()
	batch := p.spans
	p.spans, p.spare = p.spare, nil
	dropped := p.dropped
	p.dropped = 0
	p.mu.Unlock()
	if dropped > 0 {
		otel.Handle(fmt.Errorf("lambdaguard tracing: %d spans dropped: %d were waiting while an export ran", dropped, 2*MaxBufferedSpans))
	}
	if len(batch) == 0 {
		p.putSpare(batch)
		return nil
	}
	err := p.exporter.ExportSpans(ctx, batch)
	clear(batch) // the spans are not kept past their export
	p.putSpare(batch[:0])
	return err
}

// putSpare keeps an exported batch's memory for the next batch, unless a
// batch already uses it.
func (p *SpanProcessor) putSpare(batch []sdktrace.ReadOnlySpan) {
	p.mu.Lock()
	if p.spare == nil && cap(batch) <= 2*MaxBufferedSpans {
		p.spare = batch
	}
	p.mu.Unlock()
}
