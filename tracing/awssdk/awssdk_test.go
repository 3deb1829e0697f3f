package awssdk_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/goleak"

	"github.com/lambdaguard/lambdaguard/tracing"
	"github.com/lambdaguard/lambdaguard/tracing/awssdk"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// sdkConfig is an SDK configuration that talks to the fake, traced.
func sdkConfig(f *fakeAWS, tp *sdktrace.TracerProvider) aws.Config {
	cfg := aws.Config{
		Region:       "eu-west-1",
		BaseEndpoint: aws.String(f.URL),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "secret"}, nil
		}),
		HTTPClient: f.Client(),
	}
	awssdk.AppendMiddlewares(&cfg.APIOptions, tracing.WithTracerProvider(tp))
	return cfg
}

func recorder(t *testing.T) (*sdktrace.TracerProvider, *tracetest.SpanRecorder) {
	sr := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return tp, sr
}

// producerOf returns the one PRODUCER span and checks otelaws's CLIENT span
// is its child.
func producerOf(t *testing.T, sr *tracetest.SpanRecorder) sdktrace.ReadOnlySpan {
	t.Helper()
	var producer, client sdktrace.ReadOnlySpan
	for _, s := range sr.Ended() {
		switch s.SpanKind() {
		case trace.SpanKindProducer:
			producer = s
		case trace.SpanKindClient:
			client = s
		}
	}
	require.NotNil(t, producer, "no PRODUCER span")
	require.NotNil(t, client, "no CLIENT span")
	assert.Equal(t, producer.SpanContext().SpanID(), client.Parent().SpanID(), "otelaws's span is the producer's child")
	return producer
}

// traceparentOf is the traceparent a producer span's context is written as.
func traceparentOf(s sdktrace.ReadOnlySpan) string {
	return "00-" + s.SpanContext().TraceID().String() + "-" + s.SpanContext().SpanID().String() + "-01"
}

func stringAttr(v string) sqstypes.MessageAttributeValue {
	return sqstypes.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
}

// sqsSent is an SQS message as the SDK sent it (the JSON protocol).
type sqsSent struct {
	MessageAttributes       map[string]struct{ DataType, StringValue string }
	MessageSystemAttributes map[string]struct{ DataType, StringValue string }
}

const queueURL = "https://sqs.eu-west-1.amazonaws.com/123456789012/orders"

func TestSQSSendMessage(t *testing.T) {
	nine := map[string]sqstypes.MessageAttributeValue{}
	for i := range 9 {
		nine[fmt.Sprintf("a%d", i)] = stringAttr("v")
	}
	ten := maps.Clone(nine)
	ten["a9"] = stringAttr("v")
	tests := []struct {
		name      string
		attrs     map[string]sqstypes.MessageAttributeValue
		want      []string // attributes sent, besides the caller's
		wantCount int
	}{
		{"no attributes", nil, []string{"traceparent"}, 1},
		{"the caller's traceparent is kept", map[string]sqstypes.MessageAttributeValue{"traceparent": stringAttr("mine")}, nil, 1},
		{"nine: room for one", nine, []string{"traceparent"}, 10},
		{"ten: no room", ten, nil, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeAWS(t)
			tp, sr := recorder(t)
			client := sqs.NewFromConfig(sdkConfig(f, tp), func(o *sqs.Options) { o.DisableMessageChecksumValidation = true })
			in := &sqs.SendMessageInput{QueueUrl: aws.String(queueURL), MessageBody: aws.String("order 42"), MessageAttributes: tt.attrs}
			before := maps.Clone(tt.attrs)
			out, err := client.SendMessage(context.Background(), in)
			require.NoError(t, err)
			assert.Equal(t, before, in.MessageAttributes, "the caller's input is not modified")
			assert.Nil(t, in.MessageSystemAttributes)

			p := producerOf(t, sr)
			assert.Equal(t, "send orders", p.Name())
			a := attrs(p)
			assert.Equal(t, "aws_sqs", a["messaging.system"])
			assert.Equal(t, "orders", a["messaging.destination.name"])
			assert.Equal(t, aws.ToString(out.MessageId), a["messaging.message.id"])

			calls := f.sent()
			require.Len(t, calls, 1)
			var sent sqsSent
			require.NoError(t, json.Unmarshal(calls[0].body, &sent))
			assert.Len(t, sent.MessageAttributes, tt.wantCount, "within SQS's ten")
			for _, k := range tt.want {
				assert.Equal(t, traceparentOf(p), sent.MessageAttributes[k].StringValue, "%s is the producer span", k)
			}
			if tt.attrs["traceparent"].StringValue != nil {
				assert.Equal(t, "mine", sent.MessageAttributes["traceparent"].StringValue)
			}
			xray := sent.MessageSystemAttributes["AWSTraceHeader"].StringValue
			assert.Contains(t, xray, "Parent="+p.SpanContext().SpanID().String(), "the X-Ray header as the system attribute, which does not count")
		})
	}
}

func TestSQSSendMessageBatch(t *testing.T) {
	f := newFakeAWS(t)
	tp, sr := recorder(t)
	client := sqs.NewFromConfig(sdkConfig(f, tp), func(o *sqs.Options) { o.DisableMessageChecksumValidation = true })
	_, err := client.SendMessageBatch(context.Background(), &sqs.SendMessageBatchInput{QueueUrl: aws.String(queueURL), Entries: []sqstypes.SendMessageBatchRequestEntry{
		{Id: aws.String("1"), MessageBody: aws.String("a")},
		{Id: aws.String("2"), MessageBody: aws.String("b"), MessageAttributes: map[string]sqstypes.MessageAttributeValue{"k": stringAttr("v")}},
	}})
	require.NoError(t, err)
	p := producerOf(t, sr)
	assert.Equal(t, "send orders", p.Name())
	assert.Equal(t, "2", attrs(p)["messaging.batch.message_count"])
	var sent struct{ Entries []sqsSent }
	require.NoError(t, json.Unmarshal(f.sent()[0].body, &sent))
	require.Len(t, sent.Entries, 2)
	for i, e := range sent.Entries {
		assert.Equal(t, traceparentOf(p), e.MessageAttributes["traceparent"].StringValue, "entry %d", i)
	}
	assert.Equal(t, "v", sent.Entries[1].MessageAttributes["k"].StringValue)
}

func TestSNSPublish(t *testing.T) {
	f := newFakeAWS(t)
	tp, sr := recorder(t)
	client := sns.NewFromConfig(sdkConfig(f, tp))
	_, err := client.Publish(context.Background(), &sns.PublishInput{TopicArn: aws.String("arn:aws:sns:eu-west-1:123456789012:order-events"), Message: aws.String("placed")})
	require.NoError(t, err)
	p := producerOf(t, sr)
	assert.Equal(t, "send order-events", p.Name())
	assert.Equal(t, "aws.sns", attrs(p)["messaging.system"])
	assert.Equal(t, "94f20ce6-13c5-43a0-9a9e-ca52d816e90b", attrs(p)["messaging.message.id"])
	form, err := url.ParseQuery(string(f.sent()[0].body))
	require.NoError(t, err)
	sent := map[string]string{}
	for i := 1; form.Get(fmt.Sprintf("MessageAttributes.entry.%d.Name", i)) != ""; i++ {
		sent[form.Get(fmt.Sprintf("MessageAttributes.entry.%d.Name", i))] = form.Get(fmt.Sprintf("MessageAttributes.entry.%d.Value.StringValue", i))
	}
	assert.Equal(t, traceparentOf(p), sent["traceparent"])
	assert.Contains(t, sent["X-Amzn-Trace-Id"], "Parent="+p.SpanContext().SpanID().String())
}

func TestSNSPublishBatch(t *testing.T) {
	f := newFakeAWS(t)
	tp, sr := recorder(t)
	client := sns.NewFromConfig(sdkConfig(f, tp))
	_, err := client.PublishBatch(context.Background(), &sns.PublishBatchInput{TopicArn: aws.String("arn:aws:sns:eu-west-1:123456789012:order-events"),
		PublishBatchRequestEntries: []snstypes.PublishBatchRequestEntry{{Id: aws.String("1"), Message: aws.String("a")}, {Id: aws.String("2"), Message: aws.String("b")}}})
	require.NoError(t, err)
	p := producerOf(t, sr)
	form, err := url.ParseQuery(string(f.sent()[0].body))
	require.NoError(t, err)
	for i := 1; i <= 2; i++ {
		prefix := fmt.Sprintf("PublishBatchRequestEntries.member.%d.MessageAttributes.entry.", i)
		found := ""
		for j := 1; form.Get(fmt.Sprintf("%s%d.Name", prefix, j)) != ""; j++ {
			if form.Get(fmt.Sprintf("%s%d.Name", prefix, j)) == "traceparent" {
				found = form.Get(fmt.Sprintf("%s%d.Value.StringValue", prefix, j))
			}
		}
		assert.Equal(t, traceparentOf(p), found, "entry %d", i)
	}
}

func TestEventBridgePutEvents(t *testing.T) {
	f := newFakeAWS(t)
	tp, sr := recorder(t)
	client := eventbridge.NewFromConfig(sdkConfig(f, tp))
	in := &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{{
		EventBusName: aws.String("orders-bus"), Source: aws.String("shop.orders"), DetailType: aws.String("OrderPlaced"),
		Detail: aws.String(`{"orderId":12345678901234567890}`),
	}}}
	_, err := client.PutEvents(context.Background(), in)
	require.NoError(t, err)
	assert.Equal(t, `{"orderId":12345678901234567890}`, *in.Entries[0].Detail, "the caller's input is not modified")
	p := producerOf(t, sr)
	assert.Equal(t, "send orders-bus", p.Name())
	var sent struct {
		Entries []struct{ Detail, TraceHeader string }
	}
	require.NoError(t, json.Unmarshal(f.sent()[0].body, &sent))
	require.Len(t, sent.Entries, 1)
	var detail struct {
		tracing.TraceContext
		OrderID json.Number `json:"orderId"`
	}
	require.NoError(t, json.Unmarshal([]byte(sent.Entries[0].Detail), &detail))
	assert.Equal(t, "12345678901234567890", detail.OrderID.String(), "the detail's own fields kept as they were")
	assert.Equal(t, traceparentOf(p), detail.Carrier["traceparent"])
	assert.Contains(t, sent.Entries[0].TraceHeader, "Parent="+p.SpanContext().SpanID().String())
}

// A call that sends no message gets otelaws's span alone.
func TestOtherCalls(t *testing.T) {
	f := newFakeAWS(t)
	tp, sr := recorder(t)
	client := sqs.NewFromConfig(sdkConfig(f, tp))
	_, _ = client.GetQueueUrl(context.Background(), &sqs.GetQueueUrlInput{QueueName: aws.String("orders")})
	for _, s := range sr.Ended() {
		assert.NotEqual(t, trace.SpanKindProducer, s.SpanKind(), s.Name())
	}
	require.NotEmpty(t, sr.Ended())
}

func attrs(s sdktrace.ReadOnlySpan) map[string]string {
	m := map[string]string{}
	for _, kv := range s.Attributes() {
		m[string(kv.Key)] = kv.Value.String()
	}
	return m
}
