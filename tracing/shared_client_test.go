package tracing_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/trace"

	"github.com/lambdaguard/lambdaguard/guard"
	"github.com/lambdaguard/lambdaguard/internal/procstate"
	"github.com/lambdaguard/lambdaguard/tracing"
)

// tracedServer is an httptest server that records the traceparent of each
// request and the sockets of its own ends of the connections, which are in
// the test's process too and not what these tests are about.
func tracedServer(t *testing.T) (srv *httptest.Server, parents <-chan string, serverEnd func(string) bool) {
	got := make(chan string, 16)
	var ends sync.Map
	srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.Header.Get("traceparent")
		_, _ = io.WriteString(w, "ok")
	}))
	srv.Config.ConnState = func(c net.Conn, s http.ConnState) {
		if s == http.StateNew {
			ends.Store(procstate.SocketTarget(c), true)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, got, func(target string) bool { _, ok := ends.Load(target); return ok }
}

func get(ctx context.Context, c *http.Client, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return err
}

// TestSharedClientAroundTracing: guard.SharedHTTPClient around
// tracing.NewClient keeps the instrumentation (a client span, the
// traceparent header) and declares the client's connections shared, so
// debug mode reports none of them; the same client used as it is, without
// SharedHTTPClient, keeps its connection in its pool and is reported.
func TestSharedClientAroundTracing(t *testing.T) {
	lambdaEnv(t)
	srv, parents, serverEnd := tracedServer(t)
	tp, sr := recorder(t)

	run := func(t *testing.T, client func(context.Context) (*http.Client, error)) []guard.Finding {
		var (
			mu       sync.Mutex
			findings []guard.Finding
		)
		h := guard.Wrap(func(ctx context.Context, _ string) (string, error) {
			c, err := client(ctx)
			if err != nil {
				return "", err
			}
			return "", get(ctx, c, srv.URL)
		}, guard.WithTempBase(t.TempDir()), guard.WithDebug(true),
			guard.WithLogger(slog.New(slog.DiscardHandler)),
			guard.WithDebugConfig(guard.DebugConfig{IgnoreFD: serverEnd}),
			guard.WithReporter(func(r guard.Report) {
				mu.Lock()
				defer mu.Unlock()
				findings = append(findings, r.Findings...)
			}),
			tracing.WithTracing(tracing.WithTracerProvider(tp)))
		for i := range 2 {
			_, err := h(invocation("req-"+strconv.Itoa(i), ""), "")
			require.NoError(t, err, "invocation %d", i+1)
			select {
			case p := <-parents:
				assert.Len(t, strings.Split(p, "-"), 4, "traceparent %q", p)
			case <-time.After(5 * time.Second):
				t.Fatal("no request reached the server")
			}
		}
		mu.Lock()
		defer mu.Unlock()
		return findings
	}
	clientSpans := func() int {
		n := 0
		for _, s := range sr.Ended() {
			if s.SpanKind() == trace.SpanKindClient {
				n++
			}
		}
		return n
	}

	t.Run("shared", func(t *testing.T) {
		shared := guard.SharedHTTPClient("traced-http", time.Hour, tracing.NewClient(tracing.WithTracerProvider(tp)))
		t.Cleanup(func() { require.NoError(t, guard.CloseShared(context.Background())) })
		before := clientSpans()
		findings := run(t, shared.Get)
		assert.Empty(t, findings, "a shared client's connections are not leaks")
		assert.Equal(t, 2, clientSpans()-before, "a client span per request: the instrumentation is kept")
	})

	t.Run("not shared", func(t *testing.T) {
		// A transport of its own: http.DefaultTransport's pool may hold a
		// connection to the server already, which would be reused.
		c := &http.Client{Transport: tracing.NewTransport(&http.Transport{}, tracing.WithTracerProvider(tp))}
		t.Cleanup(c.CloseIdleConnections)
		var fds []guard.Finding
		for _, f := range run(t, func(context.Context) (*http.Client, error) { return c, nil }) {
			if f.Kind == guard.KindFD {
				fds = append(fds, f)
			}
		}
		assert.NotEmpty(t, fds, "a connection opened by a request and left in the pool is reported")
	})
}

// TestTransportUnwrapAndRebase: the transport NewTransport returns gives its
// base and can be rebuilt around another, still tracing, and passes
// CloseIdleConnections on to its base.
func TestTransportUnwrapAndRebase(t *testing.T) {
	type rebaser interface {
		http.RoundTripper
		Unwrap() http.RoundTripper
		WithBase(http.RoundTripper) http.RoundTripper
	}
	lambdaEnv(t)
	tp, sr := recorder(t)
	srv, parents, _ := tracedServer(t)

	base := &countingTransport{Transport: &http.Transport{}}
	defer base.CloseIdleConnections()
	rt, ok := tracing.NewTransport(nil, tracing.WithTracerProvider(tp)).(rebaser)
	require.True(t, ok)
	assert.Same(t, http.DefaultTransport, rt.Unwrap(), "nil stands for http.DefaultTransport")

	rebuilt, ok := rt.WithBase(base).(rebaser)
	require.True(t, ok)
	assert.Same(t, base, rebuilt.Unwrap())
	assert.Same(t, http.DefaultTransport, rt.Unwrap(), "the original is left as it was")

	c := &http.Client{Transport: rebuilt}
	require.NoError(t, get(context.Background(), c, srv.URL))
	assert.NotEmpty(t, <-parents, "the rebuilt transport propagates")
	assert.Len(t, sr.Ended(), 1, "and makes a client span")
	assert.Equal(t, 1, base.trips)
	c.CloseIdleConnections()
	assert.Equal(t, 1, base.closes, "CloseIdleConnections reaches the base")
}

// countingTransport counts what reaches it.
type countingTransport struct {
	*http.Transport
	trips, closes int
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.trips++
	return c.Transport.RoundTrip(r)
}

func (c *countingTransport) CloseIdleConnections() {
	c.closes++
	c.Transport.CloseIdleConnections()
}
