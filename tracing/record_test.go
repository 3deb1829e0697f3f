package tracing_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/lambdaguard/lambdaguard/guard"
	"github.com/lambdaguard/lambdaguard/tracing"
)

// With tracing on, each record a batch helper runs gets a "process" span, a
// child of the invocation's span, linked to the record's producer, carrying
// the record's error.
func TestBatchRecordsGetProcessSpans(t *testing.T) {
	lambdaEnv(t)
	tp, sr := recorder(t)
	ev := decode[events.SQSEvent](t, "sqs-batch.json")
	require.GreaterOrEqual(t, len(ev.Records), 2)
	var inRecord []trace.SpanContext
	h := guard.Wrap(guard.SQS(func(ctx context.Context, m events.SQSMessage) error {
		inRecord = append(inRecord, trace.SpanContextFromContext(ctx))
		if m.MessageId == ev.Records[1].MessageId {
			return errors.New("rejected")
		}
		return nil
	}), guard.WithTempBase(t.TempDir()), tracing.WithTracing(tracing.WithTracerProvider(tp)))
	res, err := h(invocation("batch", ""), ev)
	require.NoError(t, err)
	require.Len(t, res.BatchItemFailures, 1)

	var invocationSpan trace.SpanContext
	var process []sdktrace.ReadOnlySpan
	for _, s := range sr.Ended() {
		if _, ok := attrsOf(s)["faas.trigger"]; ok {
			invocationSpan = s.SpanContext()
		} else {
			process = append(process, s)
		}
	}
	require.True(t, invocationSpan.IsValid(), "the invocation's span")
	require.Len(t, process, len(ev.Records), "a process span per record")
	for _, s := range process {
		a := attrsOf(s)
		assert.Equal(t, trace.SpanKindConsumer, s.SpanKind())
		assert.Equal(t, invocationSpan.SpanID(), s.Parent().SpanID(), "a child of the invocation's span")
		assert.Equal(t, "process", a["messaging.operation.name"].AsString())
		assert.Len(t, s.Links(), 1, "linked to its producer")
		if a["messaging.message.id"].AsString() == ev.Records[1].MessageId {
			assert.Equal(t, codes.Error, s.Status().Code, "the record's error")
		} else {
			assert.NotEqual(t, codes.Error, s.Status().Code)
		}
	}
	for _, sc := range inRecord {
		assert.True(t, sc.IsValid(), "the record runs inside its span")
	}
}
