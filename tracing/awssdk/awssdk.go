package awssdk

import (
	"context"

	"github.com/aws/smithy-go/middleware"
	//lint:ignore SA1019 otelaws is the contrib instrumentation of the SDK there is (see the package documentation)
	"go.opentelemetry.io/contrib/instrumentation/github.com/aws/aws-sdk-go-v2/otelaws"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/lambdaguard/lambdaguard/tracing"
)

// maxAttributes is how many message attributes SQS allows a message, and
// SNS a message delivered to SQS.
const maxAttributes = 10

// AppendMiddlewares adds the tracing to the SDK's API options
// (aws.Config.APIOptions, or a client's Options.APIOptions): otelaws's
// middleware, with the provider and propagator of opts, and the producer
// middleware described in the package documentation.
func AppendMiddlewares(apiOptions *[]func(*middleware.Stack) error, opts ...tracing.Option) {
	cfg := resolve(opts)
	o := []otelaws.Option{otelaws.WithTextMapPropagator(cfg.propagator), otelaws.WithTracerProvider(cfg.provider)}
	otelaws.AppendMiddlewares(apiOptions, o...)
	*apiOptions = append(*apiOptions, func(s *middleware.Stack) error {
		// Added first in the Initialize step: the PRODUCER span starts
		// before otelaws's CLIENT span, which becomes its child.
		return s.Initialize.Add(producer{opts: opts}, middleware.Before)
	})
}

// resolved is what this package needs of the tracing options.
type resolved struct {
	provider   trace.TracerProvider
	propagator propagation.TextMapPropagator
}

func resolve(opts []tracing.Option) resolved {
	return resolved{provider: tracing.TracerProvider(opts...), propagator: tracing.Propagator(opts...)}
}

// producer is the Initialize middleware that gives a message-sending call
// its PRODUCER span and puts the span's context into the messages.
type producer struct {
	opts []tracing.Option
}

func (producer) ID() string { return "LambdaguardTracingProducer" }

func (p producer) HandleInitialize(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
	m, ok := messagesOf(in.Parameters)
	if !ok {
		return next.HandleInitialize(ctx, in)
	}
	carrier, ctx, span := tracing.StartSend(ctx, m.system, m.destination, p.opts...)
	if m.count != 1 {
		span.SetAttributes(semconv.MessagingBatchMessageCount(m.count))
	}
	in.Parameters = m.inject(carrier)
	out, md, err := next.HandleInitialize(ctx, in)
	if err == nil {
		if id := messageID(out.Result); id != "" {
			span.SetAttributes(semconv.MessagingMessageID(id))
		}
	}
	tracing.EndSpan(span, err)
	return out, md, err
}
