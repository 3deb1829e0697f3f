package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdaguard/lambdaguard/internal/testbin"
)

func lifecycleFunction(t *testing.T) string {
	t.Helper()
	return testbin.Build(t, "./testdata/lifecycle")
}

var reportRE = regexp.MustCompile(`(?m)^   REPORT RequestId: (\S+)\tDuration: (\d+\.\d\d) ms\tBilled Duration: (\d+) ms\tMemory Size: (\d+) MB\tMax Memory Used: (\d+) MB(\tInit Duration: (\d+\.\d\d) ms)?(\t.*)?$`)

// Each invocation ends with Lambda's REPORT line: its duration, the billed duration rounded
// up to the millisecond (plus the init duration on a cold start), --memory, the process's
// peak resident set, and Init Duration on a cold start only. A peak past --memory warns.
func TestRunReportLines(t *testing.T) {
	tests := []struct {
		name       string
		memory     string
		ballastMB  int
		minUsed    int
		maxUsed    int
		warnedOver bool
	}{
		{name: "small", memory: "128", ballastMB: 0, minUsed: 1, maxUsed: 48},
		{name: "ballast under --memory", memory: "256", ballastMB: 96, minUsed: 96, maxUsed: 160},
		{name: "ballast over --memory", memory: "128", ballastMB: 160, minUsed: 160, maxUsed: 240, warnedOver: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := `{"ballast_mb":` + strconv.Itoa(tt.ballastMB) + `}`
			res := runCLI(t, nil, "run", "--debug=false", "--memory", tt.memory, "--events", writeEvents(t, ev, `{}`), lifecycleFunction(t))
			ms := reportRE.FindAllStringSubmatch(res.out, -1)
			require.Len(t, ms, 2, "one REPORT line per invocation")
			for i, m := range ms {
				assert.Regexp(t, `^[0-9a-f-]{36}$`, m[1])
				assert.Contains(t, res.out, "request "+m[1]+")", "the REPORT line names the invocation's request id")
				dur, _ := strconv.ParseFloat(m[2], 64)
				billed, _ := strconv.Atoi(m[3])
				initDur, _ := strconv.ParseFloat(m[7], 64)
				assert.GreaterOrEqual(t, float64(billed), dur+initDur, "billed is rounded up")
				assert.Less(t, float64(billed), dur+initDur+1.01)
				assert.Equal(t, tt.memory, m[4])
				used, _ := strconv.Atoi(m[5])
				assert.GreaterOrEqual(t, used, tt.minUsed)
				assert.LessOrEqual(t, used, tt.maxUsed)
				if i == 0 {
					assert.NotEmpty(t, m[6], "Init Duration on the cold start")
					assert.Positive(t, initDur)
				} else {
					assert.Empty(t, m[6], "no Init Duration on a warm start")
				}
			}
			if tt.warnedOver {
				assert.Equal(t, exitOK, res.code, "a warning, not a failure")
				assert.Regexp(t, `warning: the function's memory peaked at \d+ MB, above its 128 MB \(--memory\): Lambda would have stopped it`, res.out)
				assert.Contains(t, res.out, "warning: 2 invocations went past --memory 128 MB", "the peak is the process's: it stays past")
				return
			}
			assert.Equal(t, exitOK, res.code)
			assert.NotContains(t, res.out, "warning:")
		})
	}
}

// A timeout resets the environment as Lambda does: the runtime registered for SIGTERM
// (guard.Start does), so its shutdown hook runs before the SIGKILL, and the next
// invocation is a cold start in a new process.
func TestRunTimeoutRunsShutdownHook(t *testing.T) {
	res := runCLI(t, nil, "run", "--debug=false", "--timeout", "300ms",
		"--events", writeEvents(t, `{"sleep_ms":60000}`, `{}`), lifecycleFunction(t))
	assert.Equal(t, exitInvocations, res.code)
	first := regexp.MustCompile(`invocation 1/2: error after .* \(cold start, pid (\d+),`).FindStringSubmatch(res.out)
	require.NotNil(t, first, "the first invocation timed out")
	assert.Contains(t, res.out, "Sandbox.Timedout")
	hook := strings.Index(res.out, "   ["+first[1]+" stdout] lifecycle: shutdown hook ran")
	require.GreaterOrEqual(t, hook, 0, "the timed-out process ran its shutdown hook")
	second := strings.Index(res.out, "=> invocation 2/2")
	assert.Less(t, hook, second, "the hook ran before the next invocation's new process")
	assert.Regexp(t, `REPORT RequestId: \S+\tDuration: 3\d\d\.\d\d ms\t.*\tStatus: timeout`, res.out)
	assert.Regexp(t, `invocation 2/2: ok, in .* \(cold start, pid `, res.out)
	assert.Equal(t, 2, strings.Count(res.out, "lifecycle: shutdown hook ran"), "once at the timeout, once at the end")
}

// The function's lines, and the guard's own, are printed under the invocation that wrote
// them, never under the next one.
func TestRunLogLinesUnderTheirInvocation(t *testing.T) {
	const n = 4
	evs := make([]string, n)
	for i := range evs {
		evs[i] = `{"log":200}`
	}
	res := runCLI(t, nil, "run", "--events", writeEvents(t, evs...), lifecycleFunction(t))
	require.Equal(t, exitOK, res.code)
	sections := strings.Split(res.out, "=> invocation ")
	require.Len(t, sections, n+1)
	for i, sec := range sections[1:] {
		k := i + 1
		assert.Equal(t, 200, strings.Count(sec, "lifecycle: invocation "+strconv.Itoa(k)+" line "), "invocation %d's lines in its own section", k)
		id := regexp.MustCompile(`request ([0-9a-f-]{36})\)`).FindStringSubmatch(sec)
		require.NotNil(t, id)
		closed := `"requestId":"` + id[1] + `"`
		assert.Contains(t, sec, "lambdaguard: invocation closed", "section %d", k)
		assert.Equal(t, strings.Count(res.out, closed), strings.Count(sec, closed), "the guard's lines for %s are all in its section", id[1])
	}
}

// --env-file gives the function variables from KEY=VALUE files; later files and --env
// override earlier entries; a malformed file stops the run before anything starts.
func TestRunEnvFile(t *testing.T) {
	dir := t.TempDir()
	first := filepath.Join(dir, "first.env")
	second := filepath.Join(dir, "second.env")
	require.NoError(t, os.WriteFile(first, []byte("# base\nTABLE=orders\nexport STAGE=dev # inline\nGREETING=\"hi\\tthere\"\nRAW='${HOME}'\nAWS_REGION=eu-west-3\n"), 0o600))
	require.NoError(t, os.WriteFile(second, []byte("STAGE=prod\n"), 0o600))
	ev := `{"env":["TABLE","STAGE","GREETING","RAW","AWS_REGION","FLAG"]}`
	res := runCLI(t, nil, "run", "--debug=false", "--env-file", first, "--env-file", second, "--env", "FLAG=on",
		"--events", writeEvents(t, ev), lifecycleFunction(t))
	require.Equal(t, exitOK, res.code)
	assert.Contains(t, res.out, `"env":{"AWS_REGION":"eu-west-3","FLAG":"on","GREETING":"hi\tthere","RAW":"${HOME}","STAGE":"prod","TABLE":"orders"}`)

	bad := filepath.Join(dir, "bad.env")
	require.NoError(t, os.WriteFile(bad, []byte("OK=1\nNOT A LINE\n"), 0o600))
	res = runCLI(t, nil, "run", "--env-file", bad, lifecycleFunction(t))
	assert.Equal(t, exitFailure, res.code)
	assert.Contains(t, res.err, "lambdaguard: envfile: malformed line: "+bad+":2: want KEY=VALUE")
	assert.NotContains(t, res.out, "=> invocation")

	res = runCLI(t, nil, "run", "--env-file", filepath.Join(dir, "none.env"), lifecycleFunction(t))
	assert.Equal(t, exitFailure, res.code)
	assert.Contains(t, res.err, "no such file")
}
