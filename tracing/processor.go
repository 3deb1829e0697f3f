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

// maxBufferedSpans is how many ended spans the processor holds before it
// exports them without waiting for a flush.
const maxBufferedSpans = 2048

// fullBufferTimeout bounds an export started because the buffer is full,
// which has no caller's context: the batch span processor's default export
// timeout.
const fullBufferTimeout = 30 * time.Second

// NewSpanProcessor returns the span processor for a function whose
// TracerProvider is flushed after every invocation, as WithTracing does.
// Register it in place of sdktrace.WithBatcher:
//
//	tp := sdktrace.NewTracerProvider(sdktrace.WithResource(res),
//		sdktrace.WithSpanProcessor(tracing.NewSpanProcessor(exporter)))
//
// It is the SDK's simple span processor turned around: a mutex around the
// exporter, and ended spans kept in a buffer that ForceFlush exports,
// rather than one export per span. Unsampled spans are not kept. A flush
// exports the spans that ended before it, and returns when the exporter
// returns or when its context ends, whichever comes first: an exporter
// that ignores its context does not hold the invocation past its deadline
// (the export goes on, and the next flush's export waits for it). Calls to
// the exporter never overlap, its Shutdown included.
//
// When the buffer holds maxBufferedSpans (2048) spans, they are exported at
// once, in a goroutine of their own, so that ending a span never waits.
// An export that fails loses its spans, as with the batch span processor,
// and its error goes to the flush that asked for it, or to OpenTelemetry's
// error handler (otel.Handle) for an export no flush waits for.
//
// Shutdown exports what is left and shuts the exporter down, within its
// context; spans ended afterwards are dropped. It is safe for concurrent use
// by the invocations of one process.
func NewSpanProcessor(exporter sdktrace.SpanExporter) sdktrace.SpanProcessor {
	p := &spanProcessor{exporter: exporter, turn: make(chan struct{}, 1)}
	return p
}

type spanProcessor struct {
	exporter sdktrace.SpanExporter
	// turn is held by whoever calls the exporter: a mutex that a flush can
	// stop waiting for.
	turn chan struct{}

	mu      sync.Mutex
	spans   []sdktrace.ReadOnlySpan
	stopped bool
}

// OnStart does nothing.
func (p *spanProcessor) OnStart(context.Context, sdktrace.ReadWriteSpan) {}

// OnEnd keeps a sampled span for the next export.
func (p *spanProcessor) OnEnd(s sdktrace.ReadOnlySpan) {
	if p.exporter == nil || !s.SpanContext().IsSampled() {
		return
	}
	p.mu.Lock()
	if p.stopped {
		p.mu.Unlock()
		return
	}
	p.spans = append(p.spans, s)
	var full []sdktrace.ReadOnlySpan
	if len(p.spans) >= maxBufferedSpans {
		full, p.spans = p.spans, nil
	}
	p.mu.Unlock()
	if full != nil {
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), fullBufferTimeout)
			defer cancel()
			if err := <-p.export(ctx, full, false); err != nil {
				otel.Handle(err)
			}
		}()
	}
}

// ForceFlush exports the spans that ended before it was called, waiting for
// an export in progress as well, and returns the exporter's error; or ctx's,
// when ctx ends first.
func (p *spanProcessor) ForceFlush(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	p.mu.Lock()
	batch := p.spans
	p.spans = nil
	p.mu.Unlock()
	if len(batch) == 0 {
		select {
		case p.turn <- struct{}{}:
			// No export in progress: nothing that ended before is left.
			<-p.turn
			return nil
		default:
			// Wait for the export in progress (a full buffer's) as for one
			// of its own.
		}
	}
	return p.wait(ctx, p.export(ctx, batch, false))
}

// Shutdown exports what is left and shuts the exporter down. It returns
// when that is done or when ctx ends, with ctx's error then. A second call
// does nothing.
func (p *spanProcessor) Shutdown(ctx context.Context) error {
	p.mu.Lock()
	if p.stopped {
		p.mu.Unlock()
		return nil
	}
	p.stopped = true
	batch := p.spans
	p.spans = nil
	p.mu.Unlock()
	if p.exporter == nil {
		return nil
	}
	return p.wait(ctx, p.export(ctx, batch, true))
}

// export calls the exporter with batch (and then its Shutdown when
// shutdown is true) once its turn comes, in a goroutine of its own, and
// sends the outcome on the channel it returns. A panicking exporter's
// panic becomes the error.
func (p *spanProcessor) export(ctx context.Context, batch []sdktrace.ReadOnlySpan, shutdown bool) <-chan error {
	done := make(chan error, 1)
	go func() {
		var err error
		defer func() { done <- err }()
		p.turn <- struct{}{}
		defer func() { <-p.turn }()
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("tracing: the exporter panicked: %v", r)
			}
		}()
		if len(batch) > 0 {
			err = p.exporter.ExportSpans(ctx, batch)
		}
		if shutdown {
			err = errors.Join(err, p.exporter.Shutdown(ctx))
		}
	}()
	return done
}

// wait returns the outcome on done, or ctx's error if ctx ends first; the
// outcome of an export given up on goes to otel.Handle when it comes.
func (p *spanProcessor) wait(ctx context.Context, done <-chan error) error {
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		go func() {
			if err := <-done; err != nil {
				otel.Handle(err)
			}
		}()
		return ctx.Err()
	}
}
