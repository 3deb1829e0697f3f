package reliability_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdaguard/lambdaguard/guard"
)

var (
	debugStressHits   = map[int]int{} // no GuardedBy: its writers' lock is their own
	debugStressLeaked = map[int]int{} // no lock at all: a leaked goroutine writes it
	debugStressSeenMu sync.Mutex
	debugStressSeen   = map[int]int{}
	debugStressApp    = &debugApp{}
)

// debugStressWriter is the goroutine the first invocation leaks.
func debugStressWriter(stop <-chan struct{}) {
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		default:
		}
		debugStressLeaked[i%256] = i
		time.Sleep(10 * time.Microsecond)
	}
}

// stressInvoke calls h with a 10 s deadline and reports an error when the
// call fails, returns after the deadline, or has not returned a second
// after it (a blocked call is left behind: the test fails anyway).
func stressInvoke[E any](h func(context.Context, E) (int, error), i int, ev E) error {
	ctx, cancel := invocation(fmt.Sprintf("stress-%03d", i), 10*time.Second)
	defer cancel()
	deadline, _ := ctx.Deadline()
	done := make(chan error, 1)
	go func() {
		_, err := h(ctx, ev)
		if err == nil && time.Now().After(deadline) {
			err = errors.New("returned after its deadline")
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("invocation %d: %w", i, err)
		}
		return nil
	case <-time.After(time.Until(deadline) + time.Second):
		return fmt.Errorf("invocation %d: still running a second after its deadline", i)
	}
}

// TestDebugStress runs 400 invocations (100 with -short), 8 at a time,
// across two debug-mode guards, in a child process: pairs that rendezvous
// across the guards, handlers that call their own wrapped function,
// watched maps without GuardedBy written by handlers and by a goroutine the
// first invocation leaks, a watched struct holding a context that a poller
// derives from, a GuardedBy map. Nothing crashes or races, every invocation
// ends before its deadline, and the leaked goroutine and the changes to the
// GuardedBy map are reported.
func TestDebugStress(t *testing.T) {
	if !inChild(t) {
		return
	}
	n := 400
	if testing.Short() {
		n = 100
	}
	appCtx, cancelApp := context.WithCancel(context.Background())
	defer cancelApp()
	debugStressApp.ctx = appCtx
	guard.Watch("debugStressHits", &debugStressHits)
	guard.Watch("debugStressLeaked", &debugStressLeaked)
	guard.Watch("debugStressSeen", &debugStressSeen, guard.GuardedBy(&debugStressSeenMu))
	guard.Watch("debugStressApp", &debugStressApp)
	stopPoller := stopAfter(t, func(stop <-chan struct{}) {
		for {
			select {
			case <-stop:
				return
			default:
			}
			_, cancel := context.WithTimeout(debugStressApp.ctx, time.Minute)
			cancel()
		}
	})
	defer stopPoller()
	leakStop := make(chan struct{})
	var leaked sync.WaitGroup
	defer leaked.Wait()
	defer close(leakStop)

	type event struct{ N, Depth int }
	var hitsMu sync.Mutex
	var meet rendezvous
	var guards [2]func(context.Context, event) (int, error)
	var rs [2]*reports
	for g := range guards {
		guards[g], rs[g] = debugWrap(t, func(ctx context.Context, ev event) (int, error) {
			if ev.N == 0 && ev.Depth == 0 {
				leaked.Go(func() { debugStressWriter(leakStop) })
			}
			hitsMu.Lock()
			debugStressHits[ev.N%64]++
			hitsMu.Unlock()
			debugStressSeenMu.Lock()
			debugStressSeen[ev.N] = ev.Depth
			debugStressSeenMu.Unlock()
			if ev.Depth > 0 {
				return ev.N, nil
			}
			if ev.N%10 == 3 {
				if _, err := guards[g](ctx, event{N: ev.N, Depth: 1}); err != nil {
					return 0, err
				}
			}
			// N and N^1 run on different guards and wait for each other.
			return ev.N, meet.wait(ctx, fmt.Sprint("pair ", ev.N/2), 2)
		})
	}

	jobs := make(chan int)
	failed := make(chan struct{}) // closed at the first failure: no more jobs
	var mu sync.Mutex
	var errs []error
	var workers sync.WaitGroup
	for range 8 {
		workers.Go(func() {
			for i := range jobs {
				if err := stressInvoke(guards[i%2], i, event{N: i}); err != nil {
					mu.Lock()
					if errs = append(errs, err); len(errs) == 1 {
						close(failed)
					}
					mu.Unlock()
				}
			}
		})
	}
dispatch:
	for i := range n {
		select {
		case jobs <- i:
		case <-failed:
			break dispatch
		}
	}
	close(jobs)
	workers.Wait()
	require.NoError(t, errors.Join(errs...))

	var goroutines, globals int
	for _, r := range rs {
		goroutines += len(r.findings(guard.KindGoroutine))
		globals += len(r.findings(guard.KindGlobal))
	}
	assert.NotZero(t, goroutines, "the leaked writer is reported")
	require.NotZero(t, globals, "changes to the watched maps are reported")
}
