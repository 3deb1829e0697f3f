package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdaguard/lambdaguard/internal/runtimeapi"
)

func writeEvents(t *testing.T, lines ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "events.jsonl")
	require.NoError(t, os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600))
	return path
}

// summaryOf is the findings summary at the end of the output.
func summaryOf(out string) string {
	loc := regexp.MustCompile(`(?m)^lambdaguard: \d+ findings? in `).FindStringIndex(out)
	if loc == nil {
		return ""
	}
	return out[loc[0]:]
}

func TestRunHelpDocumentsEveryFlag(t *testing.T) {
	res := runCLI(t, nil, "run", "--help")
	require.Equal(t, exitOK, res.code)
	var o runOptions
	runFlags(&o).VisitAll(func(f *flag.Flag) {
		assert.Contains(t, res.out, "--"+f.Name+" ", "flag --%s is documented", f.Name)
	})
	for _, n := range []string{"apigw-v2", "sqs", "eventbridge"} {
		assert.Contains(t, res.out, n)
	}
	for _, says := range []string{
		"REPORT RequestId: ID  Duration:", "Max Memory Used", "Init Duration", // the REPORT line
		"SIGTERM to\n                      a runtime that registered for it", // the reset on a timeout
		"  3  the guard", "  4  an invocation failed", "the first of 1, 4, 3 wins", // the exit statuses
		`"go run" reports any status but 0 as 1`,
		"lambdaguard event TRIGGER",
	} {
		assert.Contains(t, res.out, says)
	}
	assert.Equal(t, exitOK, runCLI(t, nil, "help").code)
}

func TestRunPackageWarmStartLeak(t *testing.T) {
	res := runCLI(t, nil, "run", "./testdata/fn")
	assert.Equal(t, exitFindings, res.code, "a leak fails the run")
	assert.Contains(t, res.err, "building ./testdata/fn")
	assert.Regexp(t, `invocation 1/2: ok, status 200, in .* \(cold start, pid (\d+)`, res.out)
	assert.Regexp(t, `invocation 2/2: ok, status 200, in .* \(warm start, pid \d+`, res.out)
	assert.Contains(t, res.out, `message=fuga previous=hoge`, "the demo leak happens")
	assert.Contains(t, res.out, "fn: sigterm hook ran", "shutdown sends SIGTERM to a function that asked for it")
	summary := summaryOf(res.out)
	require.NotEmpty(t, summary, "a findings summary is printed")
	assert.Contains(t, summary, "2 findings in 1 invocation")
	assert.Contains(t, summary, "invocation 2/2 (sample apigw-v2 #2)")
	assert.Regexp(t, `global\s+last\s+last\s+string len=4`, summary)
	assert.Regexp(t, `taint\s+response\s+response\s+carries request data of invocation 1`, summary,
		"the runner sees the previous caller's value in the response")
	assert.NotContains(t, summary, "hoge", "the summary does not leak the value")
}

func TestRunDebugOff(t *testing.T) {
	res := runCLI(t, nil, "run", "--debug=false", testFunction(t))
	assert.Equal(t, exitOK, res.code)
	assert.Contains(t, res.out, "debug mode is off")
	assert.NotContains(t, res.out, "no leaks found", "nothing was looked for: nothing is claimed")
}

func TestRunEventsRepeatFreezeAndFlagsAfterTarget(t *testing.T) {
	events := writeEvents(t,
		`{"queryStringParameters":{"message":"a"}}`,
		`{"queryStringParameters":{"message":"b"}}`,
	)
	res := runCLI(t, nil, "run", "--events", events, testFunction(t), "--repeat", "2", "--freeze", "50ms", "--debug=false", "--name", "demo")
	require.Equal(t, exitOK, res.code)
	assert.Equal(t, 3, strings.Count(res.out, "-- frozen (SIGSTOP) for 50ms"))
	assert.Equal(t, 3, strings.Count(res.out, "-- thawed (SIGCONT)"))
	assert.Contains(t, res.out, "invocation 4/4 ("+events+":2)")
	assert.Contains(t, res.out, `message=b previous=a`)
	assert.Contains(t, res.out, `message=a previous=b`, "the repeat runs in the same warm process")
	assert.Equal(t, 1, strings.Count(res.out, "cold start"))
	assert.Contains(t, res.out, "4 invocations: 4 ok, 0 failed")
}

func TestRunEventsFromStdin(t *testing.T) {
	res := runCLI(t, strings.NewReader(`{"queryStringParameters":{"message":"piped"}}`), "run", "--events", "-", "--debug=false", testFunction(t))
	require.Equal(t, exitOK, res.code)
	assert.Contains(t, res.out, "invocation 1/1 (stdin:1)")
	assert.Contains(t, res.out, "message=piped")
}

func TestRunTimeoutThenColdStart(t *testing.T) {
	events := writeEvents(t, `{"action":"sleep","ms":60000}`, `{"queryStringParameters":{"message":"after"}}`)
	res := runCLI(t, nil, "run", "--events", events, "--timeout", "200ms", "--debug=false", testFunction(t))
	require.Equal(t, exitInvocations, res.code, "a timed-out invocation failed")
	assert.Regexp(t, `invocation 1/2: error after .*\n   Sandbox.Timedout: RequestId: \S+ Error: Task timed out after 0.20 seconds`, res.out)
	assert.Regexp(t, `invocation 2/2: ok, status 200, .*cold start`, res.out)
	assert.Contains(t, res.out, "1 ok, 1 failed")
}

func TestRunConcurrency(t *testing.T) {
	ev := `{"action":"gather","n":4}`
	res := runCLI(t, nil, "run", "--events", writeEvents(t, ev, ev, ev, ev), "--concurrency", "4", "--timeout", "20s", testFunction(t))
	require.Equal(t, exitOK, res.code)
	assert.Equal(t, 4, strings.Count(res.out, `peak=4`), "four invocations were in flight at once")
}

func TestRunPayloadLimit(t *testing.T) {
	big := fmt.Sprintf(`{"pad":"%s"}`, strings.Repeat("x", runtimeapi.MaxPayloadSize))
	res := runCLI(t, nil, "run", "--events", writeEvents(t, big), "--debug=false", testFunction(t))
	assert.Equal(t, exitInvocations, res.code, "a refused request is a failed invocation, as the caller sees it")
	assert.Contains(t, res.out, "not invoked: runtimeapi: RequestEntityTooLarge: request must be smaller than 6291456 bytes")
}

func TestRunFailures(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		want []string
	}{
		{
			name: "package that does not build",
			args: []string{"run", "./testdata/broken"},
			code: exitFailure,
			want: []string{"lambdaguard: building ./testdata/broken failed:", `cannot use "not a number"`},
		},
		{
			name: "malformed events",
			args: []string{"run", "--events", "testdata/events/bad.jsonl", "./testdata/fn"},
			code: exitFailure,
			want: []string{"testdata/events/bad.jsonl:2:27: malformed JSON: invalid character 'o'"},
		},
		{
			name: "missing events file",
			args: []string{"run", "--events", "testdata/events/none.jsonl", "./testdata/fn"},
			code: exitFailure,
			want: []string{"none.jsonl: no such file"},
		},
		{
			name: "missing target",
			args: []string{"run", "./testdata/nothing"},
			code: exitFailure,
			want: []string{"./testdata/nothing: no such package directory or bootstrap binary"},
		},
		{
			name: "go file",
			args: []string{"run", "./testdata/fn/main.go"},
			code: exitFailure,
			want: []string{"give the package directory, not a .go file"},
		},
		{name: "no target", args: []string{"run"}, code: exitUsage, want: []string{"want one target"}},
		{name: "two targets", args: []string{"run", "a", "b"}, code: exitUsage, want: []string{"got 2"}},
		{name: "bad flag", args: []string{"run", "--repat", "2", "x"}, code: exitUsage, want: []string{"flag provided but not defined: -repat"}},
		{name: "bad env", args: []string{"run", "--env", "NOVALUE", "x"}, code: exitUsage, want: []string{"want KEY=VALUE"}},
		{name: "exclusive", args: []string{"run", "--events", "x", "--sample", "sqs", "x"}, code: exitUsage, want: []string{"exclusive"}},
		{name: "unknown sample", args: []string{"run", "--sample", "nope", "x"}, code: exitFailure, want: []string{`no sample "nope"`}},
		{name: "unknown command", args: []string{"walk"}, code: exitUsage, want: []string{`unknown command "walk"`}},
		{name: "nothing", args: nil, code: exitUsage, want: []string{"Usage:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := runCLI(t, nil, tt.args...)
			assert.Equal(t, tt.code, res.code)
			for _, w := range tt.want {
				assert.Contains(t, res.err, w)
			}
		})
	}
}

func TestRunInitFailure(t *testing.T) {
	res := runCLI(t, nil, "run", "--env", "FN_INIT=exit", testFunction(t))
	assert.Equal(t, exitFailure, res.code)
	assert.Contains(t, res.out, "fn: cannot load configuration", "the function's own output is shown")
	assert.Contains(t, res.out, "init failed")
	assert.Contains(t, res.out, "Runtime.ExitError: RequestId: ")
	assert.Contains(t, res.out, "Error: Runtime exited with error: exit status 1")
	assert.Contains(t, res.err, "the function failed during init")
	assert.NotContains(t, res.out, "invocation 2/2", "the run stops at an init failure")
}

// A bootstrap that cannot be started (not a binary for this system) fails the run, once.
func TestRunUnstartableBootstrap(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "bootstrap")
	require.NoError(t, os.WriteFile(bin, []byte("\x7fELFgarbage-not-a-binary"), 0o755))
	res := runCLI(t, nil, "run", "--debug=false", bin)
	assert.Equal(t, exitFailure, res.code)
	assert.Contains(t, res.err, "lambdaguard: the function could not be started: runtimeapi: start "+bin)
	assert.Contains(t, res.err, "exec format error")
	assert.NotContains(t, res.out, "invocation 2/2", "the run stops at a start failure")
}
