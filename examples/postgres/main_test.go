package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdaguard/lambdaguard/internal/runtimeapi"
	"github.com/lambdaguard/lambdaguard/internal/testbin"
)

// idleSessionTimeout is how long the test server keeps an idle session; the
// freeze between invocations is longer.
const (
	idleSessionTimeout = time.Second
	freeze             = 3 * time.Second
)

// TestWithoutDatabase: with no DATABASE_URL the function answers and touches
// nothing, as it does in the runner's run over every example.
func TestWithoutDatabase(t *testing.T) {
	f := &function{}
	resp, err := f.handle(context.Background(), events.APIGatewayV2HTTPRequest{})
	require.NoError(t, err)
	assert.Equal(t, 200, resp.StatusCode)
	assert.Contains(t, resp.Body, "DATABASE_URL is not set")
}

// TestFreezeThroughRunner runs the function as Lambda would, through the
// local runner, against a real PostgreSQL that ends idle sessions after a
// second, freezing the process for longer between invocations. Without the
// shared resource's check the first query after the thaw fails on the
// connection the server closed; with it, every invocation succeeds, on a new
// connection after each thaw, and the connection is closed at shutdown.
func TestFreezeThroughRunner(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PostgreSQL and freezes a process for seconds")
	}
	if runtime.GOOS != "linux" {
		t.Skipf("the runner runs linux bootstraps; this is %s", runtime.GOOS)
	}
	dsn := startPostgres(t)
	bin := buildBootstrap(t)

	t.Run("guarded", func(t *testing.T) {
		res, logs := runFrozen(t, bin, dsn, "on")
		var backends []uint32
		for i, r := range res {
			require.Nil(t, r.Error, "invocation %d failed: %v\nlogs:\n%s", i+1, r.Error, logs)
			var ev events.APIGatewayV2HTTPResponse
			require.NoError(t, json.Unmarshal(r.Payload, &ev))
			var rep reply
			require.NoError(t, json.Unmarshal([]byte(ev.Body), &rep))
			backends = append(backends, rep.Backend)
		}
		assert.NotEqual(t, backends[0], backends[1], "a new connection after the thaw")
		assert.NotEqual(t, backends[1], backends[2])
		assert.Contains(t, logs, "postgres: thawed", "the thaw hook ran")
		assert.Contains(t, logs, "postgres: shutting down", "the shutdown hook ran on SIGTERM")
		assert.Contains(t, logs, "postgres: closing the shared connection", "the shared connection was closed at shutdown")
		assert.NotContains(t, logs, "lambdaguard_report", "the shared connection is not reported as a leak")
	})

	t.Run("without the check", func(t *testing.T) {
		res, logs := runFrozen(t, bin, dsn, "off")
		require.Nil(t, res[0].Error, "the first invocation connects: %v\nlogs:\n%s", res[0].Error, logs)
		require.NotNil(t, res[1].Error, "the first query after the thaw fails on the closed connection")
		t.Logf("after the thaw: %s", res[1].Error)
	})
}

// runFrozen sends three invocations, freezing the process between them for
// longer than the server keeps an idle session, then shuts it down.
func runFrozen(t *testing.T, bin, dsn, validate string) ([]runtimeapi.Result, string) {
	var mu sync.Mutex
	var logs strings.Builder
	f, err := runtimeapi.Start(bin, runtimeapi.Config{
		Name: "postgres",
		Env:  []string{"DATABASE_URL=" + dsn, "POSTGRES_VALIDATE=" + validate, "LAMBDAGUARD_DEBUG=1"},
		Logs: func(l runtimeapi.Line) { mu.Lock(); logs.WriteString(l.Text + "\n"); mu.Unlock() },
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = f.Close() }) // a failure while frozen leaves no stopped process
	var res []runtimeapi.Result
	for i := range 3 {
		if i > 0 {
			require.NoError(t, f.Freeze())
			time.Sleep(freeze)
			require.NoError(t, f.Thaw())
		}
		r, err := f.Invoke(context.Background(), runtimeapi.Invocation{Payload: []byte(`{"version":"2.0","rawPath":"/"}`)})
		require.NoError(t, err)
		res = append(res, r)
	}
	require.NoError(t, f.Close())
	mu.Lock()
	defer mu.Unlock()
	return res, logs.String()
}

func TestMain(m *testing.M) {
	code := m.Run()
	testbin.Cleanup()
	os.Exit(code)
}

func buildBootstrap(t *testing.T) string {
	return testbin.Build(t, ".")
}

// startPostgres starts a throwaway PostgreSQL server on a free loopback port
// with idle_session_timeout set, and returns its URL. It skips the test when
// no server can be started: the binaries are missing (apt-get install
// postgresql), or there is no user other than root to run them as.
func startPostgres(t *testing.T) string {
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if p, err := exec.LookPath("initdb"); err == nil {
		bins = append(bins, p)
	}
	if len(bins) == 0 {
		t.Skip("PostgreSQL is not installed (no initdb under /usr/lib/postgresql/*/bin or on PATH): apt-get install postgresql")
	}
	sort.Strings(bins)
	binDir := filepath.Dir(bins[len(bins)-1])

	// PostgreSQL refuses to run as root: run it as the postgres user then.
	var asUser []string
	var owner *user.User
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Skip("running as root and there is no postgres user to run PostgreSQL as")
		}
		owner = u
		runuser, err := exec.LookPath("runuser")
		if err != nil {
			t.Skip("running as root without runuser to start PostgreSQL as the postgres user")
		}
		asUser = []string{runuser, "-u", "postgres", "--"}
	}
	// Not t.TempDir: its parents are private to the test's user.
	dir, err := os.MkdirTemp("", "lambdaguard-pg-")
	require.NoError(t, err)
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	if owner != nil {
		uid, _ := strconv.Atoi(owner.Uid)
		gid, _ := strconv.Atoi(owner.Gid)
		require.NoError(t, os.Chown(dir, uid, gid))
	}
	run := func(name string, args ...string) error {
		argv := append(append(asUser[:len(asUser):len(asUser)], filepath.Join(binDir, name)), args...)
		out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("%s: %w\n%s", name, err, out)
		}
		return nil
	}
	data := filepath.Join(dir, "data")
	if err := run("initdb", "-D", data, "-A", "trust", "-U", "postgres", "--no-sync"); err != nil {
		t.Skipf("cannot initialise a PostgreSQL cluster: %v", err)
	}
	port := freePort(t)
	opts := fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %d -k %s -c fsync=off -c idle_session_timeout=%d",
		port, dir, idleSessionTimeout.Milliseconds())
	if err := run("pg_ctl", "-D", data, "-l", filepath.Join(dir, "log"), "-w", "-t", "30", "-o", opts, "start"); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "log"))
		t.Skipf("cannot start PostgreSQL: %v\n%s", err, log)
	}
	t.Cleanup(func() { _ = run("pg_ctl", "-D", data, "-m", "immediate", "-w", "stop") })
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
}

func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
