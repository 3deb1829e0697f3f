package scope_test

import (
	"context"
	"errors"
	"io"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/lambdaguard/lambdaguard/scope"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func newCtx(t *testing.T) (context.Context, *scope.Scope) {
	t.Helper()
	s := scope.New(context.Background())
	return scope.NewContext(context.Background(), s), s
}

func TestKeyGetSet(t *testing.T) {
	user := scope.NewKey[string]("user")
	count := scope.NewKey[int]("count")
	ctx, s := newCtx(t)

	_, ok := user.Get(ctx)
	assert.False(t, ok, "nothing stored yet")

	require.NoError(t, user.Set(ctx, "alice"))
	require.NoError(t, count.Set(ctx, 3))
	v, ok := user.Get(ctx)
	assert.True(t, ok)
	assert.Equal(t, "alice", v)
	n, _ := count.Get(ctx)
	assert.Equal(t, 3, n)

	other := scope.NewKey[string]("user")
	_, ok = other.Get(ctx)
	assert.False(t, ok, "keys with the same name are distinct")

	require.NoError(t, s.Close(context.Background()))
	_, ok = user.Get(ctx)
	assert.False(t, ok, "closed scope holds nothing")
	assert.ErrorIs(t, user.Set(ctx, "bob"), scope.ErrClosed)
}

func TestNoScope(t *testing.T) {
	k := scope.NewKey[string]("k")
	ctx := context.Background()
	_, ok := k.Get(ctx)
	assert.False(t, ok)
	assert.ErrorIs(t, k.Set(ctx, "x"), scope.ErrNoScope)
	s := scope.From(ctx)
	assert.Nil(t, s)
	assert.ErrorIs(t, s.OnClose(func(context.Context) error { return nil }), scope.ErrNoScope)
	assert.ErrorIs(t, s.Go(func(context.Context) error { return nil }), scope.ErrNoScope)
	assert.ErrorIs(t, s.Close(ctx), scope.ErrNoScope)
	var zero scope.Key[int]
	sc := scope.New(ctx)
	assert.Error(t, zero.Set(scope.NewContext(ctx, sc), 1), "a zero Key stores nothing")
}

func TestCleanupOrderAndErrors(t *testing.T) {
	_, s := newCtx(t)
	var order []int
	errA := errors.New("a failed")
	errC := errors.New("c failed")
	require.NoError(t, s.OnClose(func(context.Context) error { order = append(order, 1); return errA }))
	require.NoError(t, s.OnClose(func(context.Context) error { order = append(order, 2); panic("boom") }))
	require.NoError(t, s.OnClose(func(context.Context) error { order = append(order, 3); return errC }))

	err := s.Close(context.Background())
	assert.Equal(t, []int{3, 2, 1}, order, "cleanups run last in, first out, past a panic")
	assert.ErrorIs(t, err, errA)
	assert.ErrorIs(t, err, errC)
	var pe *scope.PanicError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "boom", pe.Value)

	assert.ErrorIs(t, s.OnClose(func(context.Context) error { return nil }), scope.ErrClosed)
}

func TestCloseIdempotent(t *testing.T) {
	_, s := newCtx(t)
	var calls atomic.Int32
	boom := errors.New("boom")
	require.NoError(t, s.OnClose(func(context.Context) error { calls.Add(1); return boom }))

	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = s.Close(context.Background()) }()
	}
	wg.Wait()
	assert.Equal(t, int32(1), calls.Load())
	for _, err := range errs {
		assert.ErrorIs(t, err, boom, "every Close returns the first one's result")
	}
	assert.ErrorIs(t, s.OnClose(func(context.Context) error { return nil }), scope.ErrClosed, "closed")
}

func TestGoWaitedFor(t *testing.T) {
	_, s := newCtx(t)
	var done atomic.Bool
	release := make(chan struct{})
	require.NoError(t, s.Go(func(context.Context) error {
		<-release
		done.Store(true)
		return nil
	}))
	ok, err := s.TryClose()
	require.NoError(t, err)
	assert.False(t, ok, "work still running: TryClose leaves the scope open")
	closed := make(chan error)
	go func() { closed <- s.Close(context.Background()) }()
	select {
	case <-closed:
		t.Fatal("Close returned before the background work finished")
	case <-time.After(20 * time.Millisecond):
	}
	close(release)
	require.NoError(t, <-closed)
	assert.True(t, done.Load())
	assert.ErrorIs(t, s.Go(func(context.Context) error { return nil }), scope.ErrClosed)
}

func TestGoFirstErrorKept(t *testing.T) {
	_, s := newCtx(t)
	first := errors.New("first")
	require.NoError(t, s.Go(func(context.Context) error { return first }))
	// The others start once the first has returned and its error is kept.
	require.NoError(t, s.Drain(context.Background()))
	require.NoError(t, s.Go(func(context.Context) error { return errors.New("second") }))
	require.NoError(t, s.Go(func(context.Context) error { panic("p") }))
	err := s.Close(context.Background())
	assert.ErrorIs(t, err, first)
	assert.NotContains(t, err.Error(), "second")
}

func TestCloseBoundedByContext(t *testing.T) {
	_, s := newCtx(t)
	stopped := make(chan struct{})
	require.NoError(t, s.Go(func(ctx context.Context) error {
		<-ctx.Done() // only stops when cancelled
		close(stopped)
		return ctx.Err()
	}))
	var cleanupSawDone atomic.Bool
	require.NoError(t, s.OnClose(func(ctx context.Context) error {
		cleanupSawDone.Store(ctx.Err() != nil)
		return nil
	}))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := s.Close(ctx)
	require.Error(t, err)
	assert.ErrorIs(t, err, context.Canceled)
	assert.True(t, cleanupSawDone.Load(), "cleanups still run, with the expired context")
	<-stopped // the work's context was cancelled
}

type closer struct{ closed atomic.Int32 }

func (c *closer) Close() error { c.closed.Add(1); return nil }

func TestLazy(t *testing.T) {
	var built atomic.Int32
	conn := scope.NewLazy("conn", func(ctx context.Context) (*closer, error) {
		built.Add(1)
		return &closer{}, nil
	})
	ctx, s := newCtx(t)
	var wg sync.WaitGroup
	got := make([]*closer, 16)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := conn.Get(ctx)
			assert.NoError(t, err)
			got[i] = c
		}()
	}
	wg.Wait()
	assert.Equal(t, int32(1), built.Load(), "built once per scope")
	for _, c := range got {
		assert.Same(t, got[0], c)
	}
	require.NoError(t, s.Close(context.Background()))
	assert.Equal(t, int32(1), got[0].closed.Load(), "an io.Closer is closed with the scope")

	ctx2, s2 := newCtx(t)
	c2, err := conn.Get(ctx2)
	require.NoError(t, err)
	assert.NotSame(t, got[0], c2, "another scope builds its own")
	require.NoError(t, s2.Close(context.Background()))

	_, err = conn.Get(ctx)
	assert.ErrorIs(t, err, scope.ErrClosed)
	_, err = conn.Get(context.Background())
	assert.ErrorIs(t, err, scope.ErrNoScope)
}

func TestLazyErrorKept(t *testing.T) {
	var calls atomic.Int32
	boom := errors.New("boom")
	l := scope.NewLazy("x", func(context.Context) (io.Closer, error) { calls.Add(1); return nil, boom })
	ctx, s := newCtx(t)
	_, err := l.Get(ctx)
	assert.ErrorIs(t, err, boom)
	_, err = l.Get(ctx)
	assert.ErrorIs(t, err, boom)
	assert.Equal(t, int32(1), calls.Load())
	require.NoError(t, s.Close(context.Background()))
}

func TestConcurrentUse(t *testing.T) {
	k := scope.NewKey[int]("n")
	ctx, s := newCtx(t)
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = k.Set(ctx, i)
			_, _ = k.Get(ctx)
			_ = s.OnClose(func(context.Context) error { return nil })
			_ = s.Go(func(context.Context) error { return nil })
		}()
	}
	wg.Add(1)
	go func() { defer wg.Done(); _ = s.Close(context.Background()) }()
	wg.Wait()
	require.NoError(t, s.Close(context.Background()))
	_, ok := k.Get(ctx)
	assert.False(t, ok)
}

func TestGoContextCarriesValues(t *testing.T) {
	type k struct{}
	base := context.WithValue(context.Background(), k{}, "from-parent")
	s := scope.New(base)
	ctx := scope.NewContext(base, s)
	later := context.WithValue(ctx, k{}, "added-later")

	got := make(chan [3]any, 2)
	require.NoError(t, s.Go(func(c context.Context) error {
		got <- [3]any{c.Value(k{}), scope.From(c) == s, nil}
		return nil
	}))
	reqCtx, cancel := context.WithCancel(later)
	cancel() // the request context ending does not cancel GoWith's work
	require.NoError(t, s.GoWith(reqCtx, func(c context.Context) error {
		got <- [3]any{c.Value(k{}), scope.From(c) == s, c.Err()}
		return nil
	}))
	require.NoError(t, s.Close(context.Background()))
	a, b := <-got, <-got
	if a[0] == "added-later" {
		a, b = b, a
	}
	assert.Equal(t, [3]any{"from-parent", true, nil}, a, "Go: the scope's first context")
	assert.Equal(t, [3]any{"added-later", true, nil}, b, "GoWith: ctx's values, the scope's cancellation")
}

func TestStuckCleanupsDoNotHoldClosePastDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := scope.New(context.Background())
		var ran atomic.Int32
		for range 5 {
			require.NoError(t, s.OnClose(func(context.Context) error {
				ran.Add(1)
				time.Sleep(3 * time.Second) // ignores its context
				return nil
			}))
		}
		start := time.Now()
		ctx, cancel := context.WithDeadline(context.Background(), start.Add(500*time.Millisecond))
		defer cancel()
		err := s.Close(ctx)
		assert.LessOrEqual(t, time.Since(start), 500*time.Millisecond+5*time.Millisecond,
			"Close returns by its deadline (fake time: exact), however many cleanups hang")
		assert.ErrorContains(t, err, "left behind")
		time.Sleep(3 * time.Second) // let the abandoned cleanups end inside the bubble
		assert.Equal(t, int32(5), ran.Load(), "every cleanup ran, the late ones unwaited for")
	})
}

func TestGoexitInCleanupDoesNotHoldClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := scope.New(context.Background())
		var after atomic.Bool
		require.NoError(t, s.OnClose(func(context.Context) error { after.Store(true); return nil }))
		require.NoError(t, s.OnClose(func(context.Context) error { runtime.Goexit(); return nil }))
		start := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		err := s.Close(ctx)
		assert.Zero(t, time.Since(start), "no waiting for a cleanup that already exited")
		assert.ErrorContains(t, err, "runtime.Goexit")
		assert.True(t, after.Load(), "the cleanups after it still run")
	})
}

func TestNilInterfaceValueIsStored(t *testing.T) {
	errKey := scope.NewKey[error]("err")
	ctx, s := newCtx(t)
	require.NoError(t, errKey.Set(ctx, nil))
	v, ok := errKey.Get(ctx)
	assert.True(t, ok, "a stored nil is stored")
	assert.Nil(t, v)
	require.NoError(t, s.Close(context.Background()))
}

func TestNewContextConcurrentWithGo(t *testing.T) {
	s := scope.New(context.Background())
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); _ = scope.NewContext(context.Background(), s) }()
	go func() { defer wg.Done(); _ = s.Go(func(ctx context.Context) error { _ = ctx.Value("k"); return nil }) }()
	wg.Wait()
	require.NoError(t, s.Close(context.Background()))
}

// TryClose closes a scope with nothing to wait for or run, keeping the error
// of work that already returned; with a cleanup registered it leaves the
// scope open for Close.
func TestTryClose(t *testing.T) {
	_, idle := newCtx(t)
	boom := errors.New("boom")
	require.NoError(t, idle.Go(func(context.Context) error { return boom }))
	require.NoError(t, idle.Drain(context.Background()))
	ok, err := idle.TryClose()
	assert.True(t, ok)
	assert.ErrorIs(t, err, boom)
	assert.ErrorIs(t, idle.Go(func(context.Context) error { return nil }), scope.ErrClosed)
	assert.ErrorIs(t, idle.Close(context.Background()), boom, "Close after it returns the same")

	_, busy := newCtx(t)
	ran := false
	require.NoError(t, busy.OnClose(func(context.Context) error { ran = true; return nil }))
	ok, err = busy.TryClose()
	assert.False(t, ok)
	assert.NoError(t, err)
	assert.False(t, ran, "TryClose runs no cleanup")
	require.NoError(t, busy.Close(context.Background()))
	assert.True(t, ran)
}
