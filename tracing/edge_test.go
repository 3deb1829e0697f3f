package tracing_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/lambdaguard/lambdaguard/guard"
	"github.com/lambdaguard/lambdaguard/tracing"
)

// A pointer event decoded from the JSON payload "null" is a nil pointer; the
// handler copes with it, and so must the tracing middleware.
func TestNilPointerEventDoesNotPanic(t *testing.T) {
	lambdaEnv(t)
	tp, _ := recorder(t)
	h := guard.Wrap(func(ctx context.Context, e *events.SQSEvent) (string, error) {
		if e == nil {
			return "no event", nil
		}
		return "ok", nil
	}, guard.WithTempBase(t.TempDir()), tracing.WithTracing(tracing.WithTracerProvider(tp)))
	var out string
	var err error
	require.NotPanics(t, func() { out, err = h(invocation("req-1", ""), nil) })
	require.NoError(t, err)
	assert.Equal(t, "no event", out)
}

type nilOrder struct {
	tracing.TraceContext
	ID string `json:"id"`
}

func TestNilCarrierEventDoesNotPanic(t *testing.T) {
	lambdaEnv(t)
	tp, _ := recorder(t)
	h := guard.Wrap(func(ctx context.Context, o *nilOrder) (string, error) { return "ok", nil },
		guard.WithTempBase(t.TempDir()), tracing.WithTracing(tracing.WithTracerProvider(tp)))
	require.NotPanics(t, func() { _, _ = h(invocation("req-1", ""), nil) })
}

// error.type is a string attribute ("500"), not an int.
func TestErrorTypeIsAString(t *testing.T) {
	lambdaEnv(t)
	tp, sr := recorder(t)
	h := guard.Wrap(func(ctx context.Context, _ events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		return events.APIGatewayV2HTTPResponse{StatusCode: 503}, nil
	}, guard.WithTempBase(t.TempDir()), tracing.WithTracing(tracing.WithTracerProvider(tp)))
	_, err := h(invocation("req-1", ""), decode[events.APIGatewayV2HTTPRequest](t, "apigw-v2.json"))
	require.NoError(t, err)
	v := attrsOf(only(t, sr))["error.type"]
	assert.Equal(t, attribute.STRING, v.Type(), "error.type has type %v", v.Type())
	assert.Equal(t, "503", v.String())
}

// A function URL handler returning *events.LambdaFunctionURLResponse gets its status recorded.
func TestFunctionURLPointerResponse(t *testing.T) {
	lambdaEnv(t)
	tp, sr := recorder(t)
	h := guard.Wrap(func(ctx context.Context, _ events.LambdaFunctionURLRequest) (*events.LambdaFunctionURLResponse, error) {
		return &events.LambdaFunctionURLResponse{StatusCode: 500}, nil
	}, guard.WithTempBase(t.TempDir()), tracing.WithTracing(tracing.WithTracerProvider(tp)))
	_, err := h(invocation("req-1", ""), events.LambdaFunctionURLRequest{
		Version: "2.0", RawPath: "/x",
		RequestContext: events.LambdaFunctionURLRequestContext{HTTP: events.LambdaFunctionURLRequestContextHTTPDescription{Method: "GET"}},
	})
	require.NoError(t, err)
	a := attrsOf(only(t, sr))
	assert.Equal(t, int64(500), a["http.response.status_code"].AsInt64())
}

// An ALB names the trace but no parent; Lambda's own header for the same
// trace has the real parent segment and the sampling decision: it wins.
func TestRootOnlyHeaderDefersToLambdasHeader(t *testing.T) {
	lambdaEnv(t)
	tp, sr := recorder(t)
	h := guard.Wrap(func(ctx context.Context, _ events.ALBTargetGroupRequest) (events.ALBTargetGroupResponse, error) {
		return events.ALBTargetGroupResponse{StatusCode: 200}, nil
	}, guard.WithTempBase(t.TempDir()), tracing.WithTracing(tracing.WithTracerProvider(tp)))
	ev := decode[events.ALBTargetGroupRequest](t, "alb.json")
	ctx := invocation("req-alb", "Root=1-67891233-abcdef012345678912345678;Parent=53995c3f42cd8ad8;Sampled=1")
	_, err := h(ctx, ev)
	require.NoError(t, err)
	s := only(t, sr)
	assert.Equal(t, "67891233abcdef012345678912345678", s.Parent().TraceID().String())
	assert.Equal(t, "53995c3f42cd8ad8", s.Parent().SpanID().String(), "the real parent segment")
}

// flushDeadline is a TracerProvider that records the deadline its
// ForceFlush was given.
type flushDeadline struct {
	*sdktrace.TracerProvider
	deadline time.Time
	has      bool
}

func (f *flushDeadline) ForceFlush(ctx context.Context) error {
	f.deadline, f.has = ctx.Deadline()
	return f.TracerProvider.ForceFlush(ctx)
}

// The flush runs within the invocation's deadline (not after it: Lambda
// would time the invocation out), even below the flush timeout.
func TestFlushWithinTheDeadline(t *testing.T) {
	lambdaEnv(t)
	tp, _ := recorder(t)
	fp := &flushDeadline{TracerProvider: tp}
	h := guard.Wrap(func(context.Context, events.SQSEvent) (string, error) { return "ok", nil },
		guard.WithTempBase(t.TempDir()), tracing.WithTracing(tracing.WithTracerProvider(fp)))
	deadline := time.Now().Add(500 * time.Millisecond) // before the 2s flush timeout
	ctx, cancel := context.WithDeadline(invocation("req-deadline", ""), deadline)
	defer cancel()
	_, err := h(ctx, events.SQSEvent{})
	require.NoError(t, err)
	require.True(t, fp.has)
	assert.False(t, fp.deadline.After(deadline), "flush deadline %v, invocation's %v", fp.deadline, deadline)
}
