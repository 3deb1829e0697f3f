package guard_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdaguard/lambdaguard/internal/runtimeapi"
)

// TestStreamThroughRuntimeAPI runs a streaming bootstrap built on
// guard.Start under the runner's Runtime API: aws-lambda-go posts the body
// chunked, as it is produced after the handler returned, and it arrives
// whole; a stream that breaks off half-way reaches the caller as the
// invocation's error, which aws-lambda-go sends in the trailers. The
// invocation closes after its body either way.
func TestStreamThroughRuntimeAPI(t *testing.T) {
	f, output := startBootstrap(t, "./testdata/stream")

	r, err := f.Invoke(context.Background(), runtimeapi.Invocation{Payload: []byte(`{"rows":5000}`)})
	require.NoError(t, err)
	require.Nil(t, r.Error)
	prelude, body, ok := bytes.Cut(r.Payload, make([]byte, 8))
	require.True(t, ok, "the function URL prelude: %q", r.Payload[:min(len(r.Payload), 80)])
	assert.Contains(t, string(prelude), `"statusCode":200`)
	assert.Equal(t, 5000, strings.Count(string(body), "\n"), "every row arrived")
	assert.Equal(t, "application/vnd.awslambda.http-integration-response", r.ContentType)

	r, err = f.Invoke(context.Background(), runtimeapi.Invocation{Payload: []byte(`{"rows":5000,"fail":true}`)})
	require.NoError(t, err)
	require.NotNil(t, r.Error, "a stream that breaks off is the invocation's error")
	assert.Contains(t, r.Error.Message, "the export broke off at row 2500")

	require.NoError(t, f.Close())
	assert.Equal(t, 2, strings.Count(output(), "invocation closed after the body"))
}
