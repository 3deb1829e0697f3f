package guard_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/lambdaguard/lambdaguard/guard"
	"github.com/lambdaguard/lambdaguard/internal/testbin"
	"github.com/lambdaguard/lambdaguard/scope"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.Cleanup(func(int) { testbin.Cleanup() }))
}

type event struct {
	ID      string `json:"id"`
	Payload string `json:"payload"`
}

type result struct {
	Dir       string `json:"dir"`
	Read      string `json:"read"`
	Value     string `json:"value"`
	RequestID string `json:"request_id"`
	Number    uint64 `json:"number"`
	Cold      bool   `json:"cold"`
}

var valueKey = scope.NewKey[string]("value")

// lambdaCtx returns a context as aws-lambda-go builds it for one invocation.
func lambdaCtx(reqID string) context.Context {
	return lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: reqID})
}

func entries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

// writeAndRead is a handler that uses the scope and its temp dir.
func writeAndRead(ctx context.Context, ev event) (result, error) {
	if err := valueKey.Set(ctx, ev.Payload); err != nil {
		return result{}, err
	}
	dir, err := guard.TempDir(ctx)
	if err != nil {
		return result{}, err
	}
	if err := os.WriteFile(filepath.Join(dir, "payload"), []byte(ev.Payload), 0o600); err != nil {
		return result{}, err
	}
	b, err := os.ReadFile(filepath.Join(dir, "payload"))
	if err != nil {
		return result{}, err
	}
	v, _ := valueKey.Get(ctx)
	inv, _ := guard.InvocationFrom(ctx)
	return result{Dir: dir, Read: string(b), Value: v, RequestID: inv.RequestID, Number: inv.Number, Cold: inv.ColdStart}, nil
}

func TestWrapThroughAWSLambda(t *testing.T) {
	base := t.TempDir()
	h := lambda.NewHandler(guard.Wrap(writeAndRead, guard.WithTempBase(base)))

	var dirs []string
	// Lambda retries an asynchronous event under the same request id: the
	// retry still gets a directory of its own.
	for i, id := range []string{"req-1", "req-2", "req-2"} {
		payload, _ := json.Marshal(event{ID: id, Payload: "secret-" + id})
		out, err := h.Invoke(lambdaCtx(id), payload)
		require.NoError(t, err)
		var r result
		require.NoError(t, json.Unmarshal(out, &r))
		assert.Equal(t, "secret-"+id, r.Read)
		assert.Equal(t, "secret-"+id, r.Value)
		assert.Equal(t, id, r.RequestID)
		assert.Equal(t, uint64(i+1), r.Number)
		assert.Equal(t, i == 0, r.Cold)
		assert.Equal(t, base, filepath.Dir(r.Dir))
		assert.Contains(t, filepath.Base(r.Dir), id)
		_, err = os.Lstat(r.Dir)
		assert.ErrorIs(t, err, os.ErrNotExist, "the directory is wiped when the handler returns")
		assert.NotContains(t, dirs, r.Dir, "each invocation gets a directory of its own, a retry included")
		dirs = append(dirs, r.Dir)
	}
	assert.Empty(t, entries(t, base))
}

func TestTempDirIsLazy(t *testing.T) {
	base := t.TempDir()
	h := guard.Wrap(func(ctx context.Context, _ event) (string, error) { return "ok", nil }, guard.WithTempBase(base))
	_, err := h(context.Background(), event{})
	require.NoError(t, err)
	assert.Empty(t, entries(t, base))
}

func TestRequestIDCannotSteerDir(t *testing.T) {
	base := filepath.Join(t.TempDir(), "base")
	require.NoError(t, os.Mkdir(base, 0o700))
	h := guard.Wrap(writeAndRead, guard.WithTempBase(base))
	for _, id := range []string{"../../etc", "../base2", "/tmp", "a/b"} {
		r, err := h(lambdaCtx(id), event{Payload: "x"})
		require.NoError(t, err)
		assert.Equal(t, base, filepath.Dir(r.Dir), "request id %q", id)
	}
	assert.Equal(t, []string{"base"}, entries(t, filepath.Dir(base)))
}

// cleanupProbe registers a cleanup and background work, writes into the temp
// dir, and reports the dir through seen.
func cleanupProbe(seen *string, closed *bool) func(ctx context.Context) {
	return func(ctx context.Context) {
		dir, err := guard.TempDir(ctx)
		if err != nil {
			panic(err)
		}
		*seen = dir
		_ = os.WriteFile(filepath.Join(dir, "f"), []byte("x"), 0o600)
		_ = scope.From(ctx).OnClose(func(context.Context) error { *closed = true; return nil })
	}
}

func TestEveryEndCleansUp(t *testing.T) {
	boom := errors.New("boom")
	cases := []struct {
		name    string
		handler func(ctx context.Context) (string, error)
		ctx     func() (context.Context, context.CancelFunc)
		wantErr error
		panics  any
	}{
		{name: "success", handler: func(context.Context) (string, error) { return "ok", nil }},
		{name: "error", handler: func(context.Context) (string, error) { return "", boom }, wantErr: boom},
		{name: "panic", handler: func(context.Context) (string, error) { panic("kaboom") }, panics: "kaboom"},
		{name: "panic error", handler: func(context.Context) (string, error) { panic(boom) }, panics: boom},
		{
			name: "deadline",
			handler: func(ctx context.Context) (string, error) {
				<-ctx.Done()
				return "", ctx.Err()
			},
			ctx: func() (context.Context, context.CancelFunc) {
				return context.WithTimeout(context.Background(), 10*time.Millisecond)
			},
			wantErr: context.DeadlineExceeded,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			base := t.TempDir()
			var dir string
			var closed bool
			probe := cleanupProbe(&dir, &closed)
			h := guard.Wrap(func(ctx context.Context, _ event) (string, error) {
				probe(ctx)
				return tc.handler(ctx)
			}, guard.WithTempBase(base))
			ctx, cancel := context.Background(), context.CancelFunc(func() {})
			if tc.ctx != nil {
				ctx, cancel = tc.ctx()
			}
			defer cancel()
			call := func() { _, err := h(ctx, event{}); assert.ErrorIs(t, err, tc.wantErr) }
			if tc.panics != nil {
				assert.PanicsWithValue(t, tc.panics, call, "the panic is raised again, with its value")
			} else {
				call()
			}
			assert.True(t, closed, "scope closed")
			require.NotEmpty(t, dir)
			_, err := os.Lstat(dir)
			assert.ErrorIs(t, err, os.ErrNotExist, "temp dir wiped")
			assert.Empty(t, entries(t, base))
		})
	}
}

func TestPanicReachesAWSLambda(t *testing.T) {
	h := lambda.NewHandler(guard.Wrap(func(ctx context.Context, _ event) (string, error) {
		panic("kaboom")
	}, guard.WithTempBase(t.TempDir())))
	assert.PanicsWithValue(t, "kaboom", func() { _, _ = h.Invoke(lambdaCtx("p"), []byte(`{}`)) })
}

func TestCleanupBoundedByDeadline(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, nil))
	stuck := make(chan struct{})
	defer close(stuck)
	h := guard.Wrap(func(ctx context.Context, _ event) (string, error) {
		_ = scope.From(ctx).Go(func(context.Context) error {
			<-stuck // ignores its context: only the deadline can stop the wait
			return nil
		})
		return "done", nil
	}, guard.WithTempBase(t.TempDir()), guard.WithLogger(logger))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	out, err := h(ctx, event{})
	require.NoError(t, err, "a cleanup failure does not change the result")
	assert.Equal(t, "done", out)
	assert.Contains(t, buf.String(), "background task(s) still running")
}

func TestCleanupErrorLoggedNotReturned(t *testing.T) {
	var buf bytes.Buffer
	h := guard.Wrap(func(ctx context.Context, _ event) (string, error) {
		_ = scope.From(ctx).OnClose(func(context.Context) error { return errors.New("close failed") })
		return "ok", nil
	}, guard.WithLogger(slog.New(slog.NewJSONHandler(&buf, nil))))
	out, err := h(lambdaCtx("r-9"), event{})
	require.NoError(t, err)
	assert.Equal(t, "ok", out)
	assert.Contains(t, buf.String(), "close failed")
	assert.Contains(t, buf.String(), "r-9")
}

func TestTempDirOutsideInvocation(t *testing.T) {
	_, err := guard.TempDir(context.Background())
	assert.ErrorIs(t, err, guard.ErrNoInvocation)
	_, ok := guard.InvocationFrom(context.Background())
	assert.False(t, ok)

	var leaked context.Context
	h := guard.Wrap(func(ctx context.Context, _ event) (string, error) { leaked = ctx; return "", nil },
		guard.WithTempBase(t.TempDir()))
	_, err = h(context.Background(), event{})
	require.NoError(t, err)
	_, err = guard.TempDir(leaked)
	assert.ErrorIs(t, err, guard.ErrInvocationEnded, "a goroutine that outlived its invocation gets no directory")
}

func TestRequestIDWithoutLambdaContext(t *testing.T) {
	h := guard.Wrap(func(ctx context.Context, _ event) (string, error) {
		inv, _ := guard.InvocationFrom(ctx)
		return inv.RequestID, nil
	})
	a, _ := h(context.Background(), event{})
	b, _ := h(context.Background(), event{})
	assert.Len(t, a, 36, "a UUID")
	assert.NotEqual(t, a, b)
}

func TestFirstInvocationSweeps(t *testing.T) {
	base := t.TempDir()
	stale := filepath.Join(base, "lambdaguard-killed-00000000000000aa")
	require.NoError(t, os.MkdirAll(filepath.Join(stale, "x"), 0o700))
	h := guard.Wrap(func(ctx context.Context, _ event) (string, error) { return "", nil },
		guard.WithTempBase(base), guard.WithLogger(slog.New(slog.DiscardHandler)))
	_, err := h(context.Background(), event{})
	require.NoError(t, err)
	assert.Empty(t, entries(t, base))
}

func TestIdleGap(t *testing.T) {
	h := guard.Wrap(func(ctx context.Context, _ event) (guard.Invocation, error) {
		inv, _ := guard.InvocationFrom(ctx)
		return inv, nil
	})
	first, _ := h(context.Background(), event{})
	assert.True(t, first.ColdStart)
	assert.Zero(t, first.Idle)
	time.Sleep(5 * time.Millisecond)
	second, _ := h(context.Background(), event{})
	assert.False(t, second.ColdStart)
	assert.Greater(t, second.Idle, time.Duration(0))
	assert.Equal(t, 1, second.InFlight)
}

func TestWrapHandlerAndMiddleware(t *testing.T) {
	var calls []string
	mw := func(name string) guard.Middleware {
		return func(ctx context.Context, ev any, next guard.Next) (any, error) {
			_, inScope := guard.InvocationFrom(ctx)
			calls = append(calls, fmt.Sprintf("%s:%T:%v", name, ev, inScope))
			return next(ctx)
		}
	}
	inner := lambda.NewHandler(func(ctx context.Context, ev event) (string, error) {
		calls = append(calls, "handler")
		return strings.ToUpper(ev.Payload), nil
	})
	h := guard.WrapHandler(inner, guard.WithMiddleware(mw("outer"), mw("inner")), guard.WithTempBase(t.TempDir()))
	out, err := h.Invoke(lambdaCtx("x"), []byte(`{"payload":"hi"}`))
	require.NoError(t, err)
	assert.JSONEq(t, `"HI"`, string(out))
	assert.Equal(t, []string{"outer:[]uint8:true", "inner:[]uint8:true", "handler"}, calls)

	typed := guard.Wrap(func(ctx context.Context, ev event) (int, error) { return len(ev.Payload), nil },
		guard.WithMiddleware(func(ctx context.Context, ev any, next guard.Next) (any, error) {
			assert.IsType(t, event{}, ev)
			return next(ctx)
		}))
	n, err := typed(context.Background(), event{Payload: "four"})
	require.NoError(t, err)
	assert.Equal(t, 4, n)

	bad := guard.Wrap(func(ctx context.Context, ev event) (int, error) { return 1, nil },
		guard.WithMiddleware(func(ctx context.Context, ev any, next guard.Next) (any, error) { return "not an int", nil }))
	_, err = bad(context.Background(), event{})
	assert.ErrorContains(t, err, "middleware returned string")
}

func TestHTTP(t *testing.T) {
	base := t.TempDir()
	var dirs sync.Map
	h := guard.HTTP(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		dir, err := guard.TempDir(r.Context())
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		inv, _ := guard.InvocationFrom(r.Context())
		dirs.Store(inv.RequestID, dir)
		_ = os.WriteFile(filepath.Join(dir, "body"), []byte(r.URL.Query().Get("q")), 0o600)
		b, _ := os.ReadFile(filepath.Join(dir, "body"))
		_, _ = w.Write(b)
	}), guard.WithTempBase(base))
	srv := httptest.NewServer(h)
	defer srv.Close()

	req, _ := http.NewRequest("GET", srv.URL+"/?q=one", nil)
	req.Header.Set("X-Amzn-Lambda-Context", `{"request_id":"lwa-req-1","deadline":0}`)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	body := new(bytes.Buffer)
	_, _ = body.ReadFrom(resp.Body)
	resp.Body.Close()
	assert.Equal(t, "one", body.String())
	d, ok := dirs.Load("lwa-req-1")
	require.True(t, ok, "request id taken from the Lambda Web Adapter header")
	_, err = os.Lstat(d.(string))
	assert.ErrorIs(t, err, os.ErrNotExist)
	assert.Empty(t, entries(t, base))
	srv.CloseClientConnections()
}

func TestBackgroundWorkSeesTheInvocation(t *testing.T) {
	h := guard.Wrap(func(ctx context.Context, _ event) (string, error) {
		var id string
		var dirErr error
		_ = scope.From(ctx).Go(func(c context.Context) error {
			inv, _ := guard.InvocationFrom(c)
			id = inv.RequestID
			_, dirErr = guard.TempDir(c)
			return nil
		})
		if err := scope.From(ctx).Drain(ctx); err != nil {
			return "", err
		}
		return id, dirErr
	}, guard.WithTempBase(t.TempDir()))
	id, err := h(lambdaCtx("bg-req"), event{})
	require.NoError(t, err, "background work can use the invocation's temp dir")
	assert.Equal(t, "bg-req", id)
}

func TestHTTPMiddlewareSeesStatus(t *testing.T) {
	var seen any
	h := guard.HTTP(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTeapot)
		http.NewResponseController(w).Flush() // the writer underneath is still reachable
	}), guard.WithMiddleware(func(ctx context.Context, ev any, next guard.Next) (any, error) {
		res, err := next(ctx)
		seen = res
		return res, err
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	assert.Equal(t, http.StatusTeapot, rec.Code)
	assert.Equal(t, guard.HTTPResult{StatusCode: http.StatusTeapot}, seen)
	assert.True(t, rec.Flushed)
}

func TestHTTPKeepsFlusherAndHijacker(t *testing.T) {
	var flushed, hijackable bool
	h := guard.HTTP(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, ok := w.(http.Flusher)
		if ok {
			_, _ = w.Write([]byte("event: 1\n\n"))
			f.Flush()
			flushed = true
		}
		_, hijackable = w.(http.Hijacker)
	}), guard.WithMiddleware(func(ctx context.Context, ev any, next guard.Next) (any, error) { return next(ctx) }))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/events", nil))
	assert.True(t, flushed, "a streaming handler finds its http.Flusher")
	assert.True(t, rec.Flushed)
	assert.True(t, hijackable)
}

func TestFlushRunsAfterCleanupsBeforeTheResult(t *testing.T) {
	var order []string
	h := guard.Wrap(func(ctx context.Context, _ event) (string, error) {
		_ = scope.From(ctx).OnClose(func(context.Context) error { order = append(order, "cleanup"); return nil })
		order = append(order, "handler")
		return "ok", nil
	}, guard.WithFlush(func(ctx context.Context) error {
		_, hasDeadline := ctx.Deadline()
		order = append(order, fmt.Sprintf("flush(deadline=%v)", hasDeadline))
		return nil
	}), guard.WithFlush(func(context.Context) error { panic("flush broke") }),
		guard.WithLogger(slog.New(slog.DiscardHandler)))
	out, err := h(context.Background(), event{})
	order = append(order, "returned "+out)
	require.NoError(t, err, "a failing flush does not change the result")
	assert.Equal(t, []string{"handler", "cleanup", "flush(deadline=true)", "returned ok"}, order)
}

// A flush hook that ends its goroutine (runtime.Goexit, as t.FailNow does)
// still leaves the invocation's directory wiped and the guard's count of
// running invocations right.
func TestFlushGoexitStillWipes(t *testing.T) {
	base := t.TempDir()
	var dir string
	var inFlight []int
	h := guard.Wrap(func(ctx context.Context, _ string) (string, error) {
		inv, _ := guard.InvocationFrom(ctx)
		inFlight = append(inFlight, inv.InFlight)
		d, err := guard.TempDir(ctx)
		dir = d
		return "", err
	}, guard.WithTempBase(base), guard.WithFlush(func(context.Context) error {
		runtime.Goexit()
		return nil
	}))
	for range 2 {
		done := make(chan struct{})
		go func() { // Goexit ends this goroutine, as it would the runtime's
			defer close(done)
			_, _ = h(context.Background(), "")
		}()
		<-done
		_, err := os.Stat(dir)
		assert.ErrorIs(t, err, fs.ErrNotExist, "the temp dir is wiped")
	}
	assert.Equal(t, []int{1, 1}, inFlight)
}

// Options bundles options, applied in the order given and nil ones skipped:
// the later of two temp bases wins.
func TestOptionsInOrder(t *testing.T) {
	first, second := t.TempDir(), t.TempDir()
	var dir string
	h := guard.Wrap(func(ctx context.Context, _ event) (string, error) {
		var err error
		dir, err = guard.TempDir(ctx)
		return "", err
	}, guard.Options(guard.WithTempBase(first), nil, guard.Options(guard.WithTempBase(second))), nil)
	_, err := h(context.Background(), event{})
	require.NoError(t, err)
	assert.Equal(t, second, filepath.Dir(dir))
}
