package guard_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdaguard/lambdaguard/guard"
)

// conn is a stand-in for a connection: closed when told, healthy until.
type conn struct {
	id     int
	broken atomic.Bool
	closed atomic.Bool
}

func (c *conn) Close() error { c.closed.Store(true); return nil }

func closeShared(t *testing.T) {
	t.Cleanup(func() { require.NoError(t, guard.CloseShared(context.Background())) })
}

func TestSharedBuiltOnceLazily(t *testing.T) {
	closeShared(t)
	var builds atomic.Int32
	r := guard.NewShared("conn", func(context.Context) (*conn, error) {
		return &conn{id: int(builds.Add(1))}, nil
	})
	assert.Zero(t, builds.Load(), "nothing is built before the first Get")
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			c, err := r.Get(context.Background())
			assert.NoError(t, err)
			assert.Equal(t, 1, c.id)
		})
	}
	wg.Wait()
	assert.Equal(t, int32(1), builds.Load())
	assert.Equal(t, "conn", r.Name())
}

func TestSharedFailedBuildNotKept(t *testing.T) {
	closeShared(t)
	fail := true
	r := guard.NewShared("flaky", func(context.Context) (*conn, error) {
		if fail {
			return nil, errors.New("connection refused")
		}
		return &conn{id: 1}, nil
	})
	_, err := r.Get(context.Background())
	assert.ErrorContains(t, err, "guard: shared flaky: build: connection refused")
	fail = false
	c, err := r.Get(context.Background())
	require.NoError(t, err, "the next Get tries again")
	assert.Equal(t, 1, c.id)

	p := guard.NewShared("panicky", func(context.Context) (*conn, error) { panic("boom") })
	_, err = p.Get(context.Background())
	assert.ErrorContains(t, err, "boom")
}

// TestSharedValidatedAfterGap: a value not handed out for longer than the
// threshold is checked before it is; one that fails its check is closed and
// built anew.
func TestSharedValidatedAfterGap(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		closeShared(t)
		var builds, checks int
		r := guard.NewShared("db", func(context.Context) (*conn, error) {
			builds++
			return &conn{id: builds}, nil
		}, guard.WithValidate(time.Second, func(_ context.Context, c *conn) error {
			checks++
			if c.broken.Load() {
				return errors.New("connection reset by peer")
			}
			return nil
		}))
		ctx := context.Background()
		first, err := r.Get(ctx)
		require.NoError(t, err)

		time.Sleep(500 * time.Millisecond)
		c, _ := r.Get(ctx)
		assert.Same(t, first, c)
		assert.Zero(t, checks, "a short gap needs no check")

		time.Sleep(2 * time.Second)
		c, _ = r.Get(ctx)
		assert.Same(t, first, c, "a healthy value is kept")
		assert.Equal(t, 1, checks)

		first.broken.Store(true) // the peer closed it during the freeze
		time.Sleep(2 * time.Second)
		c, err = r.Get(ctx)
		require.NoError(t, err)
		assert.Equal(t, 2, c.id, "rebuilt")
		assert.True(t, first.closed.Load(), "the stale value is closed")
		assert.Equal(t, 2, checks)
	})
}

func TestSharedGetRespectsContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		closeShared(t)
		release := make(chan struct{})
		r := guard.NewShared("slow", func(context.Context) (*conn, error) {
			<-release
			return &conn{}, nil
		})
		go func() { _, _ = r.Get(context.Background()) }()
		synctest.Wait() // the first Get is building
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_, err := r.Get(ctx)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		close(release)
		synctest.Wait() // the first Get is done: CloseShared closes what it built, in the bubble
	})
}

type ctxCloser struct{ closed *[]string }

func (c ctxCloser) Close(context.Context) error { *c.closed = append(*c.closed, "ctx"); return nil }

type plainCloser struct{ closed *[]string }

func (c plainCloser) Close() { *c.closed = append(*c.closed, "plain") }

// TestCloseSharedClosesInReverse: shutdown closes what was built, the last
// built first, with whatever Close the value has, and nothing else: a
// resource nobody asked for is neither built nor closed, nor is the value of
// a build that failed.
func TestCloseSharedClosesInReverse(t *testing.T) {
	var closed []string
	a := guard.NewShared("a", func(context.Context) (ctxCloser, error) { return ctxCloser{&closed}, nil })
	b := guard.NewShared("b", func(context.Context) (plainCloser, error) { return plainCloser{&closed}, nil })
	c := guard.NewShared("c", func(context.Context) (*conn, error) { return &conn{}, nil },
		guard.WithClose(func(context.Context, *conn) error {
			closed = append(closed, "custom")
			return errors.New("close failed")
		}))
	var unbuiltBuilds int
	guard.NewShared("unbuilt", func(context.Context) (*conn, error) { unbuiltBuilds++; return &conn{}, nil },
		guard.WithClose(func(context.Context, *conn) error { closed = append(closed, "unbuilt"); return nil }))
	failed := guard.NewShared("failed", func(context.Context) (*conn, error) {
		return &conn{}, errors.New("handshake failed") // half made: not the caller's to keep
	}, guard.WithClose(func(context.Context, *conn) error { closed = append(closed, "failed"); return nil }))
	ctx := context.Background()
	for _, get := range []func() error{
		func() error { _, err := a.Get(ctx); return err },
		func() error { _, err := b.Get(ctx); return err },
		func() error { _, err := c.Get(ctx); return err },
	} {
		require.NoError(t, get())
	}
	_, err := failed.Get(ctx)
	require.ErrorContains(t, err, "handshake failed")
	err = guard.CloseShared(ctx)
	assert.ErrorContains(t, err, "guard: shared c: close: close failed")
	assert.Equal(t, []string{"custom", "plain", "ctx"}, closed)
	assert.Zero(t, unbuiltBuilds, "shutdown builds nothing")
	require.NoError(t, guard.CloseShared(ctx), "closed resources leave the registry")
}

// resetServer is an HTTP/1.1 server on loopback that, like a load balancer or
// a NAT gateway with an idle timeout, forgets idle connections: a request that
// arrives on a connection idle for longer than it allows is answered with a
// reset, and the client learns that only by trying.
type resetServer struct {
	ln     net.Listener
	idle   time.Duration
	wg     sync.WaitGroup
	dialed atomic.Int32
}

func newResetServer(t *testing.T, idle time.Duration) *resetServer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	s := &resetServer{ln: ln, idle: idle}
	s.wg.Go(s.serve)
	t.Cleanup(func() { _ = ln.Close(); s.wg.Wait() })
	return s
}

func (s *resetServer) url() string { return "http://" + s.ln.Addr().String() + "/" }

func (s *resetServer) serve() {
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.dialed.Add(1)
		s.wg.Go(func() { s.handle(c) })
	}
}

func (s *resetServer) handle(c net.Conn) {
	defer c.Close()
	r := bufio.NewReader(c)
	last := time.Now()
	for {
		req, err := http.ReadRequest(r)
		if err != nil {
			return
		}
		_, _ = io.Copy(io.Discard, req.Body)
		if time.Since(last) > s.idle {
			_ = c.(*net.TCPConn).SetLinger(0) // close with a reset
			return
		}
		_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
		last = time.Now()
	}
}

// TestSharedHTTPClientRecoversAfterFreeze: after a gap longer than the
// server's idle timeout, a plain client's next POST fails on the connection
// the server forgot; the shared client closes its idle connections after the
// gap and dials afresh.
func TestSharedHTTPClientRecoversAfterFreeze(t *testing.T) {
	const serverIdle = 20 * time.Millisecond
	post := func(ctx context.Context, c *http.Client, url string) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(`{"n":1}`))
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
	freeze := func() { time.Sleep(3 * serverIdle) } // the process sleeps; the server's clock runs

	t.Run("plain client fails", func(t *testing.T) {
		srv := newResetServer(t, serverIdle)
		c := &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
		defer c.CloseIdleConnections()
		require.NoError(t, post(context.Background(), c, srv.url()))
		freeze()
		assert.Error(t, post(context.Background(), c, srv.url()), "the first request after the freeze fails")
	})

	t.Run("shared client recovers", func(t *testing.T) {
		srv := newResetServer(t, serverIdle)
		closeShared(t) // before the server stops: it waits for the client's idle connection
		client := guard.SharedHTTPClient("api", serverIdle/2, nil)
		h := guard.Wrap(func(ctx context.Context, _ event) (string, error) {
			c, err := client.Get(ctx)
			if err != nil {
				return "", err
			}
			return "ok", post(ctx, c, srv.url())
		}, guard.WithTempBase(t.TempDir()), guard.WithLogger(slog.New(slog.DiscardHandler)))
		for i := range 3 {
			if i > 0 {
				freeze()
			}
			_, err := h(lambdaCtx("http"), event{})
			require.NoError(t, err, "invocation %d", i+1)
		}
		assert.Equal(t, int32(3), srv.dialed.Load(), "a fresh connection after each freeze")
	})
}

// TestSharedConnectionsNotReported: in debug mode, a connection dialled
// through SharedDial and kept by a shared resource is not a leak; one kept
// otherwise is.
func TestSharedConnectionsNotReported(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	// The server's ends of the connections are in this process too: not
	// what the test is about.
	var serverEnds sync.Map
	var wg sync.WaitGroup
	t.Cleanup(func() { _ = ln.Close(); wg.Wait() })
	closeShared(t) // before the server stops: its connection handlers wait for the client to close
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			serverEnds.Store(fdTarget(t, c), true)
			wg.Go(func() { _, _ = io.Copy(io.Discard, c); _ = c.Close() })
		}
	})
	dial := guard.SharedDial(nil)
	db := guard.NewShared("tcp", func(ctx context.Context) (net.Conn, error) {
		return dial(ctx, "tcp", ln.Addr().String())
	})
	var kept net.Conn
	t.Cleanup(func() {
		if kept != nil {
			_ = kept.Close()
		}
	})

	var reports []guard.Report
	h := guard.Wrap(func(ctx context.Context, leak bool) (string, error) {
		if leak {
			c, err := net.Dial("tcp", ln.Addr().String())
			kept = c
			return "", err
		}
		_, err := db.Get(ctx)
		return "", err
	}, guard.WithTempBase(t.TempDir()), guard.WithDebug(true),
		guard.WithLogger(slog.New(slog.DiscardHandler)),
		guard.WithDebugConfig(guard.DebugConfig{IgnoreFD: func(target string) bool { _, ok := serverEnds.Load(target); return ok }}),
		guard.WithReporter(func(r guard.Report) { reports = append(reports, r) }))

	_, err = h(lambdaCtx("shared"), false)
	require.NoError(t, err)
	assert.Empty(t, reports, "the shared connection is not a leak")

	_, err = h(lambdaCtx("leak"), true)
	require.NoError(t, err)
	require.Len(t, reports, 1, "a connection kept outside a shared resource is")
	assert.Equal(t, guard.KindFD, reports[0].Findings[0].Kind)
}

// fdTarget returns what /proc/self/fd says c's descriptor is.
func fdTarget(t *testing.T, c net.Conn) string {
	raw, err := c.(syscall.Conn).SyscallConn()
	require.NoError(t, err)
	var target string
	require.NoError(t, raw.Control(func(fd uintptr) {
		target, _ = os.Readlink("/proc/self/fd/" + strconv.Itoa(int(fd)))
	}))
	return target
}
