package tracing_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"

	"github.com/lambdaguard/lambdaguard/tracing"
)

func resourceAttrs(t *testing.T, kv ...attribute.KeyValue) map[string]string {
	t.Helper()
	res, err := tracing.Resource(context.Background(), kv...)
	require.NoError(t, err)
	got := map[string]string{}
	for _, a := range res.Attributes() {
		got[string(a.Key)] = a.Value.String()
	}
	return got
}

func TestResourceInLambda(t *testing.T) {
	lambdaEnv(t)
	t.Setenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
	t.Setenv("AWS_LAMBDA_LOG_STREAM_NAME", "2026/11/23/[7]abc")
	t.Setenv("OTEL_SERVICE_NAME", "")
	t.Setenv("OTEL_RESOURCE_ATTRIBUTES", "")
	got := resourceAttrs(t, attribute.String("deployment.environment.name", "prod"))
	assert.Equal(t, "orders", got["faas.name"])
	assert.Equal(t, "7", got["faas.version"])
	assert.Equal(t, "eu-west-1", got["cloud.region"])
	assert.Equal(t, "aws", got["cloud.provider"])
	assert.Equal(t, "aws_lambda", got["cloud.platform"])
	assert.Equal(t, "2026/11/23/[7]abc", got["faas.instance"])
	assert.Equal(t, "268435456", got["faas.max_memory"])
	assert.Equal(t, "orders", got["service.name"])
	assert.Equal(t, "prod", got["deployment.environment.name"])
	assert.Equal(t, "opentelemetry", got["telemetry.sdk.name"])
}

func TestResourceHonoursTheEnvironment(t *testing.T) {
	lambdaEnv(t)
	t.Setenv("OTEL_SERVICE_NAME", "checkout")
	t.Setenv("OTEL_RESOURCE_ATTRIBUTES", "team=payments")
	got := resourceAttrs(t)
	assert.Equal(t, "checkout", got["service.name"])
	assert.Equal(t, "payments", got["team"])
	assert.Equal(t, "orders", got["faas.name"])
}

func TestResourceOutsideLambda(t *testing.T) {
	for _, k := range []string{"AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_VERSION", "AWS_REGION", "OTEL_SERVICE_NAME", "OTEL_RESOURCE_ATTRIBUTES"} {
		t.Setenv(k, "")
	}
	got := resourceAttrs(t)
	assert.NotContains(t, got, "faas.name")
	assert.NotContains(t, got, "cloud.platform")
	assert.Contains(t, got["service.name"], "unknown_service")
}
