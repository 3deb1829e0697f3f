package reliability_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdaguard/lambdaguard/guard"
)

// debugTwoGuardsCounts is written by the handlers of one guard, under their
// own lock, and has no lock the detector knows of.
var debugTwoGuardsCounts = map[int]int{}

// TestDebugTwoGuardsOneUnguardedMap: two guards in one process, both in
// debug mode. Guard A's handler writes a watched map without GuardedBy while
// guard B's invocations run: B must not read the map while A's handler
// writes it (the process would end with "concurrent map iteration and map
// write").
func TestDebugTwoGuardsOneUnguardedMap(t *testing.T) {
	if !inChild(t) {
		return
	}
	guard.Watch("debugTwoGuardsCounts", &debugTwoGuardsCounts)
	var mu sync.Mutex
	bDone := make(chan struct{})
	a, _ := debugWrap(t, func(ctx context.Context, n int) (int, error) {
		for i := 0; ; i++ {
			select {
			case <-bDone:
				return i, nil
			case <-ctx.Done():
				return i, context.Cause(ctx)
			default:
			}
			mu.Lock()
			debugTwoGuardsCounts[i%512]++
			mu.Unlock()
		}
	})
	b, _ := debugWrap(t, func(ctx context.Context, n int) (int, error) { return n, nil })

	ctx, cancel := invocation("guard-a", 30*time.Second)
	defer cancel()
	aErr := make(chan error, 1)
	go func() {
		_, err := a(ctx, 1)
		aErr <- err
	}()
	for i := range 100 {
		ctx, cancel := invocation(fmt.Sprintf("guard-b-%03d", i), 10*time.Second)
		_, err := b(ctx, i)
		cancel()
		require.NoError(t, err)
	}
	close(bDone)
	require.NoError(t, <-aErr)
}

// debugApp is application state as users keep it: a context that
// background work derives from, behind the struct's own mutex.
type debugApp struct {
	mu   sync.Mutex
	ctx  context.Context
	hits int
}

var (
	debugAppUnguarded = &debugApp{}
	debugAppGuarded   = &debugApp{}
)

// TestDebugWatchedStructHoldsAContext: a watched struct holds a
// context.Context (once without a lock, once GuardedBy the struct's mutex),
// and a poller goroutine keeps deriving context.WithTimeout(app.ctx, …) from
// it while invocations run. Deriving writes the context's map of children
// under the context's own lock, which no GuardedBy names: the walk must not
// read it.
func TestDebugWatchedStructHoldsAContext(t *testing.T) {
	if !inChild(t) {
		return
	}
	apps := []*debugApp{debugAppUnguarded, debugAppGuarded}
	for _, app := range apps {
		var cancel context.CancelFunc
		app.ctx, cancel = context.WithCancel(context.Background())
		defer cancel()
	}
	guard.Watch("debugAppUnguarded", &debugAppUnguarded)
	guard.Watch("debugAppGuarded", &debugAppGuarded, guard.GuardedBy(&debugAppGuarded.mu))
	stop := stopAfter(t, func(stop <-chan struct{}) {
		for {
			var cancels []context.CancelFunc
			for range 64 {
				for _, app := range apps {
					_, cancel := context.WithTimeout(app.ctx, time.Minute)
					cancels = append(cancels, cancel)
				}
			}
			for _, c := range cancels {
				c()
			}
			select {
			case <-stop:
				return
			default:
			}
		}
	})
	defer stop()

	h, _ := debugWrap(t, func(ctx context.Context, n int) (int, error) {
		for _, app := range apps {
			app.mu.Lock()
			app.hits++
			app.mu.Unlock()
		}
		return n, nil
	})
	for i := range 200 {
		ctx, cancel := invocation(fmt.Sprintf("ctx-%03d", i), 10*time.Second)
		_, err := h(ctx, i)
		cancel()
		require.NoError(t, err)
	}
}

// stopAfter runs loop in a goroutine until the returned function is
// called, which waits for it to return.
func stopAfter(t *testing.T, loop func(stop <-chan struct{})) (stop func()) {
	t.Helper()
	ch := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() { loop(ch) })
	var once sync.Once
	return func() {
		once.Do(func() { close(ch) })
		wg.Wait()
	}
}

// debugLeakedWrites is written by a goroutine an invocation left running.
var debugLeakedWrites = map[int]int{}

// debugLeakedWriter is the goroutine invocation 1 leaves behind: it keeps
// writing a watched map without a lock.
func debugLeakedWriter(stop <-chan struct{}, done *sync.WaitGroup) {
	defer done.Done()
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		default:
		}
		debugLeakedWrites[i%512] = i
	}
}

// TestDebugLeakedGoroutineWritesUnguardedMap: invocation 1 leaks a goroutine
// that keeps writing a watched map without GuardedBy; invocations run one at
// a time. The process is never quiet again, so the map can never be read
// safely: the checks must not crash, the goroutine is reported, and the map
// gets one finding saying it could not be checked and pointing to GuardedBy.
func TestDebugLeakedGoroutineWritesUnguardedMap(t *testing.T) {
	if !inChild(t) {
		return
	}
	guard.Watch("debugLeakedWrites", &debugLeakedWrites)
	stopCh := make(chan struct{})
	var wg sync.WaitGroup
	defer func() {
		close(stopCh)
		wg.Wait()
	}()
	h, rs := debugWrap(t, func(ctx context.Context, n int) (int, error) {
		if n == 1 {
			wg.Add(1)
			go debugLeakedWriter(stopCh, &wg)
		}
		return n, nil
	})
	for n := 1; n <= 20; n++ {
		ctx, cancel := invocation(fmt.Sprintf("leak-%02d", n), 10*time.Second)
		_, err := h(ctx, n)
		cancel()
		require.NoError(t, err)
	}
	goroutines := rs.findings(guard.KindGoroutine)
	require.NotEmpty(t, goroutines, "the leaked writer is reported")
	assert.Contains(t, goroutines[0].Name, "debugLeakedWriter")
	var unchecked []guard.Finding
	for _, f := range rs.findings(guard.KindDetector) {
		if strings.Contains(f.Name+" "+f.Path+" "+f.Detail, "debugLeakedWrites") {
			unchecked = append(unchecked, f)
		}
	}
	require.Len(t, unchecked, 1, "one finding says the map could not be checked:\n%s", rs.describe())
	assert.Contains(t, unchecked[0].Detail, "GuardedBy")
}
