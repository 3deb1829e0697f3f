package reliability_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/stretchr/testify/require"

	"github.com/lambdaguard/lambdaguard/guard"
	"github.com/lambdaguard/lambdaguard/guardtest"
)

// The TestDebug* tests are the rows of docs/RELIABILITY.md about debug mode:
// the detector must never crash or block a correct program, and its reports
// must never carry a request's strings.

// debugChildEnv names the test that a child process runs: see inChild.
const debugChildEnv = "LAMBDAGUARD_RELIABILITY_DEBUG_CHILD"

// inChild runs the test again in a child process — this test binary
// re-executed with -test.run selecting it, so built with -race when this one
// is — and reports true there, where the test goes on with its dangerous
// part: one that could end the process with "fatal error: concurrent map
// iteration and map write", which no recover catches, or hang it. In the
// parent it waits for the child, fails the test unless the child passed,
// exited 0 and printed neither "fatal error" nor "DATA RACE", and reports
// false.
func inChild(t *testing.T) bool {
	t.Helper()
	if os.Getenv(debugChildEnv) == t.Name() {
		return true
	}
	parts := strings.Split(t.Name(), "/")
	for i, p := range parts {
		parts[i] = "^" + regexp.QuoteMeta(p) + "$"
	}
	args := []string{"-test.run=" + strings.Join(parts, "/"), "-test.count=1", "-test.v", "-test.timeout=2m"}
	if testing.Short() {
		args = append(args, "-test.short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], args...)
	cmd.Env = append(os.Environ(), debugChildEnv+"="+t.Name())
	b, err := cmd.CombinedOutput()
	out := string(b)
	var problems []string
	if err != nil {
		problems = append(problems, "failed ("+err.Error()+")")
	}
	if strings.Contains(out, "fatal error") {
		problems = append(problems, "crashed (fatal error)")
	}
	if strings.Contains(out, "DATA RACE") {
		problems = append(problems, "raced (DATA RACE)")
	}
	if !strings.Contains(out, "--- PASS: "+t.Name()) {
		problems = append(problems, "did not pass the test")
	}
	if len(problems) > 0 {
		t.Errorf("the child process %s:\n%s", strings.Join(problems, ", "), clip(out, 40, 20))
	}
	return false
}

// clip keeps the first head and the last tail lines of s.
func clip(s string, head, tail int) string {
	lines := strings.Split(s, "\n")
	if len(lines) <= head+tail {
		return s
	}
	return strings.Join(lines[:head], "\n") + fmt.Sprintf("\n... (%d lines) ...\n", len(lines)-head-tail) + strings.Join(lines[len(lines)-tail:], "\n")
}

// reports collects what a debug-mode guard reports.
type reports struct {
	mu   sync.Mutex
	list []guard.Report
}

func (r *reports) add(rep guard.Report) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.list = append(r.list, rep)
}

func (r *reports) all() []guard.Report {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.list)
}

// findings returns the findings of the kinds given (all without kinds).
func (r *reports) findings(kinds ...guard.Kind) []guard.Finding {
	var out []guard.Finding
	for _, rep := range r.all() {
		for _, f := range rep.Findings {
			if len(kinds) == 0 || slices.Contains(kinds, f.Kind) {
				out = append(out, f)
			}
		}
	}
	return out
}

// describe renders the reports as guardtest does for a user's test.
func (r *reports) describe() string {
	var results []guardtest.Result[struct{}]
	for _, rep := range r.all() {
		results = append(results, guardtest.Result[struct{}]{RequestID: rep.InvocationID, Findings: rep.Findings})
	}
	return guardtest.Describe(results)
}

// text is every report as JSON, and as guardtest describes it.
func (r *reports) text(t *testing.T) string {
	t.Helper()
	b, err := json.Marshal(r.all())
	require.NoError(t, err)
	return string(b) + "\n" + r.describe()
}

// resultsText is the findings of a guardtest run as JSON, and as guardtest
// describes them.
func resultsText[TOut any](t *testing.T, results []guardtest.Result[TOut]) string {
	t.Helper()
	b, err := json.Marshal(guardtest.Findings(results))
	require.NoError(t, err)
	return string(b) + "\n" + guardtest.Describe(results)
}

// assertScrubbed fails t for each secret that text carries.
func assertScrubbed(t *testing.T, text string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if strings.Contains(text, s) {
			t.Errorf("a report carries %q:\n%s", s, text)
		}
	}
}

// debugOptions are a debug-mode guard's options: reports go to rs, the temp
// base is a new directory unless opts set one, the guard's own log is dropped.
func debugOptions(t *testing.T, rs *reports, opts ...guard.Option) []guard.Option {
	t.Helper()
	return append([]guard.Option{
		guard.WithDebug(true),
		guard.WithReporter(rs.add),
		guard.WithTempBase(t.TempDir()),
		guard.WithLogger(discardLogger()),
	}, opts...)
}

// debugWrap guards h in debug mode (see debugOptions).
func debugWrap[TIn, TOut any](t *testing.T, h func(context.Context, TIn) (TOut, error), opts ...guard.Option) (func(context.Context, TIn) (TOut, error), *reports) {
	t.Helper()
	rs := &reports{}
	return guard.Wrap(h, debugOptions(t, rs, opts...)...), rs
}

// invocation is the context of one invocation: its request id, and a
// deadline timeout from now.
func invocation(id string, timeout time.Duration) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	return lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{AwsRequestID: id}), cancel
}

// rendezvous lets handlers wait for each other: the n-th call of wait with
// a name releases the n-1 before it.
type rendezvous struct {
	mu    sync.Mutex
	count map[string]int
	ready map[string]chan struct{}
}

func (r *rendezvous) wait(ctx context.Context, name string, n int) error {
	r.mu.Lock()
	if r.ready == nil {
		r.count, r.ready = map[string]int{}, map[string]chan struct{}{}
	}
	ch, ok := r.ready[name]
	if !ok {
		ch = make(chan struct{})
		r.ready[name] = ch
	}
	r.count[name]++
	if r.count[name] == n {
		close(ch)
	}
	r.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%s: waited for %d: %w", name, n, context.Cause(ctx))
	}
}

// segments splits s into its runs of letters and digits: a request string
// of 1 to 3 bytes must not be one of the segments of a finding's name.
func segments(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}
