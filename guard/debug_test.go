package guard_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdaguard/lambdaguard/guard"
	"github.com/lambdaguard/lambdaguard/guardtest"
)

// collector gathers the reports of a debug-mode guard.
type collector struct {
	mu      sync.Mutex
	reports []guard.Report
}

func (c *collector) add(r guard.Report) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reports = append(c.reports, r)
}

func (c *collector) findings(kind guard.Kind) []guard.Finding {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []guard.Finding
	for _, r := range c.reports {
		for _, f := range r.Findings {
			if f.Kind == kind {
				out = append(out, f)
			}
		}
	}
	return out
}

func (c *collector) json(t *testing.T) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	b, err := json.Marshal(c.reports)
	require.NoError(t, err)
	return string(b)
}

func debugGuard[TIn, TOut any](t *testing.T, h func(context.Context, TIn) (TOut, error), opts ...guard.Option) (func(context.Context, TIn) (TOut, error), *collector) {
	t.Helper()
	c := &collector{}
	opts = append([]guard.Option{guard.WithDebug(true), guard.WithReporter(c.add), guard.WithTempBase(t.TempDir())}, opts...)
	return guard.Wrap(h, opts...), c
}

type request struct {
	Message string `json:"message"`
	User    string `json:"user"`
}

type settings struct {
	Token   string
	retries int
}

var (
	lastMessage string
	cache       = map[string]string{}
	cfg         = &settings{}
	pool        = map[string]int{}
)

func watch(t *testing.T, name string, ptr any, opts ...guard.WatchOption) {
	t.Helper()
	guardtest.Watch(t, name, ptr, opts...)
}

func TestDebugGlobalsAndTaint(t *testing.T) {
	watch(t, "lastMessage", &lastMessage)
	watch(t, "cache", &cache)
	watch(t, "cfg", &cfg)
	guard.Ignore("pool", &pool)
	t.Cleanup(func() { lastMessage, cache, cfg, pool = "", map[string]string{}, &settings{}, map[string]int{} })

	h, c := debugGuard(t, func(ctx context.Context, r request) (string, error) {
		lastMessage = r.Message
		cache["user:"+r.User] = r.Message
		cfg.Token = "tok-" + r.User
		cfg.retries++
		pool["conns"]++ // shared on purpose: not reported
		return "ok", nil
	})
	out, err := h(context.Background(), request{Message: "top-secret-hoge", User: "42"})
	require.NoError(t, err)
	assert.Equal(t, "ok", out, "debug mode does not change the result")

	var paths []string
	for _, f := range c.findings(guard.KindGlobal) {
		paths = append(paths, f.Path)
	}
	require.Len(t, paths, 4)
	assert.Subset(t, paths, []string{"lastMessage", "cfg.Token", "cfg.retries"})
	var keyPath string
	for _, p := range paths {
		if strings.HasPrefix(p, "cache[") {
			keyPath = p
		}
	}
	assert.Regexp(t, `^cache\[key\(len=7, hash=[0-9a-f]{8}\)\]$`, keyPath, "map keys are data: redacted like values")
	taints := c.findings(guard.KindTaint)
	require.NotEmpty(t, taints)
	var taintPaths []string
	for _, f := range taints {
		taintPaths = append(taintPaths, f.Path)
		assert.Contains(t, f.Detail, "Message")
	}
	assert.Contains(t, taintPaths, "lastMessage")
	assert.NotContains(t, c.json(t), "top-secret-hoge", "the report does not leak the value it found")
	for _, f := range c.findings(guard.KindGlobal) {
		assert.NotEqual(t, "pool", f.Name)
	}
}

func TestDebugShowValues(t *testing.T) {
	watch(t, "lastMessage", &lastMessage)
	t.Cleanup(func() { lastMessage = "" })
	h, c := debugGuard(t, func(ctx context.Context, r request) (string, error) {
		lastMessage = r.Message
		return "ok", nil
	}, guard.WithDebugConfig(guard.DebugConfig{ShowValues: true}))
	_, err := h(context.Background(), request{Message: "visible-value"})
	require.NoError(t, err)
	assert.Contains(t, c.json(t), "visible-value")
}

func TestDebugProcessState(t *testing.T) {
	base := t.TempDir()
	var leakedFile *os.File
	t.Cleanup(func() {
		if leakedFile != nil {
			leakedFile.Close()
		}
		os.Unsetenv("LAMBDAGUARD_TEST_LAST_USER")
	})
	h, c := debugGuard(t, func(ctx context.Context, r request) (string, error) {
		os.Setenv("LAMBDAGUARD_TEST_LAST_USER", r.User)
		if err := os.WriteFile(filepath.Join(base, "upload-"+r.User), []byte(r.Message), 0o600); err != nil {
			return "", err
		}
		f, err := os.Open(filepath.Join(base, "upload-"+r.User))
		leakedFile = f
		return "ok", err
	}, guard.WithTempBase(base))
	_, err := h(context.Background(), request{User: "carol-the-user", Message: "message-body-secret"})
	require.NoError(t, err)

	env := c.findings(guard.KindEnv)
	require.Len(t, env, 1)
	assert.Equal(t, "LAMBDAGUARD_TEST_LAST_USER", env[0].Name)
	assert.Contains(t, env[0].Detail, "set to string(len=14")

	tmp := c.findings(guard.KindTempFile)
	require.Len(t, tmp, 1)
	fds := c.findings(guard.KindFD)
	require.Len(t, fds, 1)
	assert.Contains(t, fds[0].Detail, "left open")

	var where []string
	for _, f := range c.findings(guard.KindTaint) {
		where = append(where, f.Path)
	}
	assert.Contains(t, where, "env LAMBDAGUARD_TEST_LAST_USER")
	assert.Len(t, where, 2, "env and file: %v", where)

	js := c.json(t)
	assert.NotContains(t, js, "carol-the-user", "not even inside a file name or path")
	assert.NotContains(t, js, "message-body-secret")
}

func TestDebugCwd(t *testing.T) {
	orig, err := os.Getwd()
	require.NoError(t, err)
	t.Cleanup(func() { _ = os.Chdir(orig) })
	dir := t.TempDir()
	h, c := debugGuard(t, func(ctx context.Context, _ request) (string, error) { return "", os.Chdir(dir) })
	_, err = h(context.Background(), request{})
	require.NoError(t, err)
	cwd := c.findings(guard.KindCwd)
	require.Len(t, cwd, 1)
	assert.Contains(t, cwd[0].Detail, dir)
}

func leakForever(stop <-chan struct{}) { <-stop }

// leakStop returns the channel a test's leaked goroutines wait on. At the
// test's end it is closed and they are waited for: one still alive when the
// next test starts would keep debug mode from reading that test's unguarded
// variables.
func leakStop(t *testing.T) chan struct{} {
	stop := make(chan struct{})
	t.Cleanup(func() {
		close(stop)
		require.Eventually(t, func() bool {
			buf := make([]byte, 1<<20)
			stacks := string(buf[:runtime.Stack(buf, true)])
			return !strings.Contains(stacks, "guard_test.leakForever") && !strings.Contains(stacks, "guard_test.leakIgnored")
		}, 5*time.Second, time.Millisecond, "the test's leaked goroutines did not end")
	})
	return stop
}

func TestDebugGoroutines(t *testing.T) {
	stop := leakStop(t)
	h, c := debugGuard(t, func(ctx context.Context, r request) (string, error) {
		go leakForever(stop)
		go func() { time.Sleep(time.Millisecond) }() // ends soon enough: not a leak
		return "ok", nil
	})
	_, err := h(context.Background(), request{})
	require.NoError(t, err)
	gs := c.findings(guard.KindGoroutine)
	require.Len(t, gs, 1, "%+v", gs)
	assert.Contains(t, gs[0].Name, "leakForever")
	assert.Contains(t, gs[0].Path, "debug_test.go:")
}

func TestDebugConcurrentAttribution(t *testing.T) {
	watch(t, "sharedCounter", &sharedCounter, guard.GuardedBy(&sharedMu))
	stop := leakStop(t)
	both := make(chan struct{})
	var arrived sync.WaitGroup
	arrived.Add(2)
	h, c := debugGuard(t, func(ctx context.Context, r request) (string, error) {
		arrived.Done()
		<-both // both invocations are in flight now
		if r.User == "leaker" {
			go leakForever(stop)
			sharedMu.Lock()
			sharedCounter++
			sharedMu.Unlock()
		}
		return "ok", nil
	})
	var wg sync.WaitGroup
	for _, u := range []string{"leaker", "clean"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _ = h(lambdaCtx("req-"+u), request{User: u})
		}()
	}
	arrived.Wait()
	close(both)
	wg.Wait()

	c.mu.Lock()
	defer c.mu.Unlock()
	byID := map[string][]guard.Finding{}
	for _, r := range c.reports {
		byID[r.InvocationID] = append(byID[r.InvocationID], r.Findings...)
	}
	var leakerGoroutines, cleanGoroutines int
	for _, f := range byID["req-leaker"] {
		if f.Kind == guard.KindGoroutine {
			leakerGoroutines++
		}
	}
	for _, f := range byID["req-clean"] {
		if f.Kind == guard.KindGoroutine {
			cleanGoroutines++
		}
	}
	assert.Equal(t, 1, leakerGoroutines, "the goroutine is pinned to the invocation that started it")
	assert.Zero(t, cleanGoroutines)
	var sawGlobal bool
	for _, fs := range byID {
		for _, f := range fs {
			if f.Kind == guard.KindGlobal {
				sawGlobal = true
				assert.ElementsMatch(t, []string{"req-leaker", "req-clean"}, f.InFlight, "shared state is not pinned on a guess")
			}
		}
	}
	assert.True(t, sawGlobal)
}

var (
	sharedMu      sync.Mutex
	sharedCounter int
)

func TestDebugDetectorFailuresAreFindings(t *testing.T) {
	watch(t, "notAPointer", 42)
	h, c := debugGuard(t, func(ctx context.Context, r request) (string, error) { return "fine", nil })
	out, err := h(context.Background(), request{})
	require.NoError(t, err)
	assert.Equal(t, "fine", out)
	d := c.findings(guard.KindDetector)
	require.Len(t, d, 1)
	assert.Contains(t, d[0].Detail, "non-nil pointer")
}

func TestDebugReporterPanicDoesNotReachHandler(t *testing.T) {
	watch(t, "lastMessage", &lastMessage)
	t.Cleanup(func() { lastMessage = "" })
	reported := false
	h := guard.Wrap(func(ctx context.Context, r request) (string, error) {
		lastMessage = r.Message
		return "fine", nil
	}, guard.WithDebug(true), guard.WithTempBase(t.TempDir()), guard.WithReporter(func(guard.Report) {
		reported = true
		panic("reporter broke")
	}))
	out, err := h(context.Background(), request{Message: "abcd"})
	require.NoError(t, err)
	assert.Equal(t, "fine", out)
	assert.True(t, reported, "the reporter ran (and panicked)")
}

func TestDebugPanicStillReportsAndRepanics(t *testing.T) {
	watch(t, "lastMessage", &lastMessage)
	t.Cleanup(func() { lastMessage = "" })
	h, c := debugGuard(t, func(ctx context.Context, r request) (string, error) {
		lastMessage = r.Message
		panic("handler broke")
	})
	assert.PanicsWithValue(t, "handler broke", func() { _, _ = h(context.Background(), request{Message: "abcd"}) })
	assert.Len(t, c.findings(guard.KindGlobal), 1)
}

func TestDebugDefaultReportIsOneJSONLine(t *testing.T) {
	watch(t, "lastMessage", &lastMessage)
	t.Cleanup(func() { lastMessage = "" })
	r, w, err := os.Pipe()
	require.NoError(t, err)
	stderr := os.Stderr
	os.Stderr = w
	h := guard.Wrap(func(ctx context.Context, req request) (string, error) {
		lastMessage = req.Message
		return "", nil
	}, guard.WithDebug(true), guard.WithTempBase(t.TempDir()))
	_, err = h(lambdaCtx("req-json"), request{Message: "secret-in-stderr"})
	os.Stderr = stderr
	w.Close()
	require.NoError(t, err)
	out, _ := io.ReadAll(r)
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	require.Len(t, lines, 1, "%s", out)
	var line struct {
		Level     string       `json:"level"`
		RequestID string       `json:"requestId"`
		Report    guard.Report `json:"lambdaguard_report"`
	}
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &line))
	assert.Equal(t, "WARN", line.Level)
	assert.Equal(t, "req-json", line.Report.InvocationID)
	assert.NotEmpty(t, line.Report.Findings)
	assert.NotContains(t, string(out), "secret-in-stderr")
}

func TestDebugFromEnvironment(t *testing.T) {
	watch(t, "lastMessage", &lastMessage)
	t.Cleanup(func() { lastMessage = "" })
	t.Setenv("LAMBDAGUARD_DEBUG", "1")
	c := &collector{}
	h := guard.Wrap(func(ctx context.Context, r request) (string, error) {
		lastMessage = r.Message
		return "", nil
	}, guard.WithReporter(c.add), guard.WithTempBase(t.TempDir()))
	_, _ = h(context.Background(), request{Message: "abcd"})
	assert.Len(t, c.findings(guard.KindGlobal), 1)

	t.Setenv("LAMBDAGUARD_DEBUG", "")
	c2 := &collector{}
	off := guard.Wrap(func(ctx context.Context, r request) (string, error) {
		lastMessage = r.Message + "x"
		return "", nil
	}, guard.WithReporter(c2.add))
	_, _ = off(context.Background(), request{Message: "abcd"})
	assert.Empty(t, c2.reports, "debug off: nothing is checked")
}

func TestDebugFDLeftOpenInOwnTempDir(t *testing.T) {
	var kept *os.File
	t.Cleanup(func() {
		if kept != nil {
			kept.Close()
		}
	})
	h, c := debugGuard(t, func(ctx context.Context, _ request) (string, error) {
		root, err := guard.TempRoot(ctx)
		if err != nil {
			return "", err
		}
		kept, err = root.Create("scratch")
		return "", err
	})
	_, err := h(context.Background(), request{})
	require.NoError(t, err)
	fds := c.findings(guard.KindFD)
	require.Len(t, fds, 1, "a file still open in the wiped directory: %+v", fds)
	assert.Contains(t, fds[0].Detail, "scratch (deleted)")
}

var sessions = map[string]string{}

// TestDebugRedactsDerivedMapKeys: a key derived from the request (the token
// without its "Bearer " prefix) is not a string of the request, so no
// search for the request's strings finds it; it is redacted as a key.
func TestDebugRedactsDerivedMapKeys(t *testing.T) {
	watch(t, "sessions", &sessions)
	t.Cleanup(func() { sessions = map[string]string{} })
	type authEvent struct {
		Headers map[string]string `json:"headers"`
	}
	h, c := debugGuard(t, func(ctx context.Context, ev authEvent) (string, error) {
		sessions[strings.TrimPrefix(ev.Headers["authorization"], "Bearer ")] = "user-1"
		return "ok", nil
	})
	const secret = "s3cr3t-t0ken-abcdef"
	_, err := h(context.Background(), authEvent{Headers: map[string]string{"authorization": "Bearer " + secret}})
	require.NoError(t, err)
	require.NotEmpty(t, c.findings(guard.KindGlobal))
	assert.NotContains(t, c.json(t), secret)
	assert.NotContains(t, c.json(t), "s3cr3t")
}

var unguardedCounts = map[string]int{}

// TestDebugUnguardedMapUnderConcurrency: a watched map without GuardedBy,
// written by concurrent invocations (each under the handler's own lock), is
// snapshotted only while no handler runs: no data race, no fatal
// "concurrent map iteration and map write".
func TestDebugUnguardedMapUnderConcurrency(t *testing.T) {
	watch(t, "unguardedCounts", &unguardedCounts)
	var mu sync.Mutex
	t.Cleanup(func() { unguardedCounts = map[string]int{} })
	h, c := debugGuard(t, func(ctx context.Context, r request) (string, error) {
		for i := range 200 {
			mu.Lock()
			unguardedCounts[fmt.Sprintf("%s-%d", r.User, i)]++
			mu.Unlock()
		}
		return "ok", nil
	})
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := h(context.Background(), request{User: fmt.Sprintf("user%02d", i)})
			assert.NoError(t, err)
		}()
	}
	wg.Wait()
	assert.NotEmpty(t, c.findings(guard.KindGlobal))
}

func leakIgnored(stop <-chan struct{}) { <-stop }

func TestDebugIgnoreOptions(t *testing.T) {
	stop := leakStop(t)
	t.Cleanup(func() {
		os.Unsetenv("LAMBDAGUARD_TEST_IGNORED")
		os.Unsetenv("LAMBDAGUARD_TEST_REPORTED")
	})
	h, c := debugGuard(t, func(ctx context.Context, _ request) (string, error) {
		os.Setenv("LAMBDAGUARD_TEST_IGNORED", "x")
		os.Setenv("LAMBDAGUARD_TEST_REPORTED", "x")
		go leakIgnored(stop)
		go leakForever(stop)
		return "ok", nil
	}, guard.WithDebugConfig(guard.DebugConfig{
		IgnoreEnv:        []string{"LAMBDAGUARD_TEST_IGNORED"},
		IgnoreGoroutines: []string{"github.com/lambdaguard/lambdaguard/guard_test.leakIgnored"},
	}))
	_, err := h(context.Background(), request{})
	require.NoError(t, err)

	var env, gos []string
	for _, f := range c.findings(guard.KindEnv) {
		env = append(env, f.Name)
	}
	for _, f := range c.findings(guard.KindGoroutine) {
		gos = append(gos, f.Name)
	}
	assert.Equal(t, []string{"LAMBDAGUARD_TEST_REPORTED"}, env)
	require.Len(t, gos, 1)
	assert.Contains(t, gos[0], "leakForever", "only the goroutine not ignored")
}

// Debug mode reuses the memory of a variable's snapshots from one
// invocation to the next: every invocation still reports what it leaked,
// and only that.
func TestDebugRepeatedInvocationsReuseSnapshots(t *testing.T) {
	sessions := map[string]*settings{}
	for i := range 300 {
		sessions[fmt.Sprintf("u%03d", i)] = &settings{Token: fmt.Sprintf("t%d", i)}
	}
	watch(t, "sessions", &sessions)
	h, c := debugGuard(t, func(ctx context.Context, r request) (string, error) {
		if r.User != "" {
			sessions["u"+r.User].Token = r.Message
		}
		return "ok", nil
	})
	users := []string{"001", "", "002", "", "003"}
	for i, user := range users {
		_, err := h(context.Background(), request{Message: fmt.Sprintf("msg-%d", i), User: user})
		require.NoError(t, err)
	}
	// A report for each invocation that leaked (those without a user
	// changed nothing, and have none), with that invocation's entry.
	require.Len(t, c.reports, 3)
	seen := map[string]bool{}
	for i, r := range c.reports {
		var globals []guard.Finding
		for _, f := range r.Findings {
			if f.Kind == guard.KindGlobal {
				globals = append(globals, f)
			}
		}
		require.Len(t, globals, 1, "report %d: %+v", i, r.Findings)
		assert.Regexp(t, `^sessions\[key\(len=4, hash=[0-9a-f]{8}\)\]\.Token$`, globals[0].Path)
		assert.False(t, seen[globals[0].Path], "report %d repeats another invocation's entry", i)
		seen[globals[0].Path] = true
	}
}

// TestDebugRelativeTempBase: with a relative temp base, the directory of an
// invocation still running, which /proc names by its absolute path, is known
// for what it is: not a descriptor that an invocation ending meanwhile left
// open.
func TestDebugRelativeTempBase(t *testing.T) {
	t.Chdir(t.TempDir())
	require.NoError(t, os.Mkdir("base", 0o700))
	quickIn, opened := make(chan struct{}), make(chan struct{})
	endQuick, endHolder := make(chan struct{}), make(chan struct{})
	c := &collector{}
	h := guard.Wrap(func(ctx context.Context, r request) (string, error) {
		if r.User != "holder" {
			close(quickIn)
			<-endQuick
			return "", nil
		}
		root, err := guard.TempRoot(ctx)
		if err != nil {
			return "", err
		}
		f, err := root.Create("scratch")
		if err != nil {
			return "", err
		}
		close(opened)
		<-endHolder
		return "", f.Close()
	}, guard.WithDebug(true), guard.WithReporter(c.add), guard.WithTempBase("base"))
	// The base is where it was when the handler was wrapped, for the temp
	// dirs and for the detector alike, wherever the function goes later.
	moved := t.TempDir()
	t.Chdir(moved)
	require.NoError(t, os.Mkdir("base", 0o700))

	run := func(user string) <-chan struct{} {
		done := make(chan struct{})
		go func() {
			defer close(done)
			_, err := h(lambdaCtx("req-"+user), request{User: user})
			assert.NoError(t, err)
		}()
		return done
	}
	quickDone := run("quick")
	<-quickIn // the quick invocation's state is taken
	holderDone := run("holder")
	<-opened // the holder's directory and file are open
	close(endQuick)
	<-quickDone // and the quick invocation is checked meanwhile
	close(endHolder)
	<-holderDone

	c.mu.Lock()
	defer c.mu.Unlock()
	for _, r := range c.reports {
		for _, f := range r.Findings {
			assert.NotEqual(t, guard.KindFD, f.Kind, "%s: %+v", r.InvocationID, f)
		}
	}
	entries, err := os.ReadDir(filepath.Join(moved, "base"))
	require.NoError(t, err)
	assert.Empty(t, entries, "no temp dir was made under the new working directory")
}

// A variable left as it was, or replaced by a copy holding equal values
// elsewhere (not the same to Snapshot.Same, yet its diff finds nothing), is
// not reported; one whose entries traded places is. That an unchanged one
// gets no second snapshot is TestDebugTakesNoSecondSnapshotOfAnUnchangedVariable's.
func TestDebugUnchangedCopiedAndSwapped(t *testing.T) {
	sessions := map[string]*settings{}
	for i := range 200 {
		sessions[fmt.Sprintf("u%03d", i)] = &settings{Token: fmt.Sprintf("t%d", i)}
	}
	watch(t, "sessions", &sessions)
	h, c := debugGuard(t, func(ctx context.Context, r request) (string, error) {
		switch r.Message {
		case "copy":
			sessions = maps.Clone(sessions)
		case "swap":
			sessions["u001"], sessions["u002"] = sessions["u002"], sessions["u001"]
		}
		return "ok", nil
	})
	for _, m := range []string{"", "copy", ""} {
		_, err := h(context.Background(), request{Message: m})
		require.NoError(t, err)
	}
	assert.Empty(t, c.reports, "nothing changed, or only where the values live")

	_, err := h(context.Background(), request{Message: "swap"})
	require.NoError(t, err)
	require.Len(t, c.reports, 1)
	assert.Len(t, c.findings(guard.KindGlobal), 2, "both entries changed")
}

// Request data left in one entry of a large watched map is found, taint
// included, though the snapshot after copies only the entries that changed.
func TestDebugTaintInOneEntryOfALargeMap(t *testing.T) {
	sessions := map[string]*settings{}
	for i := range 500 {
		sessions[fmt.Sprintf("u%03d", i)] = &settings{Token: fmt.Sprintf("t%d", i)}
	}
	watch(t, "sessions", &sessions)
	h, c := debugGuard(t, func(ctx context.Context, r request) (string, error) {
		sessions["u"+r.User].Token = r.Message
		return "ok", nil
	})
	_, err := h(context.Background(), request{Message: "tok-request-secret", User: "123"})
	require.NoError(t, err)
	globals, taints := c.findings(guard.KindGlobal), c.findings(guard.KindTaint)
	require.Len(t, globals, 1)
	require.Len(t, taints, 1)
	assert.Equal(t, globals[0].Path, taints[0].Path)
	assert.Regexp(t, `^sessions\[key\(len=4, hash=[0-9a-f]{8}\)\]\.Token$`, taints[0].Path)
	assert.NotContains(t, c.json(t), "tok-request-secret")
}

// A session two keys share, changed after one key was dropped, is reported
// whichever key the snapshot before recorded it under (maps are walked in
// a random order: each case runs a few times).
func TestDebugSharedEntryChangedAfterItsOtherKeyWentAway(t *testing.T) {
	for _, drop := range slices.Repeat([]string{"u1", "u2"}, 4) {
		t.Run(drop, func(t *testing.T) {
			shared := &settings{Token: "t0"}
			sessions := map[string]*settings{"u1": shared, "u2": shared}
			watch(t, "sessions", &sessions)
			h, c := debugGuard(t, func(ctx context.Context, r request) (string, error) {
				delete(sessions, drop)
				shared.Token = r.Message
				return "ok", nil
			})
			_, err := h(context.Background(), request{Message: "tok-request-secret"})
			require.NoError(t, err)
			var tokens int
			for _, f := range c.findings(guard.KindGlobal) {
				if strings.HasSuffix(f.Path, ".Token") {
					tokens++
				}
			}
			assert.Equal(t, 1, tokens, "the shared session's change was not reported: %s", c.json(t))
			assert.Len(t, c.findings(guard.KindTaint), 1)
		})
	}
}

var (
	sampledMu    sync.Mutex
	sampledMap   = map[string]string{}
	unsampledMap = map[string]string{}
)

// With a sample rate, an invocation the sample leaves out is not checked at
// all; one it picks is checked as usual, but for the variables without a
// lock of their own, which are named once instead.
func TestDebugSample(t *testing.T) {
	watch(t, "sampledMap", &sampledMap, guard.GuardedBy(&sampledMu))
	watch(t, "unsampledMap", &unsampledMap)
	leak := func(ctx context.Context, r request) (string, error) {
		sampledMu.Lock()
		sampledMap[r.Message] = "x"
		sampledMu.Unlock()
		unsampledMap[r.Message] = "x"
		return "ok", nil
	}

	never, c := debugGuard(t, leak, guard.WithDebugConfig(guard.DebugConfig{Sample: 1e-300}))
	for i := range 5 {
		_, err := never(context.Background(), request{Message: fmt.Sprint("never-", i)})
		require.NoError(t, err)
	}
	assert.Empty(t, c.reports, "nothing is checked")

	always, c := debugGuard(t, leak, guard.WithDebugConfig(guard.DebugConfig{Sample: 0.999999999}))
	for i := range 3 {
		_, err := always(context.Background(), request{Message: fmt.Sprint("always-", i)})
		require.NoError(t, err)
	}
	assert.Len(t, c.findings(guard.KindGlobal), 3, "the guarded map's changes, one per invocation")
	det := c.findings(guard.KindDetector)
	require.Len(t, det, 1, "the unguarded map is named once: %+v", det)
	assert.Equal(t, "unsampledMap", det[0].Name)
	assert.Contains(t, det[0].Detail, "sample")

	off, c := debugGuard(t, leak, guard.WithDebugConfig(guard.DebugConfig{Sample: -1}))
	_, err := off(context.Background(), request{Message: "off"})
	require.NoError(t, err)
	assert.Empty(t, c.reports, "a negative rate is debug mode off")
}

func TestDebugSampleFromEnvironment(t *testing.T) {
	t.Setenv("LAMBDAGUARD_DEBUG_SAMPLE", "0")
	h, c := debugGuard(t, func(ctx context.Context, _ request) (string, error) {
		return "ok", os.Setenv("LG_SAMPLE_TEST", "x")
	})
	t.Cleanup(func() { os.Unsetenv("LG_SAMPLE_TEST") })
	_, err := h(context.Background(), request{})
	require.NoError(t, err)
	assert.Empty(t, c.reports, "LAMBDAGUARD_DEBUG_SAMPLE=0 checks nothing")
}

// After invocations that started no goroutine (debug mode then skips reading
// every goroutine's traceback), one that leaks a goroutine is still caught.
func TestDebugLeakAfterCleanInvocations(t *testing.T) {
	stop := leakStop(t)
	h, c := debugGuard(t, func(ctx context.Context, r request) (string, error) {
		if r.Message == "leak" {
			go leakForever(stop)
		}
		return "ok", nil
	})
	for _, m := range []string{"", "", "", "leak", ""} {
		_, err := h(context.Background(), request{Message: m})
		require.NoError(t, err)
	}
	assert.Len(t, c.findings(guard.KindGoroutine), 1, "the leak is reported once, by the invocation that made it")
}
