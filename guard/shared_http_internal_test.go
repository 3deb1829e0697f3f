package guard

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"strings"
	"testing"

	"github.com/lambdaguard/lambdaguard/internal/procstate"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// headerTransport is middleware of the kind tracing.NewTransport returns: it
// does work of its own (here, a header) around a base it can be rebuilt on.
type headerTransport struct {
	base  http.RoundTripper
	value string
}

func (h *headerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Add("X-Wrapped", h.value)
	return h.base.RoundTrip(r)
}

func (h *headerTransport) Unwrap() http.RoundTripper { return h.base }

func (h *headerTransport) WithBase(base http.RoundTripper) http.RoundTripper {
	return &headerTransport{base: base, value: h.value}
}

// loopTransport unwraps to itself, as a careless wrapper might.
type loopTransport struct{ headerTransport }

func (l *loopTransport) Unwrap() http.RoundTripper                    { return l }
func (l *loopTransport) WithBase(http.RoundTripper) http.RoundTripper { return l }

// opaqueTransport wraps a base it does not give out.
type opaqueTransport struct{ base http.RoundTripper }

func (o opaqueTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return o.base.RoundTrip(r)
}

// sharedGet makes a request with c and reports whether the connection it
// used is one debug mode knows to be shared, and what the server got of
// the wrappers' header.
func sharedGet(t *testing.T, c *http.Client, url string) (shared bool, header string) {
	t.Helper()
	var conn net.Conn
	ctx := httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{
		GotConn: func(i httptrace.GotConnInfo) { conn = i.Conn },
	})
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	require.NoError(t, err)
	resp, err := c.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.NotNil(t, conn)
	target := procstate.SocketTarget(conn)
	require.NotEmpty(t, target, "the connection's socket is named")
	return sharedSocket(target), string(b)
}

// TestSharedHTTPClientRebuildsWrappers: a transport that wraps another is
// rebuilt around the clone of the *http.Transport under it, however deep,
// so that its connections are known to be shared and the wrappers' work is
// kept; c's own transport is left as it was.
func TestSharedHTTPClientRebuildsWrappers(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, strings.Join(r.Header.Values("X-Wrapped"), "|"))
	}))
	defer srv.Close()
	bottom := &http.Transport{}
	defer bottom.CloseIdleConnections()
	orig := &http.Client{Transport: &headerTransport{value: "outer", base: &headerTransport{value: "inner", base: bottom}}}

	c := sharedHTTPClient(orig)
	defer c.CloseIdleConnections()
	outer, ok := c.Transport.(*headerTransport)
	require.True(t, ok, "the wrapper is kept: %T", c.Transport)
	inner, ok := outer.base.(*headerTransport)
	require.True(t, ok, "%T", outer.base)
	clone, ok := inner.base.(*http.Transport)
	require.True(t, ok, "%T", inner.base)
	assert.NotSame(t, bottom, clone, "the transport is cloned, not changed")
	assert.Nil(t, bottom.DialContext, "the original's dialer is left alone")

	shared, got := sharedGet(t, c, srv.URL)
	assert.True(t, shared, "the shared client's connection")
	assert.Equal(t, "outer|inner", got, "both wrappers still do their work")

	shared, _ = sharedGet(t, orig, srv.URL)
	assert.False(t, shared, "the original client's connection is not declared shared")
}

// TestSharedHTTPClientOtherTransports: what cannot be rebuilt around a
// clone is used as it is, and nothing loops.
func TestSharedHTTPClientOtherTransports(t *testing.T) {
	bottom := &http.Transport{}
	for name, rt := range map[string]http.RoundTripper{
		"opaque":          opaqueTransport{base: bottom},
		"wrapped opaque":  &headerTransport{base: opaqueTransport{base: bottom}},
		"unwraps to self": &loopTransport{headerTransport{base: bottom}},
		"nil base":        &headerTransport{},
	} {
		c := sharedHTTPClient(&http.Client{Transport: rt})
		assert.Equal(t, rt, c.Transport, name)
	}

	c := sharedHTTPClient(nil)
	tr, ok := c.Transport.(*http.Transport)
	require.True(t, ok, "%T", c.Transport)
	assert.NotSame(t, http.DefaultTransport, tr, "the default transport is cloned")
	assert.NotNil(t, tr.DialContext)
}
