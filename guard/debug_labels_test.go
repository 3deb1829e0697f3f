package guard_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdaguard/lambdaguard/guard"
)

// Debug mode reads goroutine labels from the runtime's tracebacks, which
// print them while GODEBUG has tracebacklabels=1. Code that replaces GODEBUG
// after debug mode started (an init, a test's t.Setenv) turns that off: the
// goroutine check then says it cannot see, and variables without a lock of
// their own are not read while a goroutine it cannot see may write them.
func TestDebugGODEBUGReplacedAfterTheGuard(t *testing.T) {
	stop := leakStop(t)
	h, c := debugGuard(t, func(ctx context.Context, r request) (string, error) {
		go leakForever(stop)
		return "ok", nil
	})
	t.Setenv("GODEBUG", "netdns=go") // after the guard
	_, err := h(context.Background(), request{})
	require.NoError(t, err)
	var said bool
	for _, f := range c.findings(guard.KindDetector) {
		said = said || strings.Contains(f.Detail, "GODEBUG no longer has tracebacklabels=1")
	}
	assert.True(t, said, "%s", c.json(t))
}

var labelsSessions = map[string]int{}

func TestDebugGODEBUGReplacedUnguardedVariableNotRead(t *testing.T) {
	watch(t, "labelsSessions", &labelsSessions)
	stop := leakStop(t)
	h, c := debugGuard(t, func(ctx context.Context, r request) (string, error) {
		go func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
					labelsSessions["k"] = i
				}
			}
		}()
		return "ok", nil
	})
	t.Setenv("GODEBUG", "netdns=go")
	_, err := h(context.Background(), request{})
	require.NoError(t, err)
	// Without the check, the variable is read while the goroutine writes
	// it: a data race, and at times "concurrent map iteration and map
	// write", which ends the process.
	assert.Empty(t, c.findings(guard.KindGlobal), "%s", c.json(t))
	assert.NotEmpty(t, c.findings(guard.KindDetector))
}

// A debug guard made while an invocation of another runs does not lose the
// environment baseline of that invocation.
func TestDebugSecondGuardKeepsTheEnvBaseline(t *testing.T) {
	const name = "LAMBDAGUARD_TEST_SECOND_GUARD"
	t.Cleanup(func() { os.Unsetenv(name) })
	set, made := make(chan struct{}), make(chan struct{})
	h, c := debugGuard(t, func(ctx context.Context, r request) (string, error) {
		os.Setenv(name, "x")
		close(set)
		<-made
		return "ok", nil
	})
	go func() {
		<-set
		_, _ = debugGuard(t, func(ctx context.Context, r request) (string, error) { return "", nil })
		close(made)
	}()
	_, err := h(context.Background(), request{})
	require.NoError(t, err)
	env := c.findings(guard.KindEnv)
	require.Len(t, env, 1, "%s", c.json(t))
	assert.Equal(t, name, env[0].Name)
}

// A request id that is not valid UTF-8 (guard.HTTP takes X-Amzn-RequestId
// from the client) still has its goroutines traced.
func TestDebugHTTPRequestIDNotUTF8(t *testing.T) {
	for _, id := range []string{"req-ok", "req-\xff"} {
		t.Run(id, func(t *testing.T) {
			stop := leakStop(t)
			c := &collector{}
			h := guard.HTTP(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				go leakForever(stop)
			}), guard.WithDebug(true), guard.WithReporter(c.add), guard.WithTempBase(t.TempDir()))
			req := httptest.NewRequest("GET", "/", nil)
			req.Header.Set("X-Amzn-RequestId", id)
			h.ServeHTTP(httptest.NewRecorder(), req)
			assert.Len(t, c.findings(guard.KindGoroutine), 1, "%q: %s", id, c.json(t))
		})
	}
}
