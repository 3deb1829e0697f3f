package reliability_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzGuardedInvoke sends arbitrary payloads, request ids and Lambda trace
// headers through a guarded, traced handler in debug mode — the event
// classifier, the trace header parsers, the ARN reader, the taint scanner,
// the snapshots and tmpfs all at once. Nothing panics, the directory is made
// under the base, and nothing is left there afterwards.
func FuzzGuardedInvoke(f *testing.F) {
	f.Add([]byte(`{"message":"hi"}`), "8f2c-req", "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1")
	f.Add([]byte(`{"headers":{"traceparent":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},"requestContext":{"http":{"method":"GET"}},"routeKey":"GET /"}`), "../../etc", "")
	f.Add([]byte(`{"Records":[{"eventSource":"aws:sqs","attributes":{"AWSTraceHeader":"Root=;"}}]}`), "\x00", ";;;")
	f.Add([]byte(`{`), "-rf", "Root=1-zzzzzzzz")
	base := f.TempDir()
	h := hostileHandler(f, base)
	f.Fuzz(func(t *testing.T, payload []byte, id, trace string) {
		var out []byte
		var err error
		if p := recoverFrom(func() { out, err = h.Invoke(lambdaCtx(id, trace), payload) }); p != nil {
			t.Fatalf("panic: %v", p)
		}
		if err == nil {
			var dir string
			if json.Unmarshal(out, &dir) == nil && filepath.Dir(dir) != base {
				t.Fatalf("id %q: directory %s outside %s", id, dir, base)
			}
		}
		entries, rerr := os.ReadDir(base)
		require.NoError(t, rerr)
		if len(entries) != 0 {
			t.Fatalf("id %q: %s left in the base", id, entries[0].Name())
		}
	})
}
