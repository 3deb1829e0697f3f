package guard_test

import (
	"bytes"
	"context"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdaguard/lambdaguard/internal/runtimeapi"
	"github.com/lambdaguard/lambdaguard/internal/testbin"
)

// TestStreamThroughRuntimeAPI runs a streaming bootstrap built on
// guard.Start under the runner's Runtime API: aws-lambda-go posts the body
// chunked, as it is produced after the handler returned, and it arrives
// whole; a stream that breaks off half-way reaches the caller as the
// invocation's error, which aws-lambda-go sends in the trailers. The
// invocation closes after its body either way.
func TestStreamThroughRuntimeAPI(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a bootstrap")
	}
	if runtime.GOOS != "linux" {
		t.Skipf("the runner runs linux bootstraps; this is %s", runtime.GOOS)
	}
	bin := testbin.Build(t, "./testdata/stream")
	var mu sync.Mutex
	var logs []string
	f, err := runtimeapi.Start(bin, runtimeapi.Config{
		Name: "stream",
		Logs: func(l runtimeapi.Line) { mu.Lock(); logs = append(logs, l.Text); mu.Unlock() },
	})
	require.NoError(t, err)
	defer f.Close()

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
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, 2, strings.Count(strings.Join(logs, "\n"), "invocation closed after the body"))
}
