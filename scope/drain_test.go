package scope_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdaguard/lambdaguard/scope"
)

func TestDrainWaitsForWork(t *testing.T) {
	s := scope.New(context.Background())
	release := make(chan struct{})
	done := make(chan struct{})
	require.NoError(t, s.Go(func(context.Context) error { <-release; close(done); return nil }))
	drained := make(chan error, 1)
	go func() { drained <- s.Drain(context.Background()) }()
	select {
	case <-drained:
		t.Fatal("Drain returned before the work finished")
	default:
	}
	close(release)
	require.NoError(t, <-drained)
	<-done
	require.NoError(t, s.Close(context.Background()))
}

func TestDrainGivesUpAndCloseKeepsItsTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := scope.New(context.Background())
		stuck := make(chan struct{})
		defer close(stuck)
		require.NoError(t, s.Go(func(context.Context) error { <-stuck; return nil })) // ignores its context
		var workCtx context.Context
		require.NoError(t, s.Go(func(ctx context.Context) error { workCtx = ctx; <-ctx.Done(); return nil }))

		var cleanupCtxErr error
		require.NoError(t, s.OnClose(func(ctx context.Context) error { cleanupCtxErr = ctx.Err(); return nil }))

		dctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		err := s.Drain(dctx)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "background task(s) still running")
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		synctest.Wait()
		assert.Error(t, workCtx.Err(), "work that outran the drain is cancelled")

		cctx, ccancel := context.WithTimeout(context.Background(), time.Second)
		defer ccancel()
		require.NoError(t, s.Close(cctx), "Close does not wait again for work Drain gave up on")
		assert.NoError(t, cleanupCtxErr, "cleanups get Close's whole context")
	})
}

func TestDrainNilScope(t *testing.T) {
	var s *scope.Scope
	assert.ErrorIs(t, s.Drain(context.Background()), scope.ErrNoScope)
}

// Work started with Go while Drain waits (a goroutine the handler left
// running, say) neither crashes the process nor keeps Drain waiting once
// nothing runs.
func TestDrainWhileGoStartsWork(t *testing.T) {
	s := scope.New(context.Background())
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
				_ = s.Go(func(context.Context) error {
					time.Sleep(10 * time.Microsecond)
					return nil
				})
			}
		}
	}()
	for range 500 {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_ = s.Drain(ctx)
		cancel()
	}
	close(stop)
	<-done
	require.NoError(t, s.Close(context.Background()))
}
