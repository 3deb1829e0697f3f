package tracing_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/lambdaguard/lambdaguard/guard"
	"github.com/lambdaguard/lambdaguard/scope"
	"github.com/lambdaguard/lambdaguard/tracing"
)

var errDeclined = errors.New("payment declined")

func eventAttr(t *testing.T, ev sdktrace.Event, key string) string {
	t.Helper()
	for _, kv := range ev.Attributes {
		if string(kv.Key) == key {
			return kv.Value.String()
		}
	}
	return ""
}

func TestHandlerError(t *testing.T) {
	lambdaEnv(t)
	tp, sr := recorder(t)
	h := guard.Wrap(func(context.Context, events.SQSEvent) (string, error) { return "", errDeclined },
		guard.WithTempBase(t.TempDir()), tracing.WithTracing(tracing.WithTracerProvider(tp)))
	_, err := h(invocation("r", ""), decode[events.SQSEvent](t, "sqs-single.json"))
	require.ErrorIs(t, err, errDeclined, "the handler's error is returned unchanged")

	s := only(t, sr)
	assert.Equal(t, "Error", s.Status().Code.String())
	assert.Equal(t, "payment declined", s.Status().Description)
	require.Len(t, s.Events(), 1)
	assert.Equal(t, "exception", s.Events()[0].Name)
	assert.Equal(t, "payment declined", eventAttr(t, s.Events()[0], "exception.message"))
	assert.Equal(t, "*errors.errorString", attrsOf(s)["error.type"].AsString())
}

func TestHandlerPanic(t *testing.T) {
	lambdaEnv(t)
	tp, sr := recorder(t)
	h := guard.Wrap(func(context.Context, events.APIGatewayV2HTTPRequest) (string, error) { panic("nil map write") },
		guard.WithTempBase(t.TempDir()), tracing.WithTracing(tracing.WithTracerProvider(tp)))
	assert.PanicsWithValue(t, "nil map write", func() {
		_, _ = h(invocation("r", ""), decode[events.APIGatewayV2HTTPRequest](t, "apigw-v2.json"))
	}, "the panic goes on with its own value")

	s := only(t, sr)
	assert.Equal(t, "Error", s.Status().Code.String())
	require.Len(t, s.Events(), 1)
	ev := s.Events()[0]
	assert.Equal(t, "exception", ev.Name)
	assert.Equal(t, "panic: nil map write", eventAttr(t, ev, "exception.message"))
	assert.Contains(t, eventAttr(t, ev, "exception.stacktrace"), "TestHandlerPanic")
	assert.Equal(t, "0af7651916cd43dd8448eb211c80319c", s.Parent().TraceID().String())
}

// flushExporter records the spans it gets. Its batcher never exports on its
// own within a test, so a span it holds was flushed.
type flushExporter struct {
	mu    sync.Mutex
	spans []sdktrace.ReadOnlySpan
}

func (e *flushExporter) ExportSpans(_ context.Context, spans []sdktrace.ReadOnlySpan) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.spans = append(e.spans, spans...)
	return nil
}

func (e *flushExporter) Shutdown(context.Context) error { return nil }

func (e *flushExporter) count() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.spans)
}

func batched(t *testing.T) (*sdktrace.TracerProvider, *flushExporter) {
	exp := &flushExporter{}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp, sdktrace.WithBatchTimeout(time.Hour), sdktrace.WithMaxExportBatchSize(1000)))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return tp, exp
}

func TestFlushBeforeReturn(t *testing.T) {
	for _, tt := range []struct {
		name    string
		handler func(context.Context, events.SQSEvent) (string, error)
	}{
		{"result", func(context.Context, events.SQSEvent) (string, error) { return "ok", nil }},
		{"error", func(context.Context, events.SQSEvent) (string, error) { return "", errDeclined }},
		{"background work", func(ctx context.Context, _ events.SQSEvent) (string, error) {
			// Spans of work the guard waits for are flushed too.
			// The scope hands Go work its own context, which does not hold
			// the invocation's span: carry it over.
			parent := trace.SpanFromContext(ctx)
			err := guardGo(ctx, func(ctx context.Context) error {
				ctx = trace.ContextWithSpan(ctx, parent)
				_, span := tracerOf(ctx).Start(ctx, "audit")
				time.Sleep(5 * time.Millisecond)
				span.End()
				return nil
			})
			return "", err
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			lambdaEnv(t)
			tp, exp := batched(t)
			h := guard.Wrap(tt.handler, guard.WithTempBase(t.TempDir()), tracing.WithTracing(tracing.WithTracerProvider(tp)))
			_, _ = h(invocation("r", ""), decode[events.SQSEvent](t, "sqs-single.json"))
			want := 1
			if tt.name == "background work" {
				want = 2
			}
			assert.Equal(t, want, exp.count(), "exported before the wrapped handler returned")
		})
	}
	t.Run("panic", func(t *testing.T) {
		lambdaEnv(t)
		tp, exp := batched(t)
		h := guard.Wrap(func(context.Context, events.SQSEvent) (string, error) { panic("boom") },
			guard.WithTempBase(t.TempDir()), tracing.WithTracing(tracing.WithTracerProvider(tp)))
		assert.Panics(t, func() { _, _ = h(invocation("r", ""), decode[events.SQSEvent](t, "sqs-single.json")) })
		assert.Equal(t, 1, exp.count())
	})
	t.Run("flush off", func(t *testing.T) {
		lambdaEnv(t)
		tp, exp := batched(t)
		h := guard.Wrap(func(context.Context, events.SQSEvent) (string, error) { return "", nil },
			guard.WithTempBase(t.TempDir()), tracing.WithTracing(tracing.WithTracerProvider(tp), tracing.WithFlushTimeout(0)))
		_, _ = h(invocation("r", ""), decode[events.SQSEvent](t, "sqs-single.json"))
		assert.Equal(t, 0, exp.count())
	})
}

func guardGo(ctx context.Context, fn func(context.Context) error) error {
	return scope.From(ctx).Go(fn)
}

func tracerOf(ctx context.Context) trace.Tracer {
	return trace.SpanFromContext(ctx).TracerProvider().Tracer("test")
}
