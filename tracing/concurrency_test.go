package tracing_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdaguard/lambdaguard/guard"
	"github.com/lambdaguard/lambdaguard/tracing"
)

// With AWS_LAMBDA_MAX_CONCURRENCY > 1 invocations run at once in one
// process: each span must have its own caller as parent, and the Lambda
// header of one must not leak into another through _X_AMZN_TRACE_ID.
func TestConcurrentInvocations(t *testing.T) {
	lambdaEnv(t)
	t.Setenv("AWS_LAMBDA_MAX_CONCURRENCY", "16")
	t.Setenv("_X_AMZN_TRACE_ID", lambdaSampled) // stale, set by some other request
	tp, sr := recorder(t)
	h := guard.Wrap(func(ctx context.Context, _ events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		return events.APIGatewayV2HTTPResponse{StatusCode: 200}, nil
	}, guard.WithTempBase(t.TempDir()), tracing.WithTracing(tracing.WithTracerProvider(tp)))

	const n = 64
	base := decode[events.APIGatewayV2HTTPRequest](t, "apigw-v2.json")
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			ev := base
			ev.Headers = map[string]string{"traceparent": fmt.Sprintf("00-%032x-%016x-01", i+1, i+1)}
			xray := ""
			if i%2 == 0 { // half of them with a Lambda header of their own, linked
				xray = fmt.Sprintf("Root=1-%08x-%024x;Parent=%016x;Sampled=1", 0xabc, i+1, i+1)
			}
			_, err := h(invocation(fmt.Sprintf("req-%d", i), xray), ev)
			assert.NoError(t, err)
		})
	}
	wg.Wait()

	spans := sr.Ended()
	require.Len(t, spans, n)
	for _, s := range spans {
		var i int
		_, err := fmt.Sscanf(attrsOf(s)["faas.invocation_id"].AsString(), "req-%d", &i)
		require.NoError(t, err)
		assert.Equal(t, fmt.Sprintf("%032x", i+1), s.Parent().TraceID().String(), "req-%d", i)
		assert.Equal(t, fmt.Sprintf("%016x", i+1), s.Parent().SpanID().String(), "req-%d", i)
		if i%2 == 0 {
			assert.Equal(t, []string{fmt.Sprintf("%08x%024x", 0xabc, i+1)}, linkedTraces(s), "req-%d", i)
		} else {
			assert.Empty(t, s.Links(), "req-%d: _X_AMZN_TRACE_ID is not read under concurrency", i)
		}
	}
}

// otellambda's wrapper re-encodes payloads through map[string]any, and an
// integer above 2^53 loses its last digits. Here the payload reaches the
// handler as it came, raw or typed.
func TestPayloadPrecision(t *testing.T) {
	const big = int64(9007199254740993) // 2^53 + 1
	t.Run("raw", func(t *testing.T) {
		lambdaEnv(t)
		tp, _ := recorder(t)
		in := fixture(t, "direct.json")
		var seen []byte
		h := guard.WrapHandler(rawHandler(func(_ context.Context, p []byte) ([]byte, error) {
			seen = p
			return p, nil
		}), guard.WithTempBase(t.TempDir()), tracing.WithTracing(tracing.WithTracerProvider(tp)))
		out, err := h.Invoke(invocation("r", ""), in)
		require.NoError(t, err)
		assert.Equal(t, in, seen, "the handler gets the payload byte for byte")
		assert.Equal(t, in, out)
	})
	t.Run("typed through lambda.NewHandler", func(t *testing.T) {
		lambdaEnv(t)
		tp, sr := recorder(t)
		var got order
		h := lambda.NewHandler(guard.Wrap(func(_ context.Context, o order) (order, error) {
			got = o
			return o, nil
		}, guard.WithTempBase(t.TempDir()), tracing.WithTracing(tracing.WithTracerProvider(tp))))
		out, err := h.Invoke(invocation("r", ""), fixture(t, "direct.json"))
		require.NoError(t, err)
		assert.Equal(t, big, got.OrderID)
		var back struct {
			OrderID json.Number `json:"orderId"`
		}
		require.NoError(t, json.Unmarshal(out, &back))
		assert.Equal(t, "9007199254740993", back.OrderID.String())
		assert.Equal(t, "8e9f0a1b2c3d4e5f60718293a4b5c6d7", only(t, sr).Parent().TraceID().String())
	})
}
