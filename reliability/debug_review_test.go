package reliability_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdaguard/lambdaguard/guard"
	"github.com/lambdaguard/lambdaguard/guardtest"
	"github.com/lambdaguard/lambdaguard/scope"
)

var (
	debugRLockMu    sync.RWMutex
	debugRLockState = map[string]int{}
)

// TestDebugLockWithoutTryIsNotWaitedFor: GuardedBy a Locker that cannot try
// (mu.RLocker()) while handler A holds the write lock until handler B has
// returned: B's check gives up on the lock instead of waiting for A.
func TestDebugLockWithoutTryIsNotWaitedFor(t *testing.T) {
	guard.Watch("debugRLockState", &debugRLockState, guard.GuardedBy(debugRLockMu.RLocker()))
	bDone := make(chan struct{})
	h, _ := debugWrap(t, func(ctx context.Context, ev string) (string, error) {
		if ev == "A" {
			debugRLockMu.Lock()
			debugRLockState["a"]++
			<-bDone
			debugRLockMu.Unlock()
		}
		return ev, nil
	})
	aDone := make(chan error, 1)
	go func() {
		ctx, cancel := invocation("rlock-A", 10*time.Second)
		defer cancel()
		_, err := h(ctx, "A")
		aDone <- err
	}()
	time.Sleep(50 * time.Millisecond) // A holds the lock
	type result struct {
		out string
		err error
	}
	bRes := make(chan result, 1)
	go func() {
		ctx, cancel := invocation("rlock-B", 10*time.Second)
		defer cancel()
		out, err := h(ctx, "B")
		bRes <- result{out, err}
	}()
	select {
	case r := <-bRes:
		close(bDone)
		require.NoError(t, r.err)
		assert.Equal(t, "B", r.out)
	case <-time.After(5 * time.Second):
		close(bDone) // let A go, so that B can end and the test with it
		t.Error("B did not return within 5s: its check waited for the lock A holds")
		<-bRes
	}
	require.NoError(t, <-aDone)
}

var debugCleanupStats = map[string]int{}

// TestDebugCleanupLeftBehindKeepsProcessBusy: a cleanup that ignores its
// context runs on past the invocation's deadline and writes a watched map
// without GuardedBy; the next invocation must not read the map meanwhile
// (the cleanup carries the invocation's label, so the process is not quiet).
func TestDebugCleanupLeftBehindKeepsProcessBusy(t *testing.T) {
	if !inChild(t) {
		return
	}
	guard.Watch("debugCleanupStats", &debugCleanupStats)
	var wg sync.WaitGroup
	defer wg.Wait()
	h, _ := debugWrap(t, func(ctx context.Context, n int) (int, error) {
		wg.Add(1)
		scope.From(ctx).OnClose(func(context.Context) error {
			defer wg.Done()
			time.Sleep(350 * time.Millisecond)
			end := time.Now().Add(300 * time.Millisecond)
			for time.Now().Before(end) {
				for i := range 5000 {
					debugCleanupStats[strconv.Itoa(i)]++
				}
			}
			return nil
		})
		return n, nil
	})
	for n := range 3 {
		ctx, cancel := invocation(fmt.Sprintf("cleanup-%d", n), 300*time.Millisecond)
		_, err := h(ctx, n)
		cancel()
		require.NoError(t, err)
		time.Sleep(200 * time.Millisecond)
	}
}

// TestDebugLongPeriodStillScrubs: 200 invocations, 8 at once, never quiet in
// between; the first leaves a file named after its secret, seen only when
// the period ends, past the latest 64 invocations the detector remembers.
func TestDebugLongPeriodStillScrubs(t *testing.T) {
	type ev struct {
		N      int
		Secret string
	}
	evs := make([]ev, 200)
	for i := range evs {
		evs[i] = ev{N: i, Secret: fmt.Sprintf("TopSecretValue%03d", i)}
	}
	if testing.Short() {
		evs = evs[:100]
	}
	var made []string
	var mu sync.Mutex
	defer func() {
		for _, p := range made {
			_ = os.Remove(p)
		}
	}()
	results, err := guardtest.Check(guardtest.Config{Concurrency: 8, GuardOptions: []guard.Option{guard.WithLogger(discardLogger())}},
		func(ctx context.Context, e ev) (string, error) {
			if e.N == 0 {
				p := filepath.Join(os.TempDir(), "stray-"+e.Secret)
				mu.Lock()
				made = append(made, p)
				mu.Unlock()
				if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
					return "", err
				}
			}
			time.Sleep(time.Duration(5+e.N%7) * time.Millisecond)
			return "ok", nil
		}, evs...)
	require.NoError(t, err)
	text := guardtest.Describe(results)
	assert.Contains(t, text, "tempfile", "the stray file is reported")
	assert.NotContains(t, text, "TopSecretValue", "and its name carries no secret")
}
