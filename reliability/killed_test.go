package reliability_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdaguard/lambdaguard/internal/runtimeapi"
	"github.com/lambdaguard/lambdaguard/tmpfs"
)

// TestKilledProcessSweptAtNextColdStart runs a guarded bootstrap under the
// Runtime API runner with a 1s timeout. The first invocation writes into its
// temp directory and then ignores its deadline; the runner kills the process
// (as Lambda does), so nothing wipes the directory, and it is still in the
// function's TMPDIR. The next invocation is a cold start in a new process,
// whose guard sweeps the dead process's directory before the handler runs.
func TestKilledProcessSweptAtNextColdStart(t *testing.T) {
	tmp := t.TempDir()
	logs := &logSink{}
	f, err := runtimeapi.Start(bootstrap(t), runtimeapi.Config{
		Name: "killed", TempDir: tmp, Timeout: time.Second, Logs: logs.add,
	})
	require.NoError(t, err)
	defer func() { assert.NoError(t, f.Close()) }()

	res, err := f.Invoke(t.Context(), runtimeapi.Invocation{Payload: []byte(`{"action":"hang","message":"left behind"}`)})
	require.NoError(t, err)
	require.True(t, res.TimedOut(), "the invocation timed out: %+v", res.Error)
	dir := logs.value(t, "tmpdir ")
	assert.Equal(t, tmp, filepath.Dir(dir), "the guard used the function's TMPDIR")
	b, err := os.ReadFile(filepath.Join(dir, "payload"))
	require.NoError(t, err, "the killed process could not wipe its directory")
	assert.Equal(t, "left behind", string(b))

	res, err = f.Invoke(t.Context(), runtimeapi.Invocation{Payload: []byte(`{"action":"tmp"}`)})
	require.NoError(t, err)
	require.Nil(t, res.Error)
	assert.True(t, res.ColdStart, "a timeout ends the process")
	var resp struct {
		Entries []string `json:"entries"`
	}
	require.NoError(t, json.Unmarshal(res.Payload, &resp))
	for _, e := range resp.Entries {
		assert.False(t, strings.HasPrefix(e, tmpfs.Prefix), "the new process still sees %s", e)
	}
	gone(t, dir)
	emptyDir(t, tmp)
}
