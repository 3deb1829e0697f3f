package tracing_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/lambdaguard/lambdaguard/guard"
	"github.com/lambdaguard/lambdaguard/tracing"
)

// sqsDelivery is what SQS delivers of a message sent with the carrier as
// String message attributes: sqs-event.json's first record, with them.
func sqsDelivery(t *testing.T, c tracing.Carrier) []byte {
	t.Helper()
	var ev events.SQSEvent
	require.NoError(t, json.Unmarshal(fixture(t, "sqs-event.json"), &ev))
	m := ev.Records[0]
	m.MessageAttributes = map[string]events.SQSMessageAttribute{}
	for k, v := range c {
		m.MessageAttributes[k] = events.SQSMessageAttribute{DataType: "String", StringValue: &v}
	}
	ev.Records = []events.SQSMessage{m}
	b, err := json.Marshal(ev)
	require.NoError(t, err)
	return b
}

// A message sent through StartSend has a PRODUCER span of its own; the
// consumer's span (and its per-message process span) is linked to it.
func TestSendThenConsume(t *testing.T) {
	lambdaEnv(t)
	tp, sr := recorder(t)
	send := guard.Wrap(func(ctx context.Context, _ events.APIGatewayV2HTTPRequest) (tracing.Carrier, error) {
		c, _, span := tracing.StartSend(ctx, tracing.SystemSQS, "SQSQueue", tracing.WithTracerProvider(tp))
		tracing.EndSpan(span, nil)
		return c, nil
	}, guard.WithTempBase(t.TempDir()), tracing.WithTracing(tracing.WithTracerProvider(tp)))
	c, err := send(invocation("req-1", ""), decode[events.APIGatewayV2HTTPRequest](t, "apigw-v2.json"))
	require.NoError(t, err)
	producer := spanOf(t, sr.Ended(), "send SQSQueue")
	inv := spanOf(t, sr.Ended(), "POST /orders")
	assert.Equal(t, trace.SpanKindProducer, producer.SpanKind())
	assert.Equal(t, inv.SpanContext().SpanID(), producer.Parent().SpanID(), "the invocation's child")
	a := attrsOf(producer)
	assert.Equal(t, "aws_sqs", a["messaging.system"].AsString())
	assert.Equal(t, "send", a["messaging.operation.type"].AsString())
	assert.Equal(t, "SQSQueue", a["messaging.destination.name"].AsString())
	assert.Contains(t, c["traceparent"], producer.SpanContext().SpanID().String(), "the message carries the producer span")

	delivery := sqsDelivery(t, c)
	for form, spans := range bothForms[events.SQSEvent](t, delivery, invocation("req-2", ""), nil) {
		require.Len(t, spans, 1, form)
		consumer := spans[0]
		assert.Equal(t, trace.SpanKindConsumer, consumer.SpanKind(), form)
		assert.Equal(t, producer.SpanContext().SpanID(), consumer.Parent().SpanID(), "%s: a batch of one is the producer's child", form)
		require.Len(t, consumer.Links(), 1, form)
		assert.Equal(t, producer.SpanContext().SpanID(), consumer.Links()[0].SpanContext.SpanID(), "%s: linked to the producer", form)
	}

	// A batch handler's per-message span.
	var ev events.SQSEvent
	require.NoError(t, json.Unmarshal(delivery, &ev))
	tp2, sr2 := recorder(t)
	h := guard.Wrap(func(ctx context.Context, e events.SQSEvent) (string, error) {
		for _, m := range e.Records {
			_, span := tracing.StartProcess(ctx, m, tracing.WithTracerProvider(tp2))
			tracing.EndSpan(span, errors.New("bad message"))
		}
		return "", nil
	}, guard.WithTempBase(t.TempDir()), tracing.WithTracing(tracing.WithTracerProvider(tp2)))
	_, err = h(invocation("req-3", ""), ev)
	require.NoError(t, err)
	var process, batch sdktrace.ReadOnlySpan
	for _, s := range sr2.Ended() {
		if s.Parent().IsRemote() {
			batch = s
		} else {
			process = s
		}
	}
	require.NotNil(t, process)
	require.NotNil(t, batch)
	assert.Equal(t, "process SQSQueue", process.Name())
	assert.Equal(t, trace.SpanKindConsumer, process.SpanKind())
	assert.Equal(t, batch.SpanContext().SpanID(), process.Parent().SpanID(), "the invocation's child")
	require.Len(t, process.Links(), 1)
	assert.Equal(t, producer.SpanContext().SpanID(), process.Links()[0].SpanContext.SpanID(), "linked to the producer")
	assert.Equal(t, "MessageID_1", attrsOf(process)["messaging.message.id"].AsString())
	assert.Equal(t, "Error", process.Status().Code.String())
	assert.Equal(t, "*errors.errorString", attrsOf(process)["error.type"].AsString())
}
