package guardtest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdaguard/lambdaguard/guard"
	"github.com/lambdaguard/lambdaguard/guardtest"
	"github.com/lambdaguard/lambdaguard/scope"
)

// recorder is a testing.TB that keeps failures instead of failing.
type recorder struct {
	testing.TB
	mu     sync.Mutex
	errors []string
}

func (r *recorder) Error(args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors = append(r.errors, fmt.Sprint(args...))
}

type greeting struct {
	Name string `json:"name"`
}

var visitor = scope.NewKey[string]("visitor")

func clean(ctx context.Context, g greeting) (string, error) {
	if err := visitor.Set(ctx, g.Name); err != nil {
		return "", err
	}
	dir, err := guard.TempDir(ctx)
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(dir+"/name", []byte(g.Name), 0o600); err != nil {
		return "", err
	}
	v, _ := visitor.Get(ctx)
	return "hello " + v, nil
}

var lastVisitor string

func leaky(ctx context.Context, g greeting) (string, error) {
	prev := lastVisitor
	lastVisitor = g.Name
	return "hello " + g.Name + ", after " + prev, nil
}

func TestRunCleanHandler(t *testing.T) {
	r := &recorder{TB: t}
	results := guardtest.Run(r, clean, greeting{"alice-a"}, greeting{"bob-bb"}, greeting{"carol-c"})
	assert.Empty(t, r.errors)
	require.Len(t, results, 3)
	assert.Equal(t, "hello bob-bb", results[1].Output)
	for _, res := range results {
		assert.NoError(t, res.Err)
		assert.Empty(t, res.Findings)
	}
}

func TestRunFailsOnLeak(t *testing.T) {
	guardtest.Watch(t, "lastVisitor", &lastVisitor)
	t.Cleanup(func() { lastVisitor = "" })

	r := &recorder{TB: t}
	results := guardtest.Run(r, leaky, greeting{"alice-secret"}, greeting{"bob-secret"})
	require.Len(t, r.errors, 1)
	msg := r.errors[0]
	assert.Contains(t, msg, "invocation 1 of 2")
	assert.Contains(t, msg, "global    lastVisitor")
	assert.Contains(t, msg, "warm start served a previous caller's value")
	assert.NotContains(t, msg, "alice-secret")
	assert.NotContains(t, msg, "bob-secret")
	assert.Equal(t, "hello bob-secret, after alice-secret", results[1].Output)
}

func TestRunConcurrent(t *testing.T) {
	r := &recorder{TB: t}
	var events []greeting
	for i := range 64 {
		events = append(events, greeting{Name: fmt.Sprintf("visitor-%03d", i)})
	}
	results := guardtest.RunConcurrent(r, 8, clean, events...)
	assert.Empty(t, r.errors)
	for i, res := range results {
		assert.Equal(t, "hello "+events[i].Name, res.Output)
	}
}

func TestErrorsAndPanicsAreResults(t *testing.T) {
	boom := errors.New("boom")
	r := &recorder{TB: t}
	results := guardtest.Run(r, func(ctx context.Context, g greeting) (string, error) {
		if g.Name == "panic" {
			panic("handler panicked")
		}
		return "", boom
	}, greeting{"error"}, greeting{"panic"})
	assert.Empty(t, r.errors)
	assert.ErrorIs(t, results[0].Err, boom)
	assert.Equal(t, "handler panicked", results[1].Panic)
}

func TestDescribeEmpty(t *testing.T) {
	assert.Empty(t, guardtest.Describe([]guardtest.Result[string]{{RequestID: "x"}}))
	assert.True(t, strings.HasPrefix(guardtest.Describe([]guardtest.Result[string]{{RequestID: "x", Findings: []guard.Finding{{Kind: guard.KindEnv, Name: "A", Detail: "set"}}}}), "guardtest: 1 finding(s)"))
}

func TestFindingsInInvocationOrder(t *testing.T) {
	a := guard.Finding{Kind: guard.KindEnv, Name: "A"}
	b := guard.Finding{Kind: guard.KindGlobal, Name: "B"}
	c := guard.Finding{Kind: guard.KindTaint, Name: "C"}
	results := []guardtest.Result[string]{{Findings: []guard.Finding{a}}, {}, {Findings: []guard.Finding{b, c}}}
	assert.Equal(t, []guard.Finding{a, b, c}, guardtest.Findings(results))
	assert.Empty(t, guardtest.Findings([]guardtest.Result[string]{{}}))
}

// Raw events ([]byte, as lambda.Handler gets them) are read as the JSON
// they are: a response that echoes its own request's value is not
// crosstalk, even when an earlier request carried the same value; one
// that echoes only an earlier request's is.
func TestCrosstalkRawEvents(t *testing.T) {
	var last string
	echo := func(own bool) func(context.Context, []byte) (string, error) {
		return func(_ context.Context, ev []byte) (string, error) {
			var g greeting
			if err := json.Unmarshal(ev, &g); err != nil {
				return "", err
			}
			prev := last
			last = g.Name
			if own {
				return "hello " + g.Name, nil
			}
			return "hello " + prev, nil
		}
	}
	results, err := guardtest.Check(guardtest.Config{}, echo(true),
		[]byte(`{"name":"alice-secret"}`), []byte(`{"name":"alice-secret","x":"bobby"}`))
	require.NoError(t, err)
	assert.Empty(t, guardtest.Findings(results), "its own value")

	last = ""
	results, err = guardtest.Check(guardtest.Config{}, echo(false),
		[]byte(`{"name":"alice-secret"}`), []byte(`{"name":"bob-secret"}`))
	require.NoError(t, err)
	require.Len(t, results, 2)
	require.Len(t, results[1].Findings, 1, "another's value")
	assert.Contains(t, results[1].Findings[0].Detail, "carries request data of invocation 1")
}
