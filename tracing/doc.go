// Package tracing traces guarded Lambda handlers with OpenTelemetry: one
// trace across the functions, queues and HTTP calls that serve a request.
//
// It is the only package of lambdaguard that imports OpenTelemetry: a
// function that does not trace does not link it. It plugs into the guard as
// an option:
//
//	res, err := tracing.Resource(ctx) // the function's resource attributes
//	...
//	tp := sdktrace.NewTracerProvider(sdktrace.WithResource(res),
//		sdktrace.WithIDGenerator(tracing.NewIDGenerator()),
//		sdktrace.WithSpanProcessor(tracing.NewSpanProcessor(exporter)))
//	guard.Start(handler, tracing.WithTracing(tracing.WithTracerProvider(tp)))
//
// # The invocation's span
//
// Every invocation gets one span, shaped by the semantic conventions for
// FaaS, AWS Lambda, HTTP and messaging, with faas.trigger,
// faas.invocation_id, faas.coldstart, aws.lambda.invoked_arn,
// cloud.account.id and cloud.resource_id (read from the invoked ARN, the
// alias replaced by the running version), and what the trigger adds:
//
//   - HTTP (API Gateway REST and HTTP APIs, their REQUEST authorizers and
//     websockets, ALB, function URLs, guard.HTTP): kind SERVER, named
//     "{method} {route}" (the REST resource, the HTTP API route key unless
//     $default), or "{method}" without a route; http.request.method (_OTHER
//     and http.request.method_original for a method the conventions do not
//     know), http.route, url.path, url.query (credentials redacted),
//     url.scheme, user_agent.original, client.address, server.address,
//     network.protocol.version as the event has them, and the response's
//     status;
//   - SQS, SNS, Kinesis, Kafka (MSK, self-managed), Amazon MQ (ActiveMQ,
//     RabbitMQ): kind CONSUMER, "process <destination>", messaging.system,
//     messaging.operation, the destination, the message id of a batch of one
//     or the count of a larger one, aws.sqs.queue.url, aws.sns.topic.arn,
//     aws.kinesis.stream_name, the partition;
//   - DynamoDB streams and S3: kind SERVER, faas.document.collection,
//     .operation, .time and .name (of the batch's first record);
//   - an EventBridge schedule: faas.time (the event has no faas.cron, only
//     the rule's ARN); another EventBridge event: CONSUMER.
//
// Typed events (guard.Wrap) and raw payloads (guard.WrapHandler) go through
// one classifier, so one event gets one span whichever way it came:
// docs/TRACING.md has the table of every trigger, written by a test over
// aws-lambda-go's own sample events. A handler error, a 5xx response or a
// panic sets the span's status to Error and records an exception event (with
// the stack, for a panic); the panic goes on as it would without tracing.
//
// What is the same for every invocation of the execution environment —
// cloud.provider, cloud.platform, cloud.region, faas.name, faas.version,
// faas.instance, faas.max_memory — is not repeated on every span: the
// conventions put it on the TracerProvider's resource, exported once per
// batch. Resource builds it, with OpenTelemetry's Lambda resource detector:
//
//	res, err := tracing.Resource(ctx)
//	...
//	tp := sdktrace.NewTracerProvider(sdktrace.WithResource(res), sdktrace.WithSpanProcessor(tracing.NewSpanProcessor(exporter)))
//
// faas.coldstart is true for the first invocation of an environment started
// on demand only: an environment initialised ahead of time
// (AWS_LAMBDA_INITIALIZATION_TYPE provisioned-concurrency or snap-start)
// kept no caller waiting.
//
// # Exporting
//
// The provider is flushed after every invocation, before the result goes
// back: the process may be frozen right after, and a span left in a buffer
// would be exported, if ever, on the next thaw. NewSpanProcessor is made for
// that: a mutex around the exporter, ended spans kept in memory until the
// flush exports them, the flush bounded by the invocation's deadline
// whatever the exporter does with its context. The SDK's batch span
// processor (sdktrace.WithBatcher) works too, at the cost of waking its
// goroutine for every span that ends.
//
// # Where the parent comes from
//
// The span continues the trace of whoever caused the invocation, read with
// the configured propagator (by default W3C traceparent and baggage, and the
// X-Ray header X-Amzn-Trace-Id) from where that caller put it:
//
//   - API Gateway REST and HTTP APIs, ALB, function URLs, guard.HTTP: the
//     request headers, whatever their case;
//   - SQS: each message's String message attributes, and the AWSTraceHeader
//     system attribute; SNS: each notification's message attributes. As the
//     messaging conventions ask for a batch, the span links to every
//     message's producer; a batch of one message is also its child;
//   - EventBridge: the detail's traceContext field (CarrierField);
//   - a direct invocation: the payload's traceContext field (embed
//     TraceContext), else the client context's custom map;
//   - else the X-Ray header that Lambda gives the invocation
//     (Lambda-Runtime-Trace-Id: aws-lambda-go puts it in the context; the
//     _X_AMZN_TRACE_ID variable is read only when invocations do not run
//     concurrently), when it is sampled. When the event had a parent of its
//     own, a sampled Lambda header becomes a link.
//
// X-Ray headers are read with spaces tolerated. One that names a parent
// segment and a sampling decision is a parent like any other. One that names
// no parent (what an ALB and HTTP APIs send: "Root=1-…" alone) or no
// decision ("Sampled=?", or none) is not: a made-up parent span would be
// shown as missing, and a parent with no decision would make the span
// unsampled when the receiver is the one to decide. The span is a root, so
// the provider's sampler decides on it, in the header's trace when the
// provider has NewIDGenerator (it gives such a root the header's trace id),
// and linked to the parent segment when the header names one. The
// generator, rather than only a link, because a link does not put the
// span in the trace a trace view shows, and the X-Ray trace id is what the
// load balancer's logs name.
//
// OTEL_PROPAGATORS chooses the propagator when WithPropagator does not;
// "xray-lambda" in it makes Lambda's own X-Ray context the parent, over the
// event's (which is linked), as the AWS Lambda conventions ask users be
// able to choose for active tracing. Raw payloads (guard.WrapHandler) are
// read through a small struct that holds only the fields above; the payload
// itself is never decoded into map[string]any nor re-encoded.
//
// # Propagation out
//
// NewTransport and NewClient put the invocation's context into outgoing HTTP
// requests (otelhttp, with a CLIENT span each, named by the method).
// StartSend starts the PRODUCER span of a message, "send <destination>",
// and gives its context as a Carrier to copy into the message's attributes,
// an EventBridge detail or a direct invocation's payload; the function at
// the other end links its span to that producer. Package tracing/awssdk does
// all that for SQS, SNS and EventBridge calls made with the AWS SDK for Go
// v2. NewCarrier gives the invocation's own context as a Carrier. In a batch
// handler, StartProcess gives each SQS message a "process" span linked to
// its producer.
//
// # Logs
//
// NewLogHandler adds trace_id, span_id, trace_flags, requestId and coldStart to every
// record logged with the invocation's context, around any slog.Handler,
// aws-lambda-go's lambdacontext.NewLogHandler included.
//
// # Flush and shutdown
//
// Lambda may freeze the process as soon as a result is returned, and spans
// still buffered then are exported late or never. The TracerProvider (when
// it has ForceFlush, as the SDK's has) is flushed when the invocation's scope
// closes, before the guard returns the result, bounded by WithFlushTimeout
// and the deadline. WithTracing also registers a shutdown hook that shuts the
// provider down when the environment ends.
package tracing
