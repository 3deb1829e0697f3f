package tracing_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/lambdaguard/lambdaguard/guard"
	"github.com/lambdaguard/lambdaguard/tracing"
)

const (
	lambdaSampled   = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
	lambdaUnsampled = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0;Lineage=a87bd80c:1"
	lambdaTrace     = "5759e988bd862e3fe1be46a994272793"
)

func scheduled(t *testing.T, opts ...guard.Option) func(context.Context, events.EventBridgeEvent) (string, error) {
	return guard.Wrap(func(context.Context, events.EventBridgeEvent) (string, error) { return "", nil },
		append([]guard.Option{guard.WithTempBase(t.TempDir())}, opts...)...)
}

func TestLambdaTraceHeader(t *testing.T) {
	t.Run("from the context, sampled: the parent", func(t *testing.T) {
		lambdaEnv(t)
		tp, sr := recorder(t)
		_, err := scheduled(t, tracing.WithTracing(tracing.WithTracerProvider(tp)))(invocation("r", lambdaSampled), decode[events.EventBridgeEvent](t, "scheduled.json"))
		require.NoError(t, err)
		s := only(t, sr)
		assert.Equal(t, lambdaTrace, s.Parent().TraceID().String())
		assert.Equal(t, "53995c3f42cd8ad8", s.Parent().SpanID().String())
	})
	t.Run("unsampled: not a parent", func(t *testing.T) {
		lambdaEnv(t)
		tp, sr := recorder(t)
		_, err := scheduled(t, tracing.WithTracing(tracing.WithTracerProvider(tp)))(invocation("r", lambdaUnsampled), decode[events.EventBridgeEvent](t, "scheduled.json"))
		require.NoError(t, err)
		s := only(t, sr)
		assert.False(t, s.Parent().IsValid())
		assert.True(t, s.SpanContext().IsSampled(), "the provider's sampler decides, not an unsampled pass-through header")
	})
	t.Run("event parent first, Lambda's trace linked", func(t *testing.T) {
		lambdaEnv(t)
		tp, sr := recorder(t)
		h := guard.Wrap(func(context.Context, events.APIGatewayV2HTTPRequest) (string, error) { return "", nil },
			guard.WithTempBase(t.TempDir()), tracing.WithTracing(tracing.WithTracerProvider(tp)))
		_, err := h(invocation("r", lambdaSampled), decode[events.APIGatewayV2HTTPRequest](t, "apigw-v2.json"))
		require.NoError(t, err)
		s := only(t, sr)
		assert.Equal(t, "0af7651916cd43dd8448eb211c80319c", s.Parent().TraceID().String())
		assert.Equal(t, []string{lambdaTrace}, linkedTraces(s))
	})
	t.Run("SQS batch: Lambda's trace is the parent, producers linked", func(t *testing.T) {
		lambdaEnv(t)
		tp, sr := recorder(t)
		h := guard.Wrap(func(context.Context, events.SQSEvent) (string, error) { return "", nil },
			guard.WithTempBase(t.TempDir()), tracing.WithTracing(tracing.WithTracerProvider(tp)))
		_, err := h(invocation("r", lambdaSampled), decode[events.SQSEvent](t, "sqs-batch.json"))
		require.NoError(t, err)
		s := only(t, sr)
		assert.Equal(t, lambdaTrace, s.Parent().TraceID().String())
		// Each producer's link names its own message.
		got := map[string]string{}
		for _, l := range s.Links() {
			require.Len(t, l.Attributes, 1)
			require.Equal(t, attribute.Key("messaging.message.id"), l.Attributes[0].Key)
			got[l.Attributes[0].Value.AsString()] = l.SpanContext.TraceID().String()
		}
		assert.Equal(t, map[string]string{
			"2e1424d4-f796-459a-8184-9c92662be6da": "11111111111111111111111111111111",
			"b0f9e7c6-5d4c-4b3a-9281-706f5e4d3c2b": "22222222222222222222222222222222",
			"c3d2e1f0-a9b8-4c7d-8e6f-5a4b3c2d1e0f": "33333333333333333333333333333333",
		}, got)
	})
	t.Run("_X_AMZN_TRACE_ID when invocations are not concurrent", func(t *testing.T) {
		lambdaEnv(t)
		t.Setenv("_X_AMZN_TRACE_ID", lambdaSampled)
		tp, sr := recorder(t)
		_, err := scheduled(t, tracing.WithTracing(tracing.WithTracerProvider(tp)))(invocation("r", ""), decode[events.EventBridgeEvent](t, "scheduled.json"))
		require.NoError(t, err)
		assert.Equal(t, lambdaTrace, only(t, sr).Parent().TraceID().String())
	})
	t.Run("not _X_AMZN_TRACE_ID when they are", func(t *testing.T) {
		lambdaEnv(t)
		t.Setenv("_X_AMZN_TRACE_ID", lambdaSampled)
		t.Setenv("AWS_LAMBDA_MAX_CONCURRENCY", "8")
		tp, sr := recorder(t)
		_, err := scheduled(t, tracing.WithTracing(tracing.WithTracerProvider(tp)))(invocation("r", ""), decode[events.EventBridgeEvent](t, "scheduled.json"))
		require.NoError(t, err)
		assert.False(t, only(t, sr).Parent().IsValid())
	})
}

func TestClientContext(t *testing.T) {
	lambdaEnv(t)
	tp, sr := recorder(t)
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{
		AwsRequestID:       "r",
		InvokedFunctionArn: invokedARN,
		ClientContext: lambdacontext.ClientContext{Custom: map[string]string{
			"traceparent": "00-9f8e7d6c5b4a39281706f5e4d3c2b1a0-0123456789abcdef-01",
		}},
	})
	h := guard.Wrap(func(context.Context, map[string]int) (string, error) { return "", nil },
		guard.WithTempBase(t.TempDir()), tracing.WithTracing(tracing.WithTracerProvider(tp)))
	_, err := h(ctx, map[string]int{"n": 1})
	require.NoError(t, err)
	s := only(t, sr)
	assert.Equal(t, "9f8e7d6c5b4a39281706f5e4d3c2b1a0", s.Parent().TraceID().String())
	assert.Equal(t, "other", attrsOf(s)["faas.trigger"].AsString())
}

func TestGuardHTTP(t *testing.T) {
	lambdaEnv(t)
	tp, sr := recorder(t)
	var inHandler trace.SpanContext
	h := guard.HTTP(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inHandler = trace.SpanContextFromContext(r.Context())
		w.WriteHeader(http.StatusAccepted)
	}), guard.WithTempBase(t.TempDir()), tracing.WithTracing(tracing.WithTracerProvider(tp)))

	req := httptest.NewRequest(http.MethodPut, "/orders/42", nil)
	req.Header.Set("Traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	h.ServeHTTP(httptest.NewRecorder(), req)

	s := only(t, sr)
	assert.Equal(t, "4bf92f3577b34da6a3ce929d0e0e4736", s.Parent().TraceID().String())
	assert.Equal(t, trace.SpanKindServer, s.SpanKind())
	assert.Equal(t, "PUT", attrsOf(s)["http.request.method"].AsString())
	assert.Equal(t, s.SpanContext().SpanID(), inHandler.SpanID(), "the handler runs in the invocation's span")
	assert.Equal(t, int64(http.StatusAccepted), attrsOf(s)["http.response.status_code"].AsInt64(), "the status the handler wrote")
}

// Behind a ServeMux, guard.HTTP's span is named after the pattern's route.
func TestGuardHTTPBehindAMux(t *testing.T) {
	lambdaEnv(t)
	tp, sr := recorder(t)
	mux := http.NewServeMux()
	mux.Handle("GET /orders/{id}", guard.HTTP(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}),
		guard.WithTempBase(t.TempDir()), tracing.WithTracing(tracing.WithTracerProvider(tp))))
	req := httptest.NewRequest(http.MethodGet, "https://shop.example.com/orders/42?expand=items&sig=s3cr3t", nil)
	req.Header.Set("User-Agent", "curl/8.5.0")
	req.Header.Set("X-Forwarded-For", "203.0.113.7, 10.0.0.1")
	mux.ServeHTTP(httptest.NewRecorder(), req)

	s := only(t, sr)
	assert.Equal(t, "GET /orders/{id}", s.Name())
	a := attrsOf(s)
	assert.Equal(t, "/orders/{id}", a["http.route"].AsString())
	assert.Equal(t, "expand=items&sig=REDACTED", a["url.query"].AsString())
	assert.Equal(t, "https", a["url.scheme"].AsString())
	assert.Equal(t, "shop.example.com", a["server.address"].AsString())
	assert.Equal(t, "203.0.113.7", a["client.address"].AsString())
	assert.Equal(t, "curl/8.5.0", a["user_agent.original"].AsString())
	assert.Equal(t, "1.1", a["network.protocol.version"].AsString())
}

func TestPropagatorOption(t *testing.T) {
	// With only W3C, the X-Ray-only SQS message of the batch is not linked.
	lambdaEnv(t)
	tp, sr := recorder(t)
	h := guard.Wrap(func(context.Context, events.SQSEvent) (string, error) { return "", nil },
		guard.WithTempBase(t.TempDir()),
		tracing.WithTracing(tracing.WithTracerProvider(tp), tracing.WithPropagator(w3cOnly())))
	_, err := h(invocation("r", ""), decode[events.SQSEvent](t, "sqs-batch.json"))
	require.NoError(t, err)
	assert.Equal(t, []string{"11111111111111111111111111111111", "33333333333333333333333333333333"}, linkedTraces(only(t, sr)))
}

func w3cOnly() propagation.TextMapPropagator { return propagation.TraceContext{} }
