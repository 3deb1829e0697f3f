package tracing_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const invokedARN = "arn:aws:lambda:eu-west-1:123456789012:function:orders:live"

// lambdaEnv sets the variables Lambda sets for an on-demand environment of
// the function "orders", version 7. Options read them when they are made.
func lambdaEnv(t *testing.T) {
	t.Setenv("AWS_LAMBDA_FUNCTION_NAME", "orders")
	t.Setenv("AWS_LAMBDA_FUNCTION_VERSION", "7")
	t.Setenv("AWS_REGION", "eu-west-1")
	t.Setenv("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand")
	t.Setenv("AWS_LAMBDA_MAX_CONCURRENCY", "")
	t.Setenv("_X_AMZN_TRACE_ID", "")
	t.Setenv("OTEL_PROPAGATORS", "")
}

// recorder returns an SDK provider that records every span in memory.
func recorder(t testing.TB, opts ...sdktrace.TracerProviderOption) (*sdktrace.TracerProvider, *tracetest.SpanRecorder) {
	sr := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(append(opts, sdktrace.WithSpanProcessor(sr))...)
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return tp, sr
}

// invocation returns a context as aws-lambda-go builds it for one invocation,
// with the Lambda trace header when xrayHeader is not empty.
func invocation(reqID, xrayHeader string) context.Context {
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{
		AwsRequestID:       reqID,
		InvokedFunctionArn: invokedARN,
	})
	if xrayHeader != "" {
		//lint:ignore SA1029 aws-lambda-go's own key is this plain string
		ctx = context.WithValue(ctx, "x-amzn-trace-id", xrayHeader)
	}
	return ctx
}

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return b
}

func decode[T any](t testing.TB, name string) T {
	t.Helper()
	var v T
	require.NoError(t, json.Unmarshal(fixture(t, name), &v))
	return v
}

// rawHandler is a byte-level lambda.Handler.
type rawHandler func(context.Context, []byte) ([]byte, error)

func (h rawHandler) Invoke(ctx context.Context, p []byte) ([]byte, error) { return h(ctx, p) }

func attrsOf(s sdktrace.ReadOnlySpan) map[attribute.Key]attribute.Value {
	m := make(map[attribute.Key]attribute.Value)
	for _, kv := range s.Attributes() {
		m[kv.Key] = kv.Value
	}
	return m
}

// only returns the one span recorded.
func only(t testing.TB, sr *tracetest.SpanRecorder) sdktrace.ReadOnlySpan {
	t.Helper()
	spans := sr.Ended()
	require.Len(t, spans, 1)
	return spans[0]
}

func linkedTraces(s sdktrace.ReadOnlySpan) []string {
	var ids []string
	for _, l := range s.Links() {
		ids = append(ids, l.SpanContext.TraceID().String())
	}
	return ids
}
