package runtimeapi

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fnResponse mirrors testdata/fn's response.
type fnResponse struct {
	PID      int               `json:"pid"`
	Count    int64             `json:"count"`
	InFlight int64             `json:"in_flight"`
	Body     string            `json:"body"`
	Len      int               `json:"len"`
	Context  map[string]string `json:"context"`
	Env      map[string]string `json:"env"`
}

// logSink collects what the function prints.
type logSink struct {
	mu    sync.Mutex
	lines []Line
}

func (s *logSink) add(l Line) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lines = append(s.lines, l)
}

func (s *logSink) text() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b strings.Builder
	for _, l := range s.lines {
		fmt.Fprintf(&b, "%s %d %s\n", l.Stream, l.PID, l.Text)
	}
	return b.String()
}

func startFn(t *testing.T, cfg Config) (*Function, *logSink) {
	t.Helper()
	logs := &logSink{}
	cfg.Logs = logs.add
	f, err := Start(testFunction(t), cfg)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, f.Close()) })
	return f, logs
}

func invoke(t *testing.T, f *Function, payload string) (Result, fnResponse) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r, err := f.Invoke(ctx, Invocation{Payload: []byte(payload)})
	require.NoError(t, err)
	var resp fnResponse
	if r.Error == nil {
		require.NoError(t, json.Unmarshal(r.Payload, &resp), "payload: %.200s", r.Payload)
	}
	return r, resp
}

func TestFunctionColdThenWarm(t *testing.T) {
	f, logs := startFn(t, Config{Name: "warm"})
	var pid int
	for i := 1; i <= 3; i++ {
		r, resp := invoke(t, f, `{"action":"echo"}`)
		require.Nil(t, r.Error)
		assert.Equal(t, i == 1, r.ColdStart, "invocation %d", i)
		assert.EqualValues(t, i, resp.Count, "the package-level counter survives warm starts")
		assert.Equal(t, resp.PID, r.PID)
		if i == 1 {
			pid = resp.PID
		}
		assert.Equal(t, pid, resp.PID, "warm starts run in the same process")
	}
	assert.Contains(t, logs.text(), fmt.Sprintf("stdout %d fn: init pid %d", pid, pid))
}

func TestFunctionSeesLambdaContextAndEnvironment(t *testing.T) {
	f, _ := startFn(t, Config{Name: "ctx", Region: "eu-west-1", MemoryMB: 256, Concurrency: 2, Env: []string{"EXTRA=1"}})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r, err := f.Invoke(ctx, Invocation{
		Payload:         []byte(`{"action":"context"}`),
		ClientContext:   `{"client":{"app_title":"demo"}}`,
		CognitoIdentity: `{"cognitoIdentityId":"id-1"}`,
	})
	require.NoError(t, err)
	require.Nil(t, r.Error)
	var resp fnResponse
	require.NoError(t, json.Unmarshal(r.Payload, &resp))

	assert.Equal(t, r.RequestID, resp.Context["request_id"])
	assert.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, r.RequestID)
	assert.Equal(t, "arn:aws:lambda:eu-west-1:123456789012:function:ctx", resp.Context["arn"])
	assert.Equal(t, r.TraceID, resp.Context["trace"])
	assert.Regexp(t, `^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=1$`, r.TraceID)
	assert.Equal(t, "demo", resp.Context["client"])
	assert.Equal(t, "id-1", resp.Context["identity"])

	env := resp.Env
	assert.Equal(t, f.Server().Addr(), env["AWS_LAMBDA_RUNTIME_API"])
	for k, v := range map[string]string{
		"AWS_LAMBDA_FUNCTION_NAME":        "ctx",
		"AWS_LAMBDA_FUNCTION_VERSION":     "$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
		"AWS_LAMBDA_LOG_GROUP_NAME":       "/aws/lambda/ctx",
		"AWS_LAMBDA_INITIALIZATION_TYPE":  "on-demand",
		"AWS_LAMBDA_MAX_CONCURRENCY":      "2",
		"AWS_REGION":                      "eu-west-1",
		"AWS_DEFAULT_REGION":              "eu-west-1",
		"_HANDLER":                        "bootstrap",
		"TZ":                              ":UTC",
		"EXTRA":                           "1",
	} {
		assert.Equal(t, v, env[k], k)
	}
	assert.Regexp(t, `^\d{4}/\d{2}/\d{2}/\[\$LATEST\][0-9a-f]{32}$`, env["AWS_LAMBDA_LOG_STREAM_NAME"])
	assert.NotEmpty(t, env["LAMBDA_TASK_ROOT"])
	assert.DirExists(t, env["TMPDIR"], "a private /tmp for the environment")
	assert.NotContains(t, env, "HOME", "the environment is Lambda's, not inherited")
}

func TestFunctionErrorKeepsTheProcess(t *testing.T) {
	f, _ := startFn(t, Config{})
	_, first := invoke(t, f, `{"action":"echo"}`)
	r, _ := invoke(t, f, `{"action":"error"}`)
	require.NotNil(t, r.Error)
	assert.Equal(t, "errorString", r.Error.Type)
	assert.Equal(t, "something went wrong", r.Error.Message)
	r, resp := invoke(t, f, `{"action":"echo"}`)
	require.Nil(t, r.Error)
	assert.False(t, r.ColdStart)
	assert.Equal(t, first.PID, resp.PID)
}

func TestFunctionPanicEndsTheProcess(t *testing.T) {
	f, _ := startFn(t, Config{})
	_, first := invoke(t, f, `{"action":"echo"}`)
	r, _ := invoke(t, f, `{"action":"panic"}`)
	require.NotNil(t, r.Error)
	assert.Equal(t, "string", r.Error.Type)
	assert.Equal(t, "boom", r.Error.Message)
	assert.Contains(t, string(r.Error.StackTrace), `"label":"handle"`)
	r, resp := invoke(t, f, `{"action":"echo"}`)
	require.Nil(t, r.Error)
	assert.True(t, r.ColdStart, "aws-lambda-go exits after a panic: the next invocation is a cold start")
	assert.NotEqual(t, first.PID, resp.PID)
	assert.EqualValues(t, 1, resp.Count)
}

// A timeout resets the environment as Lambda does: the runtime registered an extension
// (lambda.WithEnableSIGTERM), so it gets SIGTERM and runs its hook; the stuck handler keeps
// it alive, so SIGKILL follows at the end of the shutdown budget.
func TestFunctionTimeoutKillsAndColdStarts(t *testing.T) {
	f, logs := startFn(t, Config{Timeout: 300 * time.Millisecond})
	_, first := invoke(t, f, `{"action":"echo"}`)
	r, _ := invoke(t, f, `{"action":"sleep","ms":60000}`)
	require.NotNil(t, r.Error)
	assert.True(t, r.TimedOut())
	assert.Equal(t, "RequestId: "+r.RequestID+" Error: Task timed out after 0.30 seconds", r.Error.Message)
	assert.Positive(t, r.MaxMemoryKB, "measured before the process goes")
	r, resp := invoke(t, f, `{"action":"echo"}`)
	assert.Contains(t, logs.text(), fmt.Sprintf("stdout %d fn: sigterm hook ran", first.PID), "the timed-out runtime got SIGTERM")
	require.Nil(t, r.Error)
	assert.True(t, r.ColdStart)
	assert.NotEqual(t, first.PID, resp.PID, "the timed-out process was killed")
	assert.EqualValues(t, 1, resp.Count)
}

func TestFunctionFreezeThaw(t *testing.T) {
	f, _ := startFn(t, Config{})
	_, first := invoke(t, f, `{"action":"echo"}`)
	require.NoError(t, f.Freeze())
	assert.Eventually(t, func() bool { return processState(t, first.PID) == "T" },
		10*time.Second, 10*time.Millisecond, "SIGSTOP stops the process")
	require.NoError(t, f.Thaw())
	r, resp := invoke(t, f, `{"action":"echo"}`)
	require.Nil(t, r.Error)
	assert.False(t, r.ColdStart)
	assert.Equal(t, first.PID, resp.PID)
	assert.EqualValues(t, 2, resp.Count)
}

// processState reads the state letter from /proc/PID/stat (R, S, T, ...).
func processState(t *testing.T, pid int) string {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Skipf("no /proc here: %v", err)
	}
	m := regexp.MustCompile(`\) (\S) `).FindSubmatch(b)
	require.NotNil(t, m, "%s", b)
	return string(m[1])
}

func TestFunctionConcurrency(t *testing.T) {
	const n = 4
	f, _ := startFn(t, Config{Concurrency: n, Timeout: 20 * time.Second})
	results := make([]fnResponse, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			r, err := f.Invoke(ctx, Invocation{Payload: []byte(`{"action":"gather","n":4}`)})
			if assert.NoError(t, err) && assert.Nil(t, r.Error) {
				assert.NoError(t, json.Unmarshal(r.Payload, &results[i]))
			}
		})
	}
	wg.Wait()
	for i, resp := range results {
		assert.EqualValues(t, n, resp.InFlight, "invocation %d saw %d in flight", i, resp.InFlight)
		assert.Equal(t, results[0].PID, resp.PID, "one process serves them all")
	}
}

func TestFunctionShutdownSendsSIGTERM(t *testing.T) {
	logs := &logSink{}
	f, err := Start(testFunction(t), Config{Logs: logs.add})
	require.NoError(t, err)
	t.Cleanup(func() { _ = f.Close() }) // a failure before the Close under test leaves no stopped process
	r, _ := invoke(t, f, `{"action":"echo"}`)
	require.Nil(t, r.Error)
	require.NoError(t, f.Freeze())
	require.NoError(t, f.Close())
	assert.Contains(t, logs.text(), "fn: sigterm hook ran")
	assert.Zero(t, f.PID())
	assert.NoDirExists(t, f.cfg.TempDir, "Close removes the TMPDIR it made")
	_, err = f.Invoke(context.Background(), Invocation{Payload: []byte(`{}`)})
	assert.ErrorIs(t, err, ErrClosed)
}

func TestFunctionPayloadLimits(t *testing.T) {
	f, _ := startFn(t, Config{Timeout: 20 * time.Second})

	prefix, suffix := `{"action":"len","pad":"`, `"}`
	pad := strings.Repeat("p", MaxPayloadSize-len(prefix)-len(suffix))
	r, resp := invoke(t, f, prefix+pad+suffix)
	require.Nil(t, r.Error)
	assert.Equal(t, MaxPayloadSize, resp.Len, "a 6 MB request arrives intact")

	_, err := f.Invoke(context.Background(), Invocation{Payload: []byte(prefix + pad + "p" + suffix)})
	assert.ErrorIs(t, err, ErrRequestTooLarge)

	size := MaxPayloadSize - 1024
	r, resp = invoke(t, f, fmt.Sprintf(`{"action":"size","size":%d}`, size))
	require.Nil(t, r.Error)
	assert.Len(t, resp.Body, size, "a response under 6 MB arrives intact")
	assert.Equal(t, strings.Repeat("x", size), resp.Body)

	r, _ = invoke(t, f, fmt.Sprintf(`{"action":"size","size":%d}`, MaxPayloadSize))
	require.NotNil(t, r.Error)
	assert.Equal(t, ErrorTypeResponseSize, r.Error.Type)
	assert.Equal(t, "Response payload size exceeded maximum allowed payload size (6291456 bytes).", r.Error.Message)
}

func TestFunctionInitFailure(t *testing.T) {
	tests := []struct {
		init, typ, msg, log string
	}{
		{init: "exit", typ: ErrorTypeExit, msg: "Runtime exited with error: exit status 1", log: "fn: cannot load configuration"},
		{init: "error", typ: "InitError", msg: "fn: bad configuration"},
	}
	for _, tt := range tests {
		t.Run(tt.init, func(t *testing.T) {
			f, logs := startFn(t, Config{Env: []string{"FN_INIT=" + tt.init}})
			for range 2 { // each invocation tries init again, as on Lambda
				r, _ := invoke(t, f, `{"action":"echo"}`)
				require.NotNil(t, r.Error)
				assert.True(t, r.InitFailed)
				assert.Equal(t, tt.typ, r.Error.Type)
				assert.Contains(t, r.Error.Message, tt.msg)
			}
			assert.Contains(t, logs.text(), tt.log)
		})
	}
}

func TestStartRejectsWhatIsNotABinary(t *testing.T) {
	_, err := Start(t.TempDir(), Config{})
	assert.ErrorContains(t, err, "not an executable file")
	_, err = Start("/no/such/bootstrap", Config{})
	assert.ErrorContains(t, err, "no such file")
}

// A caller that stops waiting does not end the invocation: the runtime's later response is
// accepted (a 400 would make aws-lambda-go exit), so the process stays warm.
func TestFunctionCallerGivesUpProcessStaysWarm(t *testing.T) {
	f, logs := startFn(t, Config{Name: "cancel", Timeout: time.Minute})
	r, first := invoke(t, f, `{"action":"echo"}`)
	require.Nil(t, r.Error)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	_, err := f.Invoke(ctx, Invocation{Payload: []byte(`{"action":"sleep","ms":400}`)})
	cancel()
	require.ErrorIs(t, err, context.DeadlineExceeded)
	// The abandoned invocation finishes on its own; until then the next one waits its turn.
	r, resp := invoke(t, f, `{"action":"echo"}`)
	require.Nil(t, r.Error, "logs:\n%s", logs.text())
	assert.False(t, r.ColdStart)
	assert.Equal(t, first.PID, resp.PID, "the process was replaced; logs:\n%s", logs.text())
	assert.EqualValues(t, 3, resp.Count)
}

// An invocation whose caller stopped waiting keeps its deadline: a stuck handler is still
// killed, and the next invocation runs in a new process.
func TestFunctionCallerGivesUpDeadlineStillKills(t *testing.T) {
	f, _ := startFn(t, Config{Name: "stuck", Timeout: 500 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	_, err := f.Invoke(ctx, Invocation{Payload: []byte(`{"action":"sleep","ms":100000}`)})
	cancel()
	require.ErrorIs(t, err, context.DeadlineExceeded)
	r, resp := invoke(t, f, `{"action":"echo"}`) // bounded by invoke's context
	require.Nil(t, r.Error)
	assert.True(t, r.ColdStart)
	assert.EqualValues(t, 1, resp.Count)
}

// With Concurrency > 1 the timed-out process has other runtime goroutines asking for work
// while it is being killed: the next invocation must go to a new process, not to them.
func TestFunctionTimeoutConcurrentNextColdStarts(t *testing.T) {
	f, logs := startFn(t, Config{Name: "to", Concurrency: 2, Timeout: time.Minute})
	r, first := invoke(t, f, `{"action":"echo"}`) // process up, both runtime goroutines polling
	require.Nil(t, r.Error)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r, err := f.Invoke(ctx, Invocation{Payload: []byte(`{"action":"sleep","ms":60000}`), Timeout: 300 * time.Millisecond})
	require.NoError(t, err)
	require.True(t, r.TimedOut(), "%v", r.Error)
	r, resp := invoke(t, f, `{"action":"echo"}`)
	require.Nil(t, r.Error, "the invocation after the timeout failed (cold=%v); logs:\n%s", r.ColdStart, logs.text())
	assert.True(t, r.ColdStart)
	assert.NotEqual(t, first.PID, resp.PID)
	assert.EqualValues(t, 1, resp.Count)
}

// A bootstrap that passes Start's checks but cannot be executed fails each invocation with
// an error that wraps ErrStart.
func TestFunctionUnstartableBootstrap(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "bootstrap")
	require.NoError(t, os.WriteFile(bin, []byte("\x7fELFgarbage-not-a-binary"), 0o755))
	f, err := Start(bin, Config{})
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, f.Close()) })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for range 2 {
		_, err = f.Invoke(ctx, Invocation{Payload: []byte(`{}`)})
		require.ErrorIs(t, err, ErrStart)
		assert.ErrorContains(t, err, "runtimeapi: start "+bin+": ")
	}
	assert.Zero(t, f.PID())
}

// What the function printed while it ran is delivered before Invoke returns: a log line is
// never reported after the end of its own invocation.
func TestFunctionLogsArriveBeforeTheResult(t *testing.T) {
	f, logs := startFn(t, Config{Name: "logs"})
	const n = 500
	for range 5 {
		r, _ := invoke(t, f, fmt.Sprintf(`{"action":"log","n":%d}`, n))
		require.Nil(t, r.Error)
		got := strings.Count(logs.text(), "fn: "+r.RequestID+" line ")
		require.Equal(t, n, got, "lines of %s delivered when its result arrived", r.RequestID)
	}
}

// Result.MaxMemoryKB is the process's peak resident set: above a ballast the function keeps.
func TestFunctionMaxMemory(t *testing.T) {
	if _, ok := peakRSS(os.Getpid()); !ok {
		t.Skip("no /proc/PID/status VmHWM here")
	}
	f, _ := startFn(t, Config{Name: "mem"})
	r, _ := invoke(t, f, `{"action":"echo"}`)
	require.Nil(t, r.Error)
	assert.Positive(t, r.MaxMemoryKB)
	assert.Less(t, r.MaxMemoryKB, int64(48<<10), "a small Go function stays well under 48 MiB")
	r, _ = invoke(t, f, `{"action":"ballast","mb":64}`)
	require.Nil(t, r.Error)
	assert.GreaterOrEqual(t, r.MaxMemoryKB, int64(64<<10), "the 64 MiB ballast is counted")
	assert.Less(t, r.MaxMemoryKB, int64(128<<10))
	// A crashed process is measured from its rusage once reaped.
	r, _ = invoke(t, f, `{"action":"panic"}`)
	require.NotNil(t, r.Error)
	assert.GreaterOrEqual(t, r.MaxMemoryKB, int64(64<<10), "the peak of the process that panicked")
}

// A cold start carries the time from the process's start to its first request for work.
func TestFunctionInitDuration(t *testing.T) {
	f, _ := startFn(t, Config{Name: "init"})
	r, _ := invoke(t, f, `{"action":"echo"}`)
	require.True(t, r.ColdStart)
	assert.Positive(t, r.InitDuration)
	r, _ = invoke(t, f, `{"action":"echo"}`)
	require.False(t, r.ColdStart)
	assert.Zero(t, r.InitDuration)
}
