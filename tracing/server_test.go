package tracing_test

import (
	"encoding/json"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
