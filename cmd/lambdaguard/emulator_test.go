package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdaguard/lambdaguard/internal/runtimeapi"
	"github.com/lambdaguard/lambdaguard/internal/testbin"
)

// The comparison with AWS's Runtime Interface Emulator (RIE), the reference for what a
// bootstrap sees. It needs aws-lambda-rie, found in LAMBDAGUARD_RIE_BIN, $GOBIN, $GOPATH/bin
// or PATH; .ci/run installs it:
//
//	go install github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@v0.0.0-20261030222936-bef5c4ba774d

// findRIE returns the emulator's path, or skips t saying how to get it.
func findRIE(t *testing.T) string {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skipf("aws-lambda-rie runs on Linux only; this is %s", runtime.GOOS)
	}
	var candidates []string
	if p := os.Getenv("LAMBDAGUARD_RIE_BIN"); p != "" {
		candidates = append(candidates, p)
	}
	if gobin := goEnv("GOBIN"); gobin != "" {
		candidates = append(candidates, filepath.Join(gobin, "aws-lambda-rie"))
	}
	if gopath := goEnv("GOPATH"); gopath != "" {
		candidates = append(candidates, filepath.Join(strings.Split(gopath, string(os.PathListSeparator))[0], "bin", "aws-lambda-rie"))
	}
	if p, err := exec.LookPath("aws-lambda-rie"); err == nil {
		candidates = append(candidates, p)
	}
	for _, c := range candidates {
		if fi, err := os.Stat(c); err == nil && fi.Mode().IsRegular() {
			return c
		}
	}
	t.Skip("aws-lambda-rie not found (LAMBDAGUARD_RIE_BIN, GOBIN, GOPATH/bin, PATH): the comparison with AWS's emulator is skipped; " +
		"install it with: go install github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@v0.0.0-20261030222936-bef5c4ba774d")
	return ""
}

func goEnv(key string) string {
	out, err := exec.Command("go", "env", key).Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// seen is what a caller of Lambda's Invoke API gets back, with the request ids (random in
// both) masked.
type seen struct {
	Failed  bool   // Lambda's X-Amz-Function-Error
	Payload string // the response, or the error document
}

var uuidRE = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)

func mask(s string) string { return uuidRE.ReplaceAllString(s, "<request-id>") }

// invoker sends one event and says what the caller saw.
type invoker func(t *testing.T, event, clientContext string) seen

// freePort is a loopback port nobody listens on (yet).
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

// startRIE runs the emulator for the bootstrap at bin (or, with inNamespace, the one it
// finds at /var/task/bootstrap in a private mount namespace) with env, and returns how to
// invoke it and how to stop it (SIGTERM, then SIGKILL; its output is logged). It is stopped
// when the test ends at the latest.
func startRIE(t *testing.T, rie, bin string, inNamespace bool, env ...string) (invoker, func()) {
	t.Helper()
	api, front := freePort(t), freePort(t)
	args := []string{"--runtime-interface-emulator-address", front, "--runtime-api-address", api}
	var cmd *exec.Cmd
	if inNamespace {
		// Managed-instances mode looks for the bootstrap in /var/task only: a tmpfs on /var,
		// seen by this process alone, holds it.
		script := `mount -t tmpfs -o mode=0755 tmpfs /var && mkdir /var/task && cp "$1" /var/task/bootstrap && chmod 0755 /var/task/bootstrap && shift && exec "$@"`
		cmd = exec.Command("unshare", append([]string{"-m", "--propagation", "private", "sh", "-c", script, "sh", bin, rie}, args...)...)
	} else {
		cmd = exec.Command(rie, append(args, bin)...)
	}
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(t, cmd.Start())
	var once sync.Once
	stop := func() {
		once.Do(func() {
			_ = cmd.Process.Signal(syscall.SIGTERM)
			done := make(chan struct{})
			go func() { _ = cmd.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				_ = cmd.Process.Kill()
				<-done
			}
			t.Logf("aws-lambda-rie output:\n%s", out.String())
		})
	}
	t.Cleanup(stop)
	url := "http://" + front + "/2015-03-31/functions/function/invocations"
	client := &http.Client{Timeout: 30 * time.Second}
	require.Eventually(t, func() bool {
		c, err := net.Dial("tcp", front)
		if err == nil {
			_ = c.Close()
		}
		return err == nil
	}, 10*time.Second, 20*time.Millisecond, "the emulator listens; output:\n%s", &out)
	return func(t *testing.T, event, clientContext string) seen {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(event))
		require.NoError(t, err)
		if clientContext != "" {
			req.Header.Set("X-Amz-Client-Context", base64.StdEncoding.EncodeToString([]byte(clientContext)))
		}
		resp, err := client.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return seen{Failed: resp.StatusCode != http.StatusOK || bytes.Contains(body, []byte(`"errorType"`)) || bytes.Contains(body, []byte("Task timed out")), Payload: mask(string(body))}
	}, stop
}

// startRunner runs the bootstrap at bin under the runner's Runtime API, and returns how to
// invoke it and how to shut it down (it is, when the test ends at the latest).
func startRunner(t *testing.T, bin string, cfg runtimeapi.Config) (invoker, func()) {
	t.Helper()
	fn, err := runtimeapi.Start(bin, cfg)
	require.NoError(t, err)
	stop := func() { assert.NoError(t, fn.Close()) }
	t.Cleanup(stop)
	return func(t *testing.T, event, clientContext string) seen {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		res, err := fn.Invoke(ctx, runtimeapi.Invocation{Payload: []byte(event), ClientContext: clientContext})
		require.NoError(t, err)
		if res.Error != nil {
			doc, _ := json.Marshal(map[string]string{"errorType": res.Error.Type, "errorMessage": res.Error.Message})
			return seen{Failed: true, Payload: mask(string(doc))}
		}
		return seen{Payload: mask(string(res.Payload))}
	}, stop
}

// tempBase is a temp base the emulator's unprivileged function user can use too: mode
// 1777, like /tmp.
func tempBase(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "lg-rie-base-")
	require.NoError(t, err)
	require.NoError(t, os.Chmod(dir, 0o1777|os.ModeSticky))
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}

func entries(t *testing.T, dir string) []string {
	t.Helper()
	des, err := os.ReadDir(dir)
	require.NoError(t, err)
	names := []string{}
	for _, de := range des {
		names = append(names, de.Name())
	}
	return names
}

// TestEmulatorComparison sends the same events to a function under the runner and under
// AWS's emulator, and compares what the caller sees.
func TestEmulatorComparison(t *testing.T) {
	rie := findRIE(t)
	const timeout = time.Second
	rieEnv := func(base string, extra ...string) []string {
		return append([]string{"TMPDIR=" + base, "AWS_LAMBDA_FUNCTION_TIMEOUT=1", "AWS_LAMBDA_FUNCTION_NAME=fn"}, extra...)
	}
	// Each example: the events, and what the temp base holds once the environment is gone.
	examples := []struct {
		name   string
		events []string
		left   []string
	}{
		{name: "basic", events: []string{
			`{"queryStringParameters":{"message":"hoge","user":"alice"},"body":"one two\nthree"}`,
			`{"queryStringParameters":{"message":"fuga","user":"bob"}}`,
			`{"queryStringParameters":{"message":"piyo"}}`,
		}, left: []string{}},
		{name: "leaky", events: []string{
			`{"queryStringParameters":{"message":"hoge"}}`,
			`{"queryStringParameters":{"message":"fuga"}}`,
		}, left: []string{"leaky-last-message.txt"}},
	}
	for _, ex := range examples {
		t.Run(ex.name, func(t *testing.T) {
			bin := testbin.Build(t, "../../examples/"+ex.name)
			runnerBase, rieBase := tempBase(t), tempBase(t)
			viaRunner, stopRunner := startRunner(t, bin, runtimeapi.Config{Name: "fn", Timeout: timeout, TempDir: runnerBase, Env: []string{"LAMBDAGUARD_DEBUG=1"}})
			viaRIE, stopRIE := startRIE(t, rie, bin, false, rieEnv(rieBase, "LAMBDAGUARD_DEBUG=1")...)
			for i, ev := range ex.events {
				want := viaRIE(t, ev, "")
				assert.Equal(t, want, viaRunner(t, ev, ""), "event %d: the caller sees the same status and body", i+1)
			}
			stopRunner()
			stopRIE()
			assert.Equal(t, ex.left, entries(t, runnerBase), "what the runner's function left in its temp base")
			assert.Equal(t, ex.left, entries(t, rieBase), "what the emulator's function left in its temp base")
		})
	}

	t.Run("errors and the cold/warm pattern", func(t *testing.T) {
		bin := testbin.Build(t, "./testdata/lifecycle")
		events := []string{`{}`, `{}`, `{"panic":"boom"}`, `{}`, `{"sleep_ms":60000}`, `{}`}
		viaRunner, _ := startRunner(t, bin, runtimeapi.Config{Name: "fn", Timeout: timeout, TempDir: tempBase(t)})
		viaRIE, _ := startRIE(t, rie, bin, false, rieEnv(tempBase(t))...)
		for i, ev := range events {
			got, want := viaRunner(t, ev, ""), viaRIE(t, ev, "")
			if strings.Contains(ev, "sleep_ms") {
				// The emulator answers a timeout with a bare text; Lambda answers it with an
				// error document of type Sandbox.Timedout, and so does the runner.
				assert.Equal(t, seen{Failed: true, Payload: "Task timed out after 1.00 seconds"}, want)
				assert.Equal(t, seen{Failed: true, Payload: `{"errorMessage":"RequestId: <request-id> Error: Task timed out after 1.00 seconds","errorType":"Sandbox.Timedout"}`}, got)
				continue
			}
			if strings.Contains(ev, "panic") {
				// The same error document; the stack trace is the one aws-lambda-go posted.
				assert.True(t, want.Failed)
				assert.True(t, got.Failed)
				assert.Contains(t, want.Payload, `{"errorMessage":"boom","errorType":"string"`)
				assert.Equal(t, `{"errorMessage":"boom","errorType":"string"}`, got.Payload)
				continue
			}
			assert.Equal(t, want, got, "event %d: cold start after a panic and after a timeout, warm otherwise", i+1)
		}
	})

	t.Run("trace id and client context", func(t *testing.T) {
		bin := testbin.Build(t, "./testdata/lifecycle")
		ev, cc := `{"context":true}`, `{"custom":{"tenant":"t-1"}}`
		viaRunner, _ := startRunner(t, bin, runtimeapi.Config{Name: "fn", TempDir: tempBase(t)})
		viaRIE, _ := startRIE(t, rie, bin, false, rieEnv(tempBase(t))...)
		got, want := viaRunner(t, ev, cc), viaRIE(t, ev, cc)
		// Lambda sends Lambda-Runtime-Trace-Id with every invocation: the runner does; the
		// emulator passes on only a trace header the caller sent. The client context the
		// caller gives reaches the function under both.
		assert.Regexp(t, `"trace":"Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=[01]"`, got.Payload)
		assert.Contains(t, want.Payload, `"trace":""`, "the emulator sends no trace id of its own")
		assert.Contains(t, got.Payload, `"client":{"tenant":"t-1"}`)
		assert.Contains(t, want.Payload, `"client":{"tenant":"t-1"}`, "both pass the caller's client context")
	})

	t.Run("managed instances", func(t *testing.T) {
		if os.Geteuid() != 0 {
			t.Skip("the emulator's managed-instances mode runs the function as uid 993 and needs /var/task/bootstrap: that takes root (unshare -m)")
		}
		if _, err := exec.LookPath("unshare"); err != nil {
			t.Skip("no unshare(1) for a private mount namespace")
		}
		bin := testbin.Build(t, "../../examples/basic")
		const n, concurrency = 40, 4
		runnerBase, rieBase := tempBase(t), tempBase(t)
		viaRunner, stopRunner := startRunner(t, bin, runtimeapi.Config{Name: "fn", TempDir: runnerBase, Concurrency: concurrency, Env: []string{"LAMBDAGUARD_DEBUG=1"}})
		viaRIE, stopRIE := startRIE(t, rie, bin, true, rieEnv(rieBase, "AWS_LAMBDA_MAX_CONCURRENCY=4", "LAMBDAGUARD_DEBUG=1")...)
		assert.Equal(t, n, sendConcurrently(t, viaRunner, n, concurrency), "runner: every invocation answered 200")
		assert.Equal(t, n, sendConcurrently(t, viaRIE, n, concurrency), "emulator: every invocation answered 200")
		stopRunner()
		stopRIE()
		assert.Empty(t, entries(t, runnerBase), "no directory left under the runner")
		assert.Empty(t, entries(t, rieBase), "no directory left under the emulator (its function runs as an unprivileged user)")
	})
}

// sendConcurrently sends n events, concurrency at a time, and counts the answers with an
// HTTP status 200 from the function. The emulator refuses an invocation that arrives while
// none of its runtime workers is polling (Runtime.Unavailable, "no idle runtimes": the
// worker that just answered has not asked for the next one yet), where Lambda throttles and
// the runner queues: that one is sent again, as an SDK retries a throttled call.
func sendConcurrently(t *testing.T, invoke invoker, n, concurrency int) int {
	var mu sync.Mutex
	answered := 0
	sem := make(chan struct{}, concurrency)
	var wg sync.WaitGroup
	for i := range n {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			ev := fmt.Sprintf(`{"queryStringParameters":{"message":"m%d","user":"u%d"}}`, i, i)
			s := invoke(t, ev, "")
			for try := 0; try < 100 && s.Payload == `{"errorType":"Runtime.Unavailable"}`; try++ {
				time.Sleep(5 * time.Millisecond)
				s = invoke(t, ev, "")
			}
			if !s.Failed && strings.Contains(s.Payload, `"statusCode":200`) && strings.Contains(s.Payload, fmt.Sprintf(`\"message\":\"m%d\"`, i)) {
				mu.Lock()
				answered++
				mu.Unlock()
				return
			}
			t.Logf("invocation %d: %+v", i, s)
		})
	}
	wg.Wait()
	return answered
}
