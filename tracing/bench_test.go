package tracing_test

import (
	"context"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/lambdaguard/lambdaguard/guard"
	"github.com/lambdaguard/lambdaguard/tracing"
)

// discard is an exporter that drops what it gets.
type discard struct{}

func (discard) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (discard) Shutdown(context.Context) error                             { return nil }

// BenchmarkTracing measures what tracing adds to one invocation: the same
// handler and SQS event bare, guarded, and guarded and traced by an SDK
// provider with a batching processor and an exporter that drops the spans
// (flushed per invocation, as in Lambda). The raw variants go through
// aws-lambda-go's lambda.Handler, decoding the JSON payload as Lambda does.
func BenchmarkTracing(b *testing.B) {
	b.Setenv("AWS_LAMBDA_FUNCTION_NAME", "orders")
	b.Setenv("AWS_LAMBDA_MAX_CONCURRENCY", "")
	b.Setenv("_X_AMZN_TRACE_ID", "")
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(discard{}))
	b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })

	payload := fixture(b, "sqs-batch.json")
	ev := decode[events.SQSEvent](b, "sqs-batch.json")
	handler := func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
		return events.SQSEventResponse{}, nil
	}
	base := b.TempDir()
	traced := []guard.Option{guard.WithTempBase(base), tracing.WithTracing(tracing.WithTracerProvider(tp))}

	typed := map[string]func(context.Context, events.SQSEvent) (events.SQSEventResponse, error){
		"typed/bare":          handler,
		"typed/guard":         guard.Wrap(handler, guard.WithTempBase(base)),
		"typed/guard+tracing": guard.Wrap(handler, traced...),
	}
	for _, name := range []string{"typed/bare", "typed/guard", "typed/guard+tracing"} {
		h := typed[name]
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			ctx := invocation("req", "")
			for b.Loop() {
				if _, err := h(ctx, ev); err != nil {
					b.Fatal(err)
				}
			}
		})
	}

	raw := map[string]lambda.Handler{
		"raw/bare":                lambda.NewHandler(handler),
		"raw/guard+tracing":       lambda.NewHandler(guard.Wrap(handler, traced...)),
		"raw/WrapHandler+tracing": guard.WrapHandler(lambda.NewHandler(handler), traced...),
	}
	for _, name := range []string{"raw/bare", "raw/guard+tracing", "raw/WrapHandler+tracing"} {
		h := raw[name]
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			ctx := invocation("req", "")
			for b.Loop() {
				if _, err := h.Invoke(ctx, payload); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkTriggerSpan measures the span of one invocation for the triggers
// whose typed events are encoded to be classified (Kinesis, Kafka) beside
// those copied field by field (API Gateway, SQS), typed and raw, with a
// provider that records nothing: what reading the event and starting the
// span cost.
func BenchmarkTriggerSpan(b *testing.B) {
	b.Setenv("AWS_LAMBDA_FUNCTION_NAME", "orders")
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tracing.NewSpanProcessor(discard{})))
	b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	opts := []guard.Option{guard.WithTempBase(b.TempDir()), tracing.WithTracing(tracing.WithTracerProvider(tp))}
	for _, tt := range []struct {
		fixture string
		typed   func(testing.TB, string, []guard.Option) func(context.Context) error
	}{
		{"apigw-v2.json", typedBench[events.APIGatewayV2HTTPRequest]},
		{"sqs-batch.json", typedBench[events.SQSEvent]},
		{"kinesis-event.json", typedBench[events.KinesisEvent]},
		{"kafka-event.json", typedBench[events.KafkaEvent]},
	} {
		run := tt.typed(b, tt.fixture, opts)
		b.Run(tt.fixture+"/typed", func(b *testing.B) {
			b.ReportAllocs()
			ctx := invocation("req", "")
			for b.Loop() {
				if err := run(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
		h := guard.WrapHandler(rawHandler(func(context.Context, []byte) ([]byte, error) { return nil, nil }), opts...)
		payload := fixture(b, tt.fixture)
		b.Run(tt.fixture+"/raw", func(b *testing.B) {
			b.ReportAllocs()
			ctx := invocation("req", "")
			for b.Loop() {
				if _, err := h.Invoke(ctx, payload); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func typedBench[T any](b testing.TB, name string, opts []guard.Option) func(context.Context) error {
	ev := decode[T](b, name)
	h := guard.Wrap(func(context.Context, T) (string, error) { return "", nil }, opts...)
	return func(ctx context.Context) error {
		_, err := h(ctx, ev)
		return err
	}
}
