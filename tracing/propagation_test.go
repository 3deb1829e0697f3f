package tracing_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/trace"

	"github.com/lambdaguard/lambdaguard/guard"
	"github.com/lambdaguard/lambdaguard/tracing"
)

func TestOutgoingHTTPCarriesTraceparent(t *testing.T) {
	lambdaEnv(t)
	tp, sr := recorder(t)

	got := make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.Header.Get("traceparent")
	}))
	defer srv.Close()
	base := &http.Transport{}
	defer base.CloseIdleConnections()
	client := &http.Client{Transport: tracing.NewTransport(base, tracing.WithTracerProvider(tp))}

	h := guard.Wrap(func(ctx context.Context, _ events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/stock/BOOK-1", nil)
		if err != nil {
			return events.APIGatewayV2HTTPResponse{}, err
		}
		resp, err := client.Do(req)
		if err != nil {
			return events.APIGatewayV2HTTPResponse{}, err
		}
		resp.Body.Close()
		return events.APIGatewayV2HTTPResponse{StatusCode: 200}, nil
	}, guard.WithTempBase(t.TempDir()), tracing.WithTracing(tracing.WithTracerProvider(tp)))
	_, err := h(invocation("r", ""), decode[events.APIGatewayV2HTTPRequest](t, "apigw-v2.json"))
	require.NoError(t, err)

	header := <-got
	parts := strings.Split(header, "-")
	require.Len(t, parts, 4, "traceparent %q", header)

	inv := spanOf(t, sr.Ended(), "POST /orders")
	client2 := spanOf(t, sr.Ended(), "GET")
	assert.Equal(t, "0af7651916cd43dd8448eb211c80319c", parts[1], "the caller's trace goes on")
	assert.Equal(t, inv.SpanContext().TraceID().String(), parts[1])
	assert.Equal(t, client2.SpanContext().SpanID().String(), parts[2], "the server's parent is the client span")
	assert.Equal(t, inv.SpanContext().SpanID(), client2.Parent().SpanID(), "the client span is the invocation's child")
	assert.Equal(t, trace.SpanKindClient, client2.SpanKind())
}

// Two functions: the first, behind an HTTP API, sends to a queue or topic;
// the second is triggered by it. One trace id from end to end.
func TestCarrierRoundTrip(t *testing.T) {
	send := func(t *testing.T, tp trace.TracerProvider) (tracing.Carrier, trace.SpanContext) {
		var c tracing.Carrier
		var sc trace.SpanContext
		h := guard.Wrap(func(ctx context.Context, _ events.APIGatewayV2HTTPRequest) (string, error) {
			c = tracing.NewCarrier(ctx)
			sc = trace.SpanContextFromContext(ctx)
			return "", nil
		}, guard.WithTempBase(t.TempDir()), tracing.WithTracing(tracing.WithTracerProvider(tp)))
		_, err := h(invocation("send", ""), decode[events.APIGatewayV2HTTPRequest](t, "apigw-v2.json"))
		require.NoError(t, err)
		require.NotEmpty(t, c)
		return c, sc
	}

	t.Run("SQS", func(t *testing.T) {
		lambdaEnv(t)
		tp, sr := recorder(t)
		c, sent := send(t, tp)
		// What a user copies into SendMessageInput.MessageAttributes.
		attrs := map[string]events.SQSMessageAttribute{}
		for k, v := range c {
			attrs[k] = events.SQSMessageAttribute{DataType: "String", StringValue: &v}
		}
		ev := events.SQSEvent{Records: []events.SQSMessage{{
			MessageId: "m-1", EventSource: "aws:sqs", EventSourceARN: "arn:aws:sqs:eu-west-1:123456789012:orders",
			MessageAttributes: attrs,
		}}}
		h := guard.Wrap(func(context.Context, events.SQSEvent) (string, error) { return "", nil },
			guard.WithTempBase(t.TempDir()), tracing.WithTracing(tracing.WithTracerProvider(tp)))
		_, err := h(invocation("receive", ""), ev)
		require.NoError(t, err)

		recv := spanOf(t, sr.Ended(), "process orders")
		assert.Equal(t, sent.TraceID(), recv.SpanContext().TraceID())
		assert.Equal(t, sent.SpanID(), recv.Parent().SpanID())
		require.Len(t, recv.Links(), 1)
		assert.Equal(t, sent.SpanID(), recv.Links()[0].SpanContext.SpanID())
	})

	t.Run("SNS, raw", func(t *testing.T) {
		lambdaEnv(t)
		tp, sr := recorder(t)
		c, sent := send(t, tp)
		attrs := map[string]any{}
		for k, v := range c {
			attrs[k] = map[string]any{"Type": "String", "Value": v}
		}
		payload, err := json.Marshal(events.SNSEvent{Records: []events.SNSEventRecord{{
			EventSource: "aws:sns",
			SNS:         events.SNSEntity{MessageID: "n-1", TopicArn: "arn:aws:sns:eu-west-1:123456789012:order-events", MessageAttributes: attrs},
		}}})
		require.NoError(t, err)
		h := guard.WrapHandler(rawHandler(func(context.Context, []byte) ([]byte, error) { return nil, nil }),
			guard.WithTempBase(t.TempDir()), tracing.WithTracing(tracing.WithTracerProvider(tp)))
		_, err = h.Invoke(invocation("receive", ""), payload)
		require.NoError(t, err)

		recv := spanOf(t, sr.Ended(), "process order-events")
		assert.Equal(t, sent.TraceID(), recv.SpanContext().TraceID())
		assert.Equal(t, sent.SpanID(), recv.Parent().SpanID())
	})

	t.Run("EventBridge detail", func(t *testing.T) {
		lambdaEnv(t)
		tp, sr := recorder(t)
		c, sent := send(t, tp)
		type placed struct {
			tracing.TraceContext
			OrderID int64 `json:"orderId"`
		}
		detail, err := json.Marshal(placed{TraceContext: tracing.TraceContext{Carrier: c}, OrderID: 42})
		require.NoError(t, err)
		ev := events.EventBridgeEvent{Source: "com.example.orders", DetailType: "OrderPlaced", Detail: detail}
		h := guard.Wrap(func(context.Context, events.EventBridgeEvent) (string, error) { return "", nil },
			guard.WithTempBase(t.TempDir()), tracing.WithTracing(tracing.WithTracerProvider(tp)))
		_, err = h(invocation("receive", ""), ev)
		require.NoError(t, err)

		spans := sr.Ended()
		recv := spans[len(spans)-1]
		assert.Equal(t, sent.TraceID(), recv.SpanContext().TraceID())
		assert.Equal(t, sent.SpanID(), recv.Parent().SpanID())
	})
}

func TestNewCarrierOutsideTrace(t *testing.T) {
	assert.Nil(t, tracing.NewCarrier(context.Background()))
}
