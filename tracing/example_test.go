package tracing_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/lambdaguard/lambdaguard/guard"
	"github.com/lambdaguard/lambdaguard/tracing"
)

// A function behind an HTTP API continues its caller's trace, logs with the
// trace ids and sends a message that carries the trace on to the next
// function. In main, hand the handler to guard.Start instead of calling it.
func ExampleWithTracing() {
	// In a real function: an OTLP exporter configured by OTEL_* variables,
	// sdktrace.WithBatcher(exporter). The guard flushes it per invocation.
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	defer func() { _ = tp.Shutdown(context.Background()) }()

	log := slog.New(tracing.NewLogHandler(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			switch a.Key { // steady output for the example
			case slog.TimeKey:
				return slog.Attr{}
			case "span_id":
				a.Value = slog.StringValue("random")
			}
			return a
		},
	})))

	handler := func(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		log.InfoContext(ctx, "placing order")
		// Copy into the SQS message's MessageAttributes (DataType "String").
		carrier := tracing.NewCarrier(ctx)
		fmt.Println("traceparent sent:", carrier["traceparent"][:35])
		return events.APIGatewayV2HTTPResponse{StatusCode: 201}, nil
	}
	h := guard.Wrap(handler, tracing.WithTracing(tracing.WithTracerProvider(tp), tracing.WithFunctionName("orders")))

	// What the API delivers: the caller's traceparent among the headers.
	req := events.APIGatewayV2HTTPRequest{
		Version:  "2.0",
		RouteKey: "POST /orders",
		RawPath:  "/orders",
		Headers:  map[string]string{"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"},
	}
	req.RequestContext.HTTP.Method = "POST"
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "8476a536-e9f4-11e8-9739-2dfe598c3fcd"})
	_, _ = h(ctx, req)

	s := spans.Ended()[0]
	fmt.Println("span:", s.Name(), s.SpanKind())
	fmt.Println("parent:", s.Parent().TraceID(), s.Parent().SpanID())
	// Output:
	// level=INFO msg="placing order" trace_id=0af7651916cd43dd8448eb211c80319c span_id=random trace_flags=01 requestId=8476a536-e9f4-11e8-9739-2dfe598c3fcd coldStart=true
	// traceparent sent: 00-0af7651916cd43dd8448eb211c80319c
	// span: POST /orders server
	// parent: 0af7651916cd43dd8448eb211c80319c b7ad6b7169203331
}

// The TracerProvider of a function gets the environment's attributes once,
// on its resource, rather than on every span.
func ExampleResource() {
	// As Lambda sets them (restored afterwards: this is an example run as a test).
	for k, v := range map[string]string{"AWS_LAMBDA_FUNCTION_NAME": "orders", "AWS_LAMBDA_FUNCTION_VERSION": "7", "AWS_REGION": "eu-west-1", "OTEL_SERVICE_NAME": "", "OTEL_RESOURCE_ATTRIBUTES": ""} {
		old, had := os.LookupEnv(k)
		os.Setenv(k, v)
		defer func() {
			if had {
				os.Setenv(k, old)
			} else {
				os.Unsetenv(k)
			}
		}()
	}

	res, err := tracing.Resource(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithResource(res))
	defer func() { _ = tp.Shutdown(context.Background()) }()

	for _, k := range []attribute.Key{"service.name", "faas.name", "faas.version", "cloud.region", "cloud.platform"} {
		v, _ := res.Set().Value(k)
		fmt.Printf("%s=%s\n", k, v.String())
	}
	// Output:
	// service.name=orders
	// faas.name=orders
	// faas.version=7
	// cloud.region=eu-west-1
	// cloud.platform=aws_lambda
}

// A function's provider keeps its ended spans in memory and exports them in
// the guard's flush after each invocation, bounded by its deadline.
func ExampleNewSpanProcessor() {
	// In a real function: an OTLP exporter, and the resource of Resource.
	exporter := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tracing.NewSpanProcessor(exporter)))
	defer func() { _ = tp.Shutdown(context.Background()) }()

	handler := func(ctx context.Context, order string) (string, error) {
		_, span := tp.Tracer("orders").Start(ctx, "store order")
		defer span.End()
		fmt.Println("exported while the handler runs:", len(exporter.GetSpans()))
		return "stored " + order, nil
	}
	h := guard.Wrap(handler, tracing.WithTracing(tracing.WithTracerProvider(tp), tracing.WithFunctionName("orders")))

	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "8476a536-e9f4-11e8-9739-2dfe598c3fcd"})
	res, _ := h(ctx, "42")
	fmt.Println(res)
	for _, s := range exporter.GetSpans() {
		fmt.Println("exported:", s.Name)
	}
	// Output:
	// exported while the handler runs: 0
	// stored 42
	// exported: store order
	// exported: orders
}

// A message sent to a queue gets a PRODUCER span, whose context goes into
// the message's attributes for the consumer to link to.
func ExampleStartSend() {
	exporter := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exporter))
	defer func() { _ = tp.Shutdown(context.Background()) }()

	carrier, _, span := tracing.StartSend(context.Background(), tracing.SystemSQS, "orders", tracing.WithTracerProvider(tp))
	// client.SendMessage(ctx, &sqs.SendMessageInput{…}) with carrier's
	// entries as String message attributes.
	tracing.EndSpan(span, nil)

	s := exporter.GetSpans()[0]
	fmt.Println(s.Name, s.SpanKind)
	fmt.Println("the message carries it:", strings.Contains(carrier["traceparent"], s.SpanContext.SpanID().String()))
	// Output:
	// send orders producer
	// the message carries it: true
}
