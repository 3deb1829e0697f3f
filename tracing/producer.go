package tracing

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// Messaging systems, as messaging.system names them, for StartSend.
const (
	SystemSQS         = "aws_sqs"
	SystemSNS         = "aws.sns"
	SystemEventBridge = "aws_eventbridge" // the conventions name none for it
	SystemKafka       = "kafka"
	SystemActiveMQ    = "activemq"
	SystemRabbitMQ    = "rabbitmq"
)

// StartSend starts the PRODUCER span of a message about to be sent to
// destination (a queue, topic or event bus name) of system (SystemSQS, …),
// named "send <destination>" as the messaging conventions ask, and returns
// the span's context as a Carrier to put in the message (see NewCarrier for
// where), the context of the span, and the span. End the span when the send
// returns, recording its error if it failed. The consumer, traced by this
// package, links its span to this one: the producer of the message.
//
//	carrier, ctx, span := tracing.StartSend(ctx, tracing.SystemSQS, "orders")
//	_, err := client.SendMessage(ctx, &sqs.SendMessageInput{…, MessageAttributes: attributesOf(carrier)})
//	tracing.EndSpan(span, err)
func StartSend(ctx context.Context, system, destination string, opts ...Option) (Carrier, context.Context, trace.Span) {
	cfg := newConfig(opts)
	ctx, span := startProducer(ctx, cfg, system, destination, "send")
	c := Carrier{}
	cfg.propagator.Inject(ctx, c)
	return c, ctx, span
}

// EndSpan ends a span StartSend or StartProcess started, recording err, if
// any, as the conventions ask (status Error, error.type, an exception event).
func EndSpan(span trace.Span, err error) {
	if err != nil {
		recordError(span, err)
	}
	span.End()
}

// startProducer starts a PRODUCER span for one operation (send, publish).
func startProducer(ctx context.Context, cfg *config, system, destination, op string) (context.Context, trace.Span) {
	name := op
	if destination != "" {
		name += " " + destination
	}
	attrs := []attribute.KeyValue{
		semconv.MessagingSystemKey.String(system),
		semconv.MessagingOperationTypeSend,
		semconv.MessagingOperationName(op),
	}
	if destination != "" {
		attrs = append(attrs, semconv.MessagingDestinationName(destination))
	}
	return cfg.tracerProvider().Tracer(instrumentationName,
		trace.WithInstrumentationVersion(version),
		trace.WithSchemaURL(semconv.SchemaURL),
	).Start(ctx, name, trace.WithSpanKind(trace.SpanKindProducer), trace.WithAttributes(attrs...))
}
