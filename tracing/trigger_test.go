package tracing_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/baggage"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/lambdaguard/lambdaguard/guard"
	"github.com/lambdaguard/lambdaguard/tracing"
)

// order is the payload of a direct invocation that carries trace context.
type order struct {
	tracing.TraceContext
	OrderID int64  `json:"orderId"`
	Action  string `json:"action"`
}

// typed runs the fixture through guard.Wrap as a T.
func typed[T any](t *testing.T, name string, opts ...guard.Option) func(context.Context) {
	return func(ctx context.Context) {
		ev := decode[T](t, name)
		h := guard.Wrap(func(ctx context.Context, _ T) (string, error) { return "ok", nil }, opts...)
		_, err := h(ctx, ev)
		require.NoError(t, err)
	}
}

// raw runs the fixture through guard.WrapHandler, as bytes.
func raw(t *testing.T, name string, opts ...guard.Option) func(context.Context) {
	return func(ctx context.Context) {
		h := guard.WrapHandler(rawHandler(func(context.Context, []byte) ([]byte, error) { return []byte(`"ok"`), nil }), opts...)
		_, err := h.Invoke(ctx, fixture(t, name))
		require.NoError(t, err)
	}
}

func TestTriggers(t *testing.T) {
	tests := []struct {
		name       string
		fixture    string
		typed      func(*testing.T, string, ...guard.Option) func(context.Context)
		trigger    string
		kind       trace.SpanKind
		spanName   string
		parent     string // trace id, "" for a root span
		parentSpan string // span id, "" not checked
		links      []string
		attrs      map[attribute.Key]attribute.Value
	}{
		{
			name: "API Gateway REST", fixture: "apigw-v1.json", typed: typed[events.APIGatewayProxyRequest],
			trigger: "http", kind: trace.SpanKindServer, spanName: "GET /orders/{id}",
			parent: "4bf92f3577b34da6a3ce929d0e0e4736", parentSpan: "00f067aa0ba902b7",
			attrs: map[attribute.Key]attribute.Value{
				"http.request.method": attribute.StringValue("GET"),
				"http.route":          attribute.StringValue("/orders/{id}"),
				"url.path":            attribute.StringValue("/orders/42"),
			},
		},
		{
			name: "API Gateway HTTP", fixture: "apigw-v2.json", typed: typed[events.APIGatewayV2HTTPRequest],
			trigger: "http", kind: trace.SpanKindServer, spanName: "POST /orders",
			parent: "0af7651916cd43dd8448eb211c80319c", parentSpan: "b7ad6b7169203331",
			attrs: map[attribute.Key]attribute.Value{
				"http.request.method": attribute.StringValue("POST"),
				"http.route":          attribute.StringValue("/orders"),
			},
		},
		{
			name: "SQS, one message", fixture: "sqs-single.json", typed: typed[events.SQSEvent],
			trigger: "pubsub", kind: trace.SpanKindConsumer, spanName: "process orders",
			parent: "5b8aa5a2d2c872e8321cf37308d69df2", parentSpan: "051581bf3cb55c13",
			links: []string{"5b8aa5a2d2c872e8321cf37308d69df2"},
			attrs: map[attribute.Key]attribute.Value{
				"messaging.system":           attribute.StringValue("aws_sqs"),
				"messaging.destination.name": attribute.StringValue("orders"),
				"messaging.operation.type":   attribute.StringValue("process"),
			},
		},
		{
			name: "SQS, three producers", fixture: "sqs-batch.json", typed: typed[events.SQSEvent],
			trigger: "pubsub", kind: trace.SpanKindConsumer, spanName: "process orders",
			links: []string{"11111111111111111111111111111111", "22222222222222222222222222222222", "33333333333333333333333333333333"},
			attrs: map[attribute.Key]attribute.Value{
				"messaging.batch.message_count": attribute.IntValue(3),
			},
		},
		{
			name: "SNS", fixture: "sns.json", typed: typed[events.SNSEvent],
			trigger: "pubsub", kind: trace.SpanKindConsumer, spanName: "process order-events",
			parent: "6e0c63257de34c92bf9efcd03927272e", parentSpan: "9a6e3b1c2d4f5e60",
			links: []string{"6e0c63257de34c92bf9efcd03927272e"},
			attrs: map[attribute.Key]attribute.Value{
				"messaging.system":     attribute.StringValue("aws.sns"),
				"messaging.message.id": attribute.StringValue("95df01b4-ee98-5cb9-9903-4c221d41eb5e"),
			},
		},
		{
			name: "EventBridge", fixture: "eventbridge.json", typed: typed[events.EventBridgeEvent],
			trigger: "pubsub", kind: trace.SpanKindConsumer, spanName: "orders",
			parent: "7d2c4e6f8a0b1c3d5e7f9a1b3c5d7e9f", parentSpan: "4c6e8a0b2d4f6a8c",
		},
		{
			// A carrier with a value that is not a string: what was read of
			// it still names the parent, typed or raw alike.
			name: "EventBridge, a carrier entry not a string", fixture: "eventbridge-odd-carrier.json", typed: typed[events.EventBridgeEvent],
			trigger: "pubsub", kind: trace.SpanKindConsumer, spanName: "orders",
			parent: "7d2c4e6f8a0b1c3d5e7f9a1b3c5d7e9f", parentSpan: "4c6e8a0b2d4f6a8c",
		},
		{
			name: "scheduled rule", fixture: "scheduled.json", typed: typed[events.EventBridgeEvent],
			trigger: "timer", kind: trace.SpanKindServer, spanName: "orders",
		},
		{
			name: "direct invocation with a carrier field", fixture: "direct.json", typed: typed[order],
			trigger: "other", kind: trace.SpanKindServer, spanName: "orders",
			parent: "8e9f0a1b2c3d4e5f60718293a4b5c6d7", parentSpan: "1a2b3c4d5e6f7081",
		},
	}
	for _, tt := range tests {
		for _, form := range []string{"typed", "raw"} {
			t.Run(tt.name+"/"+form, func(t *testing.T) {
				lambdaEnv(t)
				tp, sr := recorder(t)
				opts := []guard.Option{guard.WithTempBase(t.TempDir()), tracing.WithTracing(tracing.WithTracerProvider(tp))}
				run := raw(t, tt.fixture, opts...)
				if form == "typed" {
					run = tt.typed(t, tt.fixture, opts...)
				}
				run(invocation("req-1", ""))

				s := only(t, sr)
				a := attrsOf(s)
				assert.Equal(t, tt.trigger, a["faas.trigger"].AsString())
				assert.Equal(t, tt.kind, s.SpanKind())
				assert.Equal(t, tt.spanName, s.Name())
				assert.Equal(t, "req-1", a["faas.invocation_id"].AsString())
				if tt.parent == "" {
					assert.False(t, s.Parent().IsValid(), "want a root span, parent %v", s.Parent())
				} else {
					assert.Equal(t, tt.parent, s.Parent().TraceID().String())
					assert.Equal(t, tt.parent, s.SpanContext().TraceID().String())
					assert.True(t, s.Parent().IsRemote())
				}
				if tt.parentSpan != "" {
					assert.Equal(t, tt.parentSpan, s.Parent().SpanID().String())
				}
				assert.Equal(t, tt.links, linkedTraces(s))
				for k, v := range tt.attrs {
					assert.Equal(t, v, a[k], "attribute %s", k)
				}
			})
		}
	}
}

func TestFaaSAttributes(t *testing.T) {
	lambdaEnv(t)
	tp, sr := recorder(t)
	h := guard.Wrap(func(context.Context, events.SQSEvent) (string, error) { return "", nil },
		guard.WithTempBase(t.TempDir()), tracing.WithTracing(tracing.WithTracerProvider(tp)))
	_, err := h(invocation("c0ffee", ""), decode[events.SQSEvent](t, "sqs-single.json"))
	require.NoError(t, err)

	a := attrsOf(only(t, sr))
	want := map[attribute.Key]string{
		"faas.invocation_id":     "c0ffee",
		"faas.trigger":           "pubsub",
		"cloud.account.id":       "123456789012",
		"cloud.resource_id":      "arn:aws:lambda:eu-west-1:123456789012:function:orders:7",
		"aws.lambda.invoked_arn": invokedARN,
	}
	for k, v := range want {
		assert.Equal(t, v, a[k].String(), "attribute %s", k)
	}
	assert.True(t, a["faas.coldstart"].AsBool())
	// The environment's attributes are the resource's, not every span's.
	for _, k := range []attribute.Key{"faas.name", "faas.version", "cloud.provider", "cloud.platform", "cloud.region"} {
		assert.NotContains(t, a, k)
	}
}

func TestARNAttributesFollowTheInvokedARN(t *testing.T) {
	lambdaEnv(t)
	tp, sr := recorder(t)
	h := guard.Wrap(func(context.Context, events.SQSEvent) (string, error) { return "", nil },
		guard.WithTempBase(t.TempDir()), tracing.WithTracing(tracing.WithTracerProvider(tp)))
	ev := decode[events.SQSEvent](t, "sqs-single.json")
	// One environment invoked through two aliases, then without an ARN.
	arns := []string{invokedARN, "arn:aws:lambda:eu-west-1:210987654321:function:orders:canary", invokedARN, ""}
	for _, arn := range arns {
		ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "r", InvokedFunctionArn: arn})
		_, err := h(ctx, ev)
		require.NoError(t, err)
	}
	spans := sr.Ended()
	require.Len(t, spans, len(arns))
	for i, s := range spans {
		a := attrsOf(s)
		if arns[i] == "" {
			assert.NotContains(t, a, attribute.Key("aws.lambda.invoked_arn"))
			assert.NotContains(t, a, attribute.Key("cloud.account.id"))
			continue
		}
		assert.Equal(t, arns[i], a["aws.lambda.invoked_arn"].String())
		assert.Equal(t, strings.Split(arns[i], ":")[4], a["cloud.account.id"].String())
		assert.Equal(t, "arn:aws:lambda:eu-west-1:"+strings.Split(arns[i], ":")[4]+":function:orders:7", a["cloud.resource_id"].String())
	}
}

func TestColdStart(t *testing.T) {
	for _, tt := range []struct {
		initType string
		want     []bool
	}{
		{"on-demand", []bool{true, false, false}},
		{"", []bool{true, false, false}},
		{"provisioned-concurrency", []bool{false, false, false}},
		{"snap-start", []bool{false, false, false}},
	} {
		t.Run(tt.initType, func(t *testing.T) {
			lambdaEnv(t)
			t.Setenv("AWS_LAMBDA_INITIALIZATION_TYPE", tt.initType)
			tp, sr := recorder(t)
			h := guard.Wrap(func(context.Context, events.EventBridgeEvent) (string, error) { return "", nil },
				guard.WithTempBase(t.TempDir()), tracing.WithTracing(tracing.WithTracerProvider(tp)))
			ev := decode[events.EventBridgeEvent](t, "scheduled.json")
			var got []bool
			for range tt.want {
				_, err := h(invocation("r", ""), ev)
				require.NoError(t, err)
			}
			for _, s := range sr.Ended() {
				got = append(got, attrsOf(s)["faas.coldstart"].AsBool())
			}
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestBaggageReachesHandler(t *testing.T) {
	lambdaEnv(t)
	tp, _ := recorder(t)
	var tenant string
	h := guard.Wrap(func(ctx context.Context, _ events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		tenant = baggage.FromContext(ctx).Member("tenant").Value()
		return events.APIGatewayV2HTTPResponse{StatusCode: 201}, nil
	}, guard.WithTempBase(t.TempDir()), tracing.WithTracing(tracing.WithTracerProvider(tp)))
	_, err := h(invocation("r", ""), decode[events.APIGatewayV2HTTPRequest](t, "apigw-v2.json"))
	require.NoError(t, err)
	assert.Equal(t, "acme", tenant)
}

func TestHTTPStatus(t *testing.T) {
	for _, code := range []int{200, 404, 503} {
		lambdaEnv(t)
		tp, sr := recorder(t)
		h := guard.Wrap(func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
			return events.APIGatewayV2HTTPResponse{StatusCode: code}, nil
		}, guard.WithTempBase(t.TempDir()), tracing.WithTracing(tracing.WithTracerProvider(tp)))
		_, err := h(invocation("r", ""), decode[events.APIGatewayV2HTTPRequest](t, "apigw-v2.json"))
		require.NoError(t, err)
		s := only(t, sr)
		assert.Equal(t, int64(code), attrsOf(s)["http.response.status_code"].AsInt64())
		if code >= 500 {
			assert.Equal(t, "Error", s.Status().Code.String(), "status %d", code)
		} else {
			assert.Equal(t, "Unset", s.Status().Code.String(), "status %d", code)
		}
	}
}

func TestHTTPStatusRaw(t *testing.T) {
	lambdaEnv(t)
	tp, sr := recorder(t)
	h := guard.WrapHandler(rawHandler(func(context.Context, []byte) ([]byte, error) {
		return []byte(`{"statusCode":502,"body":"upstream"}`), nil
	}), guard.WithTempBase(t.TempDir()), tracing.WithTracing(tracing.WithTracerProvider(tp)))
	_, err := h.Invoke(invocation("r", ""), fixture(t, "apigw-v1.json"))
	require.NoError(t, err)
	s := only(t, sr)
	assert.Equal(t, int64(502), attrsOf(s)["http.response.status_code"].AsInt64())
	assert.Equal(t, "Error", s.Status().Code.String())
}

// spanOf is for tests that look at one span in a list.
func spanOf(t *testing.T, spans []sdktrace.ReadOnlySpan, name string) sdktrace.ReadOnlySpan {
	t.Helper()
	for _, s := range spans {
		if s.Name() == name {
			return s
		}
	}
	t.Fatalf("no span %q among %d", name, len(spans))
	return nil
}
