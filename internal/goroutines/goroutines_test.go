package goroutines

import (
	"context"
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

func TestParseTolerant(t *testing.T) {
	want := `"lambdaguard_invocation":"x"`
	for _, in := range []string{"", "garbage\n\n", "x @ y\n", "1 @ 0x1\n#\t0x1\tmain.f+0x1\t/a.go:1\n"} {
		assert.Empty(t, parse([]byte(in), want), "%q: nothing labelled x", in)
	}
	// A labelled group whose frame lines are malformed still counts, as a
	// goroutine that has not started: a leak is never dropped for its stack.
	gs := parse([]byte("1 @ 0x1\n# labels: {\"lambdaguard_invocation\":\"x\"}\n#\tbad\n"), want)
	require.Len(t, gs, 1)
	assert.Equal(t, 1, gs[0].Count)
	assert.Equal(t, "(not yet started)", gs[0].Entry)
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("goroutine profile: total 1\n1 @ 0x1 0x2\n# labels: {\"lambdaguard_invocation\":\"x\"}\n#\t0x1\tmain.f+0x1\t/a.go:1\n\n"))
	f.Fuzz(func(t *testing.T, b []byte) { _ = parse(b, `"lambdaguard_invocation":"x"`) })
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
