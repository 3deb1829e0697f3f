package tracing_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/trace"

	"github.com/lambdaguard/lambdaguard/guard"
	"github.com/lambdaguard/lambdaguard/tracing"
)

func TestLogHandler(t *testing.T) {
	lambdaEnv(t)
	tp, sr := recorder(t)
	var buf bytes.Buffer
	log := slog.New(tracing.NewLogHandler(slog.NewJSONHandler(&buf, nil)))

	h := guard.Wrap(func(ctx context.Context, _ events.SQSEvent) (string, error) {
		log.InfoContext(ctx, "processing", "messages", 1)
		log.With("component", "store").InfoContext(ctx, "stored")
		log.Info("no context")
		return "", nil
	}, guard.WithTempBase(t.TempDir()), tracing.WithTracing(tracing.WithTracerProvider(tp)))
	_, err := h(invocation("req-9", ""), decode[events.SQSEvent](t, "sqs-single.json"))
	require.NoError(t, err)

	sc := only(t, sr).SpanContext()
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	require.Len(t, lines, 3)
	for i, line := range lines[:2] {
		var rec map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &rec))
		assert.Equal(t, sc.TraceID().String(), rec["trace_id"], "line %d", i)
		assert.Equal(t, sc.SpanID().String(), rec["span_id"], "line %d", i)
		assert.Equal(t, "01", rec["trace_flags"], "line %d", i)
		assert.Equal(t, "req-9", rec["requestId"], "line %d", i)
		assert.Equal(t, true, rec["coldStart"], "line %d", i)
	}
	assert.NotContains(t, lines[2], "trace_id", "a record made without the context has no ids")
}

// Wrapped around aws-lambda-go's handler, the ids are added and requestId is
// left to it: one requestId a line.
func TestLogHandlerAroundLambdaContext(t *testing.T) {
	lambdaEnv(t)
	tp, sr := recorder(t)

	// lambdacontext's handler writes to os.Stdout as it is when made.
	f, err := os.CreateTemp(t.TempDir(), "stdout")
	require.NoError(t, err)
	stdout := os.Stdout
	os.Stdout = f
	inner := lambdacontext.NewLogHandler()
	os.Stdout = stdout
	log := slog.New(tracing.NewLogHandler(inner))

	h := guard.Wrap(func(ctx context.Context, _ events.SQSEvent) (string, error) {
		log.InfoContext(ctx, "processing")
		return "", nil
	}, guard.WithTempBase(t.TempDir()), tracing.WithTracing(tracing.WithTracerProvider(tp)))
	_, err = h(invocation("req-10", ""), decode[events.SQSEvent](t, "sqs-single.json"))
	require.NoError(t, err)
	require.NoError(t, f.Close())

	out, err := os.ReadFile(f.Name())
	require.NoError(t, err)
	line := string(out)
	sc := only(t, sr).SpanContext()
	assert.Contains(t, line, "trace_id="+sc.TraceID().String())
	assert.Contains(t, line, "span_id="+sc.SpanID().String())
	assert.Contains(t, line, "trace_flags="+sc.TraceFlags().String())
	assert.Contains(t, line, "coldStart=true")
	assert.Equal(t, 1, strings.Count(line, "requestId="), line)
	assert.Contains(t, line, "requestId=req-10")
}

func TestLogHandlerOutsideInvocation(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(tracing.NewLogHandler(slog.NewJSONHandler(&buf, nil)))
	tp, _ := recorder(t)
	ctx, span := tp.Tracer("t").Start(context.Background(), "job")
	log.InfoContext(ctx, "a span but no invocation")
	span.End()
	assert.Contains(t, buf.String(), `"trace_id":"`+trace.SpanContextFromContext(ctx).TraceID().String())
	assert.NotContains(t, buf.String(), "requestId")
}

// guard.NewLogHandler around this package's handler: the guard's keys
// (function name and version, cold start, AddLogAttrs) and the trace ids on
// one record, cold start once.
func TestLogHandlerUnderGuardsHandler(t *testing.T) {
	lambdaEnv(t)
	tp, _ := recorder(t)
	var buf bytes.Buffer
	log := slog.New(guard.NewLogHandler(tracing.NewLogHandler(slog.NewJSONHandler(&buf, nil))))
	h := guard.Wrap(func(ctx context.Context, _ events.SQSEvent) (string, error) {
		_ = guard.AddLogAttrs(ctx, slog.String("tenant", "acme"))
		log.InfoContext(ctx, "inside")
		return "", nil
	}, guard.WithTempBase(t.TempDir()), tracing.WithTracing(tracing.WithTracerProvider(tp)))
	_, err := h(invocation("req-composed", ""), events.SQSEvent{})
	require.NoError(t, err)
	line := strings.TrimSpace(buf.String())
	assert.Equal(t, 1, strings.Count(line, `"coldStart"`), line)
	for _, key := range []string{`"functionName":"orders"`, `"functionVersion":"7"`, `"tenant":"acme"`, `"trace_id":`, `"span_id":`, `"trace_flags":`, `"requestId":"req-composed"`} {
		assert.Contains(t, line, key)
	}
}
