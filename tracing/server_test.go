package tracing_test

import (
	"encoding/json"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
)

// withField returns the sample with a field set, at the path given.
func withField(t *testing.T, name string, value any, path ...string) []byte {
	t.Helper()
	var ev map[string]any
	require.NoError(t, json.Unmarshal(fixture(t, name), &ev))
	m := ev
	for _, k := range path[:len(path)-1] {
		m = m[k].(map[string]any)
	}
	m[path[len(path)-1]] = value
	b, err := json.Marshal(ev)
	require.NoError(t, err)
	return b
}

func TestHTTPMethodNormalised(t *testing.T) {
	tests := []struct {
		method, wantName, wantMethod, wantOriginal string
	}{
		{"GET", "GET /{proxy+}", "GET", ""},
		{"QUERY", "QUERY /{proxy+}", "QUERY", ""},
		{"PURGE", "HTTP /{proxy+}", "_OTHER", "PURGE"},
		{"get", "HTTP /{proxy+}", "_OTHER", "get"},
	}
	for _, tt := range tests {
		t.Run(tt.method, func(t *testing.T) {
			lambdaEnv(t)
			payload := withField(t, "apigw-request.json", tt.method, "httpMethod")
			for form, spans := range bothForms[events.APIGatewayProxyRequest](t, payload, invocation("r", ""), nil) {
				require.Len(t, spans, 1, form)
				a := attrsOf(spans[0])
				assert.Equal(t, tt.wantName, spans[0].Name(), form)
				assert.Equal(t, tt.wantMethod, a["http.request.method"].AsString(), form)
				assert.Equal(t, tt.wantOriginal, a["http.request.method_original"].AsString(), form)
			}
		})
	}
}

func TestHTTPQueryRedacted(t *testing.T) {
	lambdaEnv(t)
	payload := withField(t, "lambda-urls-request.json", "X-Amz-Expires=60&AWSAccessKeyId=AKIDEXAMPLE&Signature=abc&page=2", "rawQueryString")
	for form, spans := range bothForms[events.LambdaFunctionURLRequest](t, payload, invocation("r", ""), nil) {
		require.Len(t, spans, 1, form)
		assert.Equal(t, "X-Amz-Expires=60&AWSAccessKeyId=REDACTED&Signature=REDACTED&page=2", attrsOf(spans[0])["url.query"].AsString(), form)
	}
}

// kafkaHeader is a Kafka header's value as Lambda writes it: signed bytes.
func kafkaHeader(s string) []int {
	out := make([]int, len(s))
	for i := range s {
		out[i] = int(int8(s[i]))
	}
	return out
}

// A Kafka batch links every record's producer, read from its headers.
func TestKafkaBatchLinks(t *testing.T) {
	lambdaEnv(t)
	var ev map[string]any
	require.NoError(t, json.Unmarshal(fixture(t, "kafka-event.json"), &ev))
	recs := ev["records"].(map[string]any)
	first := recs["AWSKafkaTopic-0"].([]any)[0].(map[string]any)
	second := map[string]any{}
	for k, v := range first {
		second[k] = v
	}
	first["headers"] = []any{map[string]any{"traceparent": kafkaHeader("00-11111111111111111111111111111111-1111111111111111-01")}}
	second["partition"] = 1
	second["headers"] = []any{map[string]any{"traceparent": kafkaHeader("00-22222222222222222222222222222222-2222222222222222-01")}}
	recs["AWSKafkaTopic-1"] = []any{second}
	payload, err := json.Marshal(ev)
	require.NoError(t, err)
	for form, spans := range bothForms[events.KafkaEvent](t, payload, invocation("r", ""), nil) {
		require.Len(t, spans, 1, form)
		s := spans[0]
		assert.False(t, s.Parent().IsValid(), "%s: a batch has no parent", form)
		assert.Equal(t, []string{"11111111111111111111111111111111", "22222222222222222222222222222222"}, linkedTraces(s), form)
		assert.Equal(t, int64(2), attrsOf(s)["messaging.batch.message_count"].AsInt64(), form)
		assert.Equal(t, "process AWSKafkaTopic", s.Name(), form)
		assert.NotContains(t, attrsOf(s), attribute.Key("messaging.destination.partition.id"), "%s: two partitions", form)
	}
}
