package goroutines

import (
	"context"
	"os"
	"runtime"
	"runtime/pprof"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func leak(stop chan struct{}) { <-stop }

func TestAliveAttributesByLabel(t *testing.T) {
	stop := make(chan struct{})
	defer close(stop)
	done := make(chan struct{})
	go func() {
		_, restore := Mark(context.Background(), "inv-A")
		go leak(stop)
		go leak(stop)
		go func() {}() // finishes at once: not a leak
		restore()
		go leak(stop) // started after restore: not inv-A's
		close(done)
	}()
	<-done
	gs := alive("inv-A", 200*time.Millisecond, nil)
	require.Len(t, gs, 1, "%+v", gs)
	assert.Equal(t, 2, gs[0].Count)
	assert.Contains(t, gs[0].Entry, "goroutines.leak")
	assert.Contains(t, gs[0].Where, "goroutines_test.go:")
	assert.Empty(t, alive("inv-B", 0, nil))
	assert.Empty(t, alive("inv-A", 0, func(e string) bool { return true }))
}

func TestMain(m *testing.M) {
	if _, err := EnableLabels(); err != nil {
		panic(err)
	}
	os.Exit(m.Run())
}

func TestEnableLabelsKeepsTheOtherSettings(t *testing.T) {
	// TestMain ran EnableLabels with whatever GODEBUG the test run had.
	got := os.Getenv("GODEBUG")
	assert.Equal(t, "1", lastSetting(got, "tracebacklabels"), "GODEBUG=%q", got)
	changed, err := EnableLabels()
	require.NoError(t, err)
	assert.Equal(t, got, os.Getenv("GODEBUG"), "a second call changes nothing (changed=%v was the first call's)", changed)

	assert.Equal(t, "", lastSetting("", "tracebacklabels"))
	assert.Equal(t, "1", lastSetting("tracebacklabels=0,http2client=0,tracebacklabels=1", "tracebacklabels"))
	assert.Equal(t, "0", lastSetting("tracebacklabels=1, tracebacklabels=0", "tracebacklabels"), "the last setting wins, as in the runtime")
}

func TestParseTolerant(t *testing.T) {
	for _, in := range []string{"", "garbage\n\n", "goroutine 1 [running]:\n", "goroutine 1 [running labels:{\"other\": \"x\"}]:\nmain.f()\n\t/a.go:1 +0x1\n",
		"goroutine 1 [running labels:{\"lambdaguard_invocation\\\": \"x\"}]:\n"} {
		assert.Empty(t, parse([]byte(in)), "%q: nothing labelled", in)
	}
	// A labelled goroutine whose frame lines are malformed still counts: a
	// leak is never dropped for its stack.
	gs := parse([]byte("goroutine 7 [select labels:{\"lambdaguard_invocation\": \"x\"}]:\n\tbad\n"))
	require.Len(t, gs, 1)
	assert.Equal(t, Group{Count: 1, Label: "x", Entry: "(not yet started)", Top: "(not yet started)"}, gs[0])
}

func TestParseTraceback(t *testing.T) {
	tb := `goroutine 1 [running]:
main.main()
	/src/main.go:28 +0x1f0

goroutine 20 [chan receive, 2 minutes labels:{"a": "b", "lambdaguard_invocation": "inv-\"1\u1234", "lambdaguard_record": "m-1"}]:
main.leak(...)
	/src/main.go:13
main.(*T).run.func1()
	/src/main.go:22 +0x19
sync.(*WaitGroup).Go.func1()
	/usr/local/go/src/sync/waitgroup.go:258 +0x4a
created by sync.(*WaitGroup).Go in goroutine 1
	/usr/local/go/src/sync/waitgroup.go:238 +0x73
`
	gs := parse([]byte(tb))
	require.Len(t, gs, 1)
	assert.Equal(t, Group{
		Count: 1, Label: "inv-\"1\u1234", Record: "m-1",
		Entry: "main.(*T).run.func1", Where: "/src/main.go:22", Top: "main.leak",
		Stack: []string{"main.leak /src/main.go:13", "main.(*T).run.func1 /src/main.go:22", "sync.(*WaitGroup).Go.func1 /usr/local/go/src/sync/waitgroup.go:258"},
	}, gs[0])
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("goroutine 5 [chan receive labels:{\"lambdaguard_invocation\": \"x\"}]:\nmain.f()\n\t/a.go:1 +0x1\ncreated by main.main in goroutine 1\n\t/a.go:9 +0x2\n\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, g := range parse(b) {
			if g.Count != 1 || g.Entry == "" || g.Top == "" {
				t.Fatalf("%+v: every goroutine found counts once and has an entry", g)
			}
		}
	})
}

func TestNotYetStartedGoroutinesCount(t *testing.T) {
	stop := make(chan struct{})
	defer close(stop)
	for i := range 50 {
		_, restore := Mark(context.Background(), "imm")
		go leak(stop)
		restore()
		n := 0
		for _, g := range Of(Labelled(nil), "imm") {
			n += g.Count
		}
		require.Equal(t, i+1, n, "a goroutine counts from the moment it is created")
	}
}

func TestLabelledFindsEveryInvocationAndLabelsInCtx(t *testing.T) {
	stop := make(chan struct{})
	defer close(stop)
	done := make(chan struct{})
	go func() {
		ctx, restore := Mark(context.Background(), "inv-L")
		// Code that sets labels from the context it was given keeps the
		// invocation's label.
		pprof.Do(ctx, pprof.Labels("worker", "x"), func(context.Context) { go leak(stop) })
		restore()
		close(done)
	}()
	<-done
	var labels []string
	for _, g := range Labelled(nil) {
		labels = append(labels, g.Label)
	}
	assert.Contains(t, labels, "inv-L")
	assert.Len(t, alive("inv-L", 0, nil), 1)
}

func TestEntryOfAGoroutineStartedByWaitGroupGo(t *testing.T) {
	stop := make(chan struct{})
	var wg sync.WaitGroup
	defer wg.Wait()
	defer close(stop)
	done := make(chan struct{})
	go func() {
		_, restore := Mark(context.Background(), "inv-W")
		wg.Go(func() { leak(stop) })
		restore()
		close(done)
	}()
	<-done
	gs := alive("inv-W", 200*time.Millisecond, nil)
	require.Len(t, gs, 1)
	assert.Contains(t, gs[0].Entry, "TestEntryOfAGoroutineStartedByWaitGroupGo", "named after the function given to wg.Go")
}

// alive is what the detector asks: the goroutines of id still running,
// once they had wait to end.
func alive(id string, wait time.Duration, ignore func(string) bool) []Group {
	return Of(Await(id, wait, func() []Group { return Labelled(ignore) }), id)
}

// A look that cannot see labels says so, rather than finding no goroutine:
// GODEBUG replaced after EnableLabels (an init that sets it, a test's
// t.Setenv) turns the runtime's tracebacklabels off again.
func TestLabelledUnseenWhenGODEBUGIsReplaced(t *testing.T) {
	stop := make(chan struct{})
	defer close(stop)
	_, restore := Mark(context.Background(), "inv-G")
	go leak(stop)
	restore()
	require.Len(t, Of(Labelled(nil), "inv-G"), 1)

	t.Setenv("GODEBUG", "netdns=go")
	gs := Labelled(nil)
	require.Len(t, gs, 1, "%+v", gs)
	assert.Equal(t, Unseen, gs[0].Label)
	assert.Contains(t, gs[0].Where, "GODEBUG no longer has tracebacklabels=1")

	require.NoError(t, os.Setenv("GODEBUG", "netdns=go,tracebacklabels=1"))
	assert.Len(t, Of(Labelled(nil), "inv-G"), 1, "seen again once the setting is back")
}

// A traceback too large to read whole is not taken for one without
// labelled goroutines.
func TestLabelledUnseenWhenTheTracebackIsCut(t *testing.T) {
	stop := make(chan struct{})
	defer close(stop)
	for range 300 {
		go leak(stop)
	}
	old := maxStacks
	t.Cleanup(func() { maxStacks = old; lastSize.Store(0) })
	maxStacks = 16 << 10
	gs := Labelled(nil)
	require.Len(t, gs, 1, "%+v", gs)
	assert.Equal(t, Unseen, gs[0].Label)
	assert.Contains(t, gs[0].Where, "larger than")
}

// A goroutine that has not run yet shows only the wrapper its go statement
// made: it is reported as not yet started, not as runtime.goexit.
func TestNotYetStartedEntry(t *testing.T) {
	stop := make(chan struct{})
	defer close(stop)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	_, restore := Mark(context.Background(), "inv-unstarted")
	go leak(stop)
	restore()
	gs := Of(Labelled(nil), "inv-unstarted")
	require.Len(t, gs, 1)
	assert.NotEqual(t, "runtime.goexit", gs[0].Entry, "%+v", gs[0])
	assert.NotContains(t, gs[0].Where, "asm_", "%+v", gs[0])
}

// A label of the user's whose key has the invocation key in it is not the
// invocation's label, nor is a value that quotes it.
func TestUserLabelsAreNotTheInvocationLabel(t *testing.T) {
	stop := make(chan struct{})
	defer close(stop)
	started := make(chan struct{}, 2)
	pprof.Do(context.Background(), pprof.Labels(`a"`+LabelKey, "fake", "v", `", "`+LabelKey+`": "fake`), func(context.Context) {
		go func() { started <- struct{}{}; <-stop }()
	})
	<-started
	for _, g := range Labelled(nil) {
		assert.NotContains(t, g.Label, "fake", "%+v", g)
	}
}

func TestParseLabels(t *testing.T) {
	assert.Equal(t, map[string]string{"a": "b", LabelKey: "x\"y\u1234", RecordKey: "r"},
		parseLabels(`"a": "b", "lambdaguard_invocation": "x\"y\u1234", "lambdaguard_record": "r"}]:`))
	assert.Equal(t, map[string]string{"a\"" + LabelKey: "fake"}, parseLabels(`"a\"lambdaguard_invocation": "fake"}]:`))
	assert.Equal(t, map[string]string{"a": "b"}, parseLabels(`"a": "b", garbage`))
	assert.Empty(t, parseLabels(`garbage`))
}
