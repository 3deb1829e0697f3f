package app

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/lambdaguard/lambdaguard/guard"
	"github.com/lambdaguard/lambdaguard/tracing"
)

// functionURL serves a guarded handler the way a Lambda function URL does:
// the HTTP request becomes an API Gateway v2 shaped event.
func functionURL(t *testing.T, h func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error)) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ev := events.APIGatewayV2HTTPRequest{Version: "2.0", RouteKey: "$default", RawPath: r.URL.Path, Headers: map[string]string{}}
		for k := range r.Header {
			ev.Headers[strings.ToLower(k)] = r.Header.Get(k)
		}
		ev.RequestContext.HTTP.Method = r.Method
		ev.RequestContext.HTTP.Path = r.URL.Path
		ctx := lambdacontext.NewContext(r.Context(), &lambdacontext.LambdaContext{AwsRequestID: "back-req-1"})
		resp, err := h(ctx, ev)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.WriteHeader(resp.StatusCode)
		_, _ = io.WriteString(w, resp.Body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestOneTraceAcrossBothFunctions(t *testing.T) {
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	var logs bytes.Buffer
	log := slog.New(tracing.NewLogHandler(slog.NewJSONHandler(&logs, nil)))
	opts := []tracing.Option{tracing.WithTracerProvider(tp)}

	back := functionURL(t, guard.Wrap(Back(log), tracing.WithTracing(append(opts, tracing.WithFunctionName("back"))...)))
	client := tracing.NewClient(opts...)
	t.Cleanup(client.CloseIdleConnections)
	front := guard.Wrap(Front(client, back.URL, log), tracing.WithTracing(append(opts, tracing.WithFunctionName("front"))...))

	const callerTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
	req := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: "GET /", RawPath: "/",
		Headers: map[string]string{"traceparent": "00-" + callerTrace + "-00f067aa0ba902b7-01"},
	}
	req.RequestContext.HTTP.Method = "GET"
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "front-req-1"})
	resp, err := front(ctx, req)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, resp.Body)

	var r Reply
	require.NoError(t, json.Unmarshal([]byte(resp.Body), &r))
	require.NotNil(t, r.Back)
	assert.Equal(t, callerTrace, r.TraceID, "front continues the caller's trace")
	assert.Equal(t, callerTrace, r.Back.TraceID, "back continues it too")

	ended := spans.Ended()
	// Each function's span is named as the HTTP conventions ask: front's
	// after its API Gateway route, back's (a function URL, no route) after
	// the method; front's client span after the method too.
	byName := map[string]sdktrace.ReadOnlySpan{}
	for _, s := range ended {
		assert.Equal(t, callerTrace, s.SpanContext().TraceID().String(), "span %s", s.Name())
		switch {
		case s.SpanKind() == trace.SpanKindServer && s.Name() == "GET /":
			byName["front"] = s
		case s.SpanKind() == trace.SpanKindServer && s.Name() == "GET":
			byName["back"] = s
		}
	}
	require.Contains(t, byName, "front")
	require.Contains(t, byName, "back")
	var client0 sdktrace.ReadOnlySpan
	for _, s := range ended {
		if s.Parent().SpanID() == byName["front"].SpanContext().SpanID() {
			client0 = s
		}
	}
	require.NotNil(t, client0, "front's outgoing call has a client span")
	assert.Equal(t, client0.SpanContext().SpanID(), byName["back"].Parent().SpanID(), "back's parent is front's client span")

	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		assert.Contains(t, line, `"trace_id":"`+callerTrace+`"`)
	}
}

func TestProviderDescribesTheEnvironment(t *testing.T) {
	t.Setenv("AWS_LAMBDA_FUNCTION_NAME", "front")
	t.Setenv("AWS_LAMBDA_FUNCTION_VERSION", "3")
	t.Setenv("AWS_REGION", "eu-west-1")
	t.Setenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "")
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "")
	t.Setenv("OTEL_SERVICE_NAME", "")
	t.Setenv("OTEL_RESOURCE_ATTRIBUTES", "")
	tp, err := Provider(context.Background())
	require.NoError(t, err)
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	spans := tracetest.NewSpanRecorder()
	tp.RegisterSpanProcessor(spans)

	h := guard.Wrap(Back(slog.New(slog.DiscardHandler)), tracing.WithTracing(tracing.WithTracerProvider(tp)), guard.WithTempBase(t.TempDir()))
	_, err = h(lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "r1"}),
		events.APIGatewayV2HTTPRequest{RawPath: "/work"})
	require.NoError(t, err)

	ended := spans.Ended()
	require.Len(t, ended, 1)
	got := map[string]string{}
	for _, kv := range ended[0].Resource().Attributes() {
		got[string(kv.Key)] = kv.Value.String()
	}
	assert.Equal(t, "front", got["faas.name"])
	assert.Equal(t, "3", got["faas.version"])
	assert.Equal(t, "eu-west-1", got["cloud.region"])
	assert.Equal(t, "aws", got["cloud.provider"])
	assert.Equal(t, "268435456", got["faas.max_memory"])
	assert.Equal(t, "aws_lambda", got["cloud.platform"])
	assert.Equal(t, "front", got["service.name"])
}
