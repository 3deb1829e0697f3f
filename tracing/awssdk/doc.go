// Package awssdk traces the calls a function makes with the AWS SDK for Go v2
// and carries the invocation's trace into the messages it sends, so that the
// function the message triggers continues the trace.
//
// It is a package of its own so that a function that traces without the SDK
// does not link the SDK. It builds on contrib's otelaws, which gives every
// call a CLIENT span and puts the trace context on the HTTP request; to the
// calls that send messages it adds what the messaging conventions ask:
//
//   - SQS SendMessage and SendMessageBatch, SNS Publish and PublishBatch,
//     EventBridge PutEvents get a PRODUCER span, "send <queue, topic or
//     bus>", the parent of otelaws's CLIENT span;
//   - that span's context goes into every message: SQS and SNS message
//     attributes (String), within the ten a message may have (traceparent
//     first; an attribute the caller set is never replaced), and for SQS the
//     X-Ray header as the AWSTraceHeader system attribute, which does not
//     count; an EventBridge entry's detail, under tracing.CarrierField, and
//     its TraceHeader.
//
// The caller's input is not modified: the middleware sends a copy.
//
//	cfg, err := config.LoadDefaultConfig(ctx)
//	...
//	awssdk.AppendMiddlewares(&cfg.APIOptions, tracing.WithTracerProvider(tp))
//	client := sqs.NewFromConfig(cfg)
//
// otelaws is marked deprecated by its makers (no longer supported); it is
// the contrib instrumentation that works with otel v1.47 today, and this
// package uses nothing of it but AppendMiddlewares.
package awssdk
