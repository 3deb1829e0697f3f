package reliability_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdaguard/lambdaguard/guard"
	"github.com/lambdaguard/lambdaguard/guardtest"
)

// debugHOLState is watched without GuardedBy: the detector may read it only
// while the process is quiet, and must not make a handler wait for that.
var debugHOLState = map[string]int{"ready": 1}

// TestDebugNoHeadOfLineBlocking: with a watched variable without GuardedBy,
// debug mode never makes one handler wait for another. Handlers that wait
// for each other, an HTTP long poll, a handler that calls its own wrapped
// function and a quick invocation beside a slow one all complete as they
// would without the guard. It runs in a child process: blocked, they hang.
func TestDebugNoHeadOfLineBlocking(t *testing.T) {
	if !inChild(t) {
		return
	}
	guard.Watch("debugHOLState", &debugHOLState)

	t.Run("handler waits for another", func(t *testing.T) {
		fromB := make(chan struct{})
		var once sync.Once
		results, err := guardtest.Check(guardtest.Config{
			Concurrency:  2,
			Timeout:      3 * time.Second,
			GuardOptions: []guard.Option{guard.WithLogger(discardLogger())},
		}, func(ctx context.Context, who string) (string, error) {
			if who == "b" {
				once.Do(func() { close(fromB) })
				return "b signalled", nil
			}
			select {
			case <-fromB:
				return "a got the signal", nil
			case <-ctx.Done():
				return "", context.Cause(ctx)
			}
		}, "a", "b")
		require.NoError(t, err)
		for _, r := range results {
			assert.NoError(t, r.Err, "%s", r.RequestID)
		}
		assert.Equal(t, "a got the signal", results[0].Output)
	})

	t.Run("HTTP long poll", func(t *testing.T) {
		msgs := make(chan string)
		waiting := make(chan struct{})
		mux := http.NewServeMux()
		mux.HandleFunc("GET /wait", func(w http.ResponseWriter, r *http.Request) {
			close(waiting)
			select {
			case m := <-msgs:
				_, _ = io.WriteString(w, m)
			case <-r.Context().Done():
			}
		})
		mux.HandleFunc("POST /send", func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			select {
			case msgs <- string(b):
			case <-r.Context().Done():
				http.Error(w, "nobody waited", http.StatusGatewayTimeout)
			}
		})
		srv := httptest.NewServer(guard.HTTP(mux, debugOptions(t, &reports{})...))
		defer srv.Close()
		client := &http.Client{Timeout: 3 * time.Second}
		defer client.CloseIdleConnections()

		type answer struct {
			body string
			err  error
		}
		got := make(chan answer, 1)
		go func() {
			resp, err := client.Get(srv.URL + "/wait")
			if err != nil {
				got <- answer{err: err}
				return
			}
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			got <- answer{string(b), err}
		}()
		<-waiting
		resp, err := client.Post(srv.URL+"/send", "text/plain", strings.NewReader("hello"))
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode)
		a := <-got
		require.NoError(t, a.err)
		assert.Equal(t, "hello", a.body)
	})

	t.Run("handler calls its own wrapped function", func(t *testing.T) {
		var h func(context.Context, int) (int, error)
		h, _ = debugWrap(t, func(ctx context.Context, depth int) (int, error) {
			if depth == 0 {
				return 0, nil
			}
			n, err := h(ctx, depth-1)
			return n + 1, err
		})
		ctx, cancel := invocation("outer", 3*time.Second)
		defer cancel()
		deadline, _ := ctx.Deadline()
		done := make(chan error, 1)
		go func() {
			_, err := h(ctx, 1)
			done <- err
		}()
		select {
		case err := <-done:
			require.NoError(t, err)
		case <-time.After(time.Until(deadline) + time.Second):
			t.Fatal("the outer invocation did not return by its deadline: the inner one waits for it")
		}
	})

	t.Run("quick invocation beside a slow one", func(t *testing.T) {
		slowIn := make(chan struct{})
		h, _ := debugWrap(t, func(ctx context.Context, ms int) (int, error) {
			if ms > 0 {
				close(slowIn)
				select {
				case <-time.After(time.Duration(ms) * time.Millisecond):
				case <-ctx.Done():
				}
			}
			return ms, nil
		})
		var wg sync.WaitGroup
		defer wg.Wait()
		wg.Go(func() {
			ctx, cancel := invocation("slow", 10*time.Second)
			defer cancel()
			_, err := h(ctx, 2000)
			assert.NoError(t, err)
		})
		<-slowIn
		ctx, cancel := invocation("quick", 10*time.Second)
		defer cancel()
		start := time.Now()
		_, err := h(ctx, 0)
		took := time.Since(start)
		require.NoError(t, err)
		assert.Less(t, took, 500*time.Millisecond, "a 0 ms invocation waited for the 2 s one beside it")
	})
}
