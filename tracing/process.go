package tracing

import (
	"context"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/lambdaguard/lambdaguard/guard"
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
	return startProcess(ctx, newConfig(opts), m)
}

func startProcess(ctx context.Context, cfg *config, m events.SQSMessage) (context.Context, trace.Span) {
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

// record is the guard's record middleware (guard.WithRecordMiddleware): a
// "process" span for each record a batch helper runs — StartProcess's for an
// SQS message; for a stream record, one named after its stream or table,
// with its sequence number as the message id — ended with the record's error
// or panic.
func (t *tracer) record(ctx context.Context, event any, next guard.Next) (res any, err error) {
	var span trace.Span
	switch r := event.(type) {
	case events.SQSMessage:
		ctx, span = startProcess(ctx, t.cfg, r)
	case events.KinesisEventRecord:
		ctx, span = t.startStreamRecord(ctx, messagingSystemKinesis, lastField(r.EventSourceArn, '/'), r.Kinesis.SequenceNumber)
	case events.DynamoDBEventRecord:
		table, _, _ := strings.Cut(lastField(r.EventSourceArn, ':'), "/stream/")
		ctx, span = t.startStreamRecord(ctx, semconv.DBSystemNameAWSDynamoDB, strings.TrimPrefix(table, "table/"), r.Change.SequenceNumber)
	default:
		return next(ctx)
	}
	defer func() {
		if r := recover(); r != nil {
			perr := panicError{r}
			span.RecordError(perr, trace.WithStackTrace(true))
			span.SetStatus(codes.Error, perr.Error())
			span.End()
			panic(r)
		}
		EndSpan(span, err)
	}()
	return next(ctx)
}

func (t *tracer) startStreamRecord(ctx context.Context, system attribute.KeyValue, source, seq string) (context.Context, trace.Span) {
	name := "process"
	if source != "" {
		name += " " + source
	}
	return t.tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindConsumer), trace.WithAttributes(
		system,
		semconv.MessagingOperationTypeProcess,
		semconv.MessagingOperationName("process"),
		semconv.MessagingMessageID(seq),
	))
}
