package guard_test

import (
	"context"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdaguard/lambdaguard/internal/runtimeapi"
	"github.com/lambdaguard/lambdaguard/internal/testbin"
)

// TestLifecycleThroughRunner runs a bootstrap built on guard.Start through
// the local runner: a freeze longer than the thaw threshold fires the thaw
// hook, the shared resource is built once, and at shutdown (SIGTERM, as
// Lambda sends it) the hooks run, the shared resource is closed and the
// process exits by itself, before the runner's SIGKILL.
func TestLifecycleThroughRunner(t *testing.T) {
	f, output := startBootstrap(t, "./testdata/lifecycle")
	for i := range 2 {
		if i > 0 {
			require.NoError(t, f.Freeze())
			time.Sleep(time.Second) // past the bootstrap's 500ms thaw threshold
			require.NoError(t, f.Thaw())
		}
		r, err := f.Invoke(context.Background(), runtimeapi.Invocation{Payload: []byte(`{}`)})
		require.NoError(t, err)
		require.Nil(t, r.Error)
	}
	require.NoError(t, f.Close())
	assert.Equal(t, "exit status 0", f.ExitStatus(), "the process exits after its shutdown, not killed")

	logs := output()
	assert.Equal(t, 1, strings.Count(logs, "shared resource built"), logs)
	assert.Equal(t, 1, strings.Count(logs, "thawed after a long gap"), logs)
	assert.Contains(t, logs, "shutdown hook ran", "the shutdown hook ran on SIGTERM")
	assert.Contains(t, logs, "shared resource closed", "shared resources are closed at shutdown")
	assert.Less(t, strings.Index(logs, "shutdown hook ran"), strings.Index(logs, "shared resource closed"),
		"hooks (a trace flush) run before the shared resources close")
}

// startBootstrap builds the bootstrap in pkg (a directory under testdata)
// and starts it under the runner's Runtime API, skipping where that cannot
// be done. output returns what the bootstrap has written so far, a line a
// line; the function is closed when the test ends, if the test has not.
func startBootstrap(t *testing.T, pkg string) (f *runtimeapi.Function, output func() string) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds a bootstrap")
	}
	if runtime.GOOS != "linux" {
		t.Skipf("the runner runs linux bootstraps; this is %s", runtime.GOOS)
	}
	bin := testbin.Build(t, pkg)
	var mu sync.Mutex
	var lines []string
	f, err := runtimeapi.Start(bin, runtimeapi.Config{
		Name: filepath.Base(pkg),
		Logs: func(l runtimeapi.Line) { mu.Lock(); lines = append(lines, l.Text); mu.Unlock() },
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = f.Close() })
	return f, func() string {
		mu.Lock()
		defer mu.Unlock()
		return strings.Join(lines, "\n")
	}
}
