// Package tracing traces guarded Lambda handlers with OpenTelemetry: one
// trace across the functions, queues and HTTP calls that serve a request.
//
// It is the only package of lambdaguard that imports OpenTelemetry: a
// function that does not trace does not link it. It plugs into the guard as
// an option:
//
//	res, err := tracing.Resource(ctx) // the function's resource attributes
//	...
//	tp := sdktrace.NewTracerProvider(sdktrace.WithResource(res), sdktrace.WithSpanProcessor(tracing.NewSpanProcessor(exporter)))
//	guard.Start(handler, tracing.WithTracing(tracing.WithTracerProvider(tp)))
//
// # The invocation's span
//
// Every invocation gets one span, shaped by the semantic conventions for
// FaaS and AWS Lambda: kind SERVER (CONSUMER for SQS, SNS, EventBridge and
// Kinesis), with faas.trigger, faas.invocation_id, faas.coldstart,
// aws.lambda.invoked_arn, cloud.account.id and cloud.resource_id (read from
// the invoked ARN, the alias replaced by the running version), plus the
// HTTP attributes of an HTTP trigger, its response status among them, and
// the messaging attributes of a batch. A handler error, a 5xx response or a
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
// that: it keeps ended spans in memory and the flush exports them in the
// invocation's own goroutine. The SDK's batch span processor
// (sdktrace.WithBatcher) works too, at the cost of waking its goroutine for
// every span that ends and for every flush, more than the rest of the
// tracing costs for a small invocation.
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
// An X-Ray header that names a trace but no parent (an ALB's "Root=1-…")
// still joins that trace. Raw payloads (guard.WrapHandler) are read through a
// small struct that holds only the fields above; the payload itself is
// never decoded into map[string]any nor re-encoded.
//
// # Propagation out
//
// NewTransport and NewClient put the invocation's context into outgoing HTTP
// requests (otelhttp, with a client span each). NewCarrier gives it as a
// map, to copy into SQS or SNS message attributes, an EventBridge detail or
// a direct invocation's payload; the function at the other end, traced by
// this package, continues the trace.
//
// # Logs
//
// NewLogHandler adds trace_id, span_id, requestId and coldStart to every
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
