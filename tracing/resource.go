package tracing

import (
	"context"
	"os"

	lambdadetector "go.opentelemetry.io/contrib/detectors/aws/lambda"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/resource"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
)

// Resource returns the resource for a Lambda function's TracerProvider: what
// is the same for every span of the execution environment, which the
// conventions put on the resource rather than on each span. It holds
//
//   - cloud.provider, cloud.region, faas.name, faas.version, faas.instance
//     and faas.max_memory, read from Lambda's variables by OpenTelemetry's
//     Lambda resource detector (go.opentelemetry.io/contrib/detectors/aws/lambda);
//   - cloud.platform aws_lambda, which that detector does not set;
//   - service.name: the function's name, unless OTEL_SERVICE_NAME or
//     OTEL_RESOURCE_ATTRIBUTES say otherwise (outside Lambda, the SDK's
//     default);
//   - the SDK's telemetry.sdk attributes, and attrs, which win over the rest.
//
// Use it once, at init:
//
//	res, err := tracing.Resource(ctx)
//	...
//	tp := sdktrace.NewTracerProvider(sdktrace.WithResource(res), sdktrace.WithSpanProcessor(tracing.NewSpanProcessor(exporter)))
func Resource(ctx context.Context, attrs ...attribute.KeyValue) (*resource.Resource, error) {
	opts := []resource.Option{
		resource.WithTelemetrySDK(),
		resource.WithDetectors(lambdadetector.NewResourceDetector()),
	}
	if name := os.Getenv("AWS_LAMBDA_FUNCTION_NAME"); name != "" {
		opts = append(opts, resource.WithAttributes(semconv.CloudPlatformAWSLambda, semconv.ServiceName(name)))
	}
	opts = append(opts, resource.WithFromEnv(), resource.WithAttributes(attrs...))
	res, err := resource.New(ctx, opts...)
	if err != nil {
		return res, err
	}
	// The SDK's default service name ("unknown_service:<program>") when
	// neither Lambda nor the environment named the service.
	return resource.Merge(resource.Default(), res)
}
