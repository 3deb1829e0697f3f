package tracing

import (
	"context"

	"github.com/aws/aws-lambda-go/events"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// StartProcess starts the span of the processing of one message of an SQS
// batch, as the messaging conventions recommend: kind CONSUMER, named
// "process <queue>", a child of the invocation's span, linked to the
// message's producer (its traceparent attribute, the SNS notification in its
// body, and its AWSTraceHeader, each a link when they differ). End it when
// the message is done, with EndSpan.
//
//	for _, m := range event.Records {
//		ctx, span := tracing.StartProcess(ctx, m)
//		err := handle(ctx, m)
//		tracing.EndSpan(span, err)
//	}
func StartProcess(ctx context.Context, m events.SQSMessage, opts ...Option) (context.Context, trace.Span) {
	cfg := newConfig(opts)
	queue := lastField(m.EventSourceARN, ':')
	carrier := sqsCarrier{attrs: m.MessageAttributes}
	if env, ok := snsEnvelope(m.Body); ok {
		carrier.envelope = env
	}
	var links []trace.Link
	sc, ok := cfg.extractLink(carrier)
	if ok {
		links = append(links, trace.Link{SpanContext: sc})
	}
	if h := m.Attributes["AWSTraceHeader"]; h != "" {
		if xsc, xok := cfg.extractLink(xrayCarrier(h)); xok && (!ok || xsc.SpanID() != sc.SpanID()) {
			links = append(links, trace.Link{SpanContext: xsc})
		}
	}
	name := "process"
	if queue != "" {
		name += " " + queue
	}
	opt := []trace.SpanStartOption{
		trace.WithSpanKind(trace.SpanKindConsumer),
		trace.WithLinks(links...),
		trace.WithAttributes(
			semconv.MessagingSystemAWSSQS,
			semconv.MessagingOperationTypeProcess,
			semconv.MessagingOperationName("process"),
			semconv.MessagingMessageID(m.MessageId),
		),
	}
	if queue != "" {
		opt = append(opt, trace.WithAttributes(semconv.MessagingDestinationName(queue)))
	}
	if u := queueURL(m.EventSourceARN); u != "" {
		opt = append(opt, trace.WithAttributes(semconv.AWSSQSQueueURL(u)))
	}
	return cfg.tracerProvider().Tracer(instrumentationName,
		trace.WithInstrumentationVersion(version),
		trace.WithSchemaURL(semconv.SchemaURL),
	).Start(ctx, name, opt...)
}
