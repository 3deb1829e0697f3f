package tracing

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

type countingExporter struct{ n atomic.Int32 }

func (e *countingExporter) ExportSpans(_ context.Context, s []sdktrace.ReadOnlySpan) error {
	e.n.Add(int32(len(s)))
	return nil
}

func (e *countingExporter) Shutdown(context.Context) error { return nil }

// The shutdown hook WithTracing gives the guard shuts the provider down,
// which exports what it still held.
func TestShutdownHook(t *testing.T) {
	exp := &countingExporter{}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp))
	_, span := tp.Tracer("t").Start(context.Background(), "left over")
	span.End()
	require.NoError(t, newTracer([]Option{WithTracerProvider(tp)}).shutdown(context.Background()))
	assert.EqualValues(t, 1, exp.n.Load(), "shutdown exports what the provider held")
}
