package guard

import (
	"context"
	"net/http"
	"time"
)

// SharedHTTPClient declares c as a shared *http.Client: when it has not been
// handed out for longer than after (a freeze longer than the peers' idle
// timeout, most often), Get closes its idle connections first, so that the
// request after a thaw dials afresh instead of writing into a connection the
// peer closed meanwhile (ECONNRESET, or EOF on a request that is not
// retried). Its connections are left out of debug reports, and its idle
// connections are closed at shutdown.
//
// c is copied, not changed: its *http.Transport (http.DefaultTransport when c
// or its Transport is nil) is cloned, with its dial functions wrapped by
// SharedDial. A Transport of another type is used as it is.
func SharedHTTPClient(name string, after time.Duration, c *http.Client) *SharedResource[*http.Client] {
	build := func(context.Context) (*http.Client, error) { return sharedHTTPClient(c), nil }
	return NewShared(name, build,
		WithValidate(after, func(_ context.Context, c *http.Client) error {
			c.CloseIdleConnections()
			return nil
		}),
		WithClose(func(_ context.Context, c *http.Client) error {
			c.CloseIdleConnections()
			return nil
		}))
}

func sharedHTTPClient(c *http.Client) *http.Client {
	var out http.Client
	if c != nil {
		out = *c
	}
	rt := out.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	if t, ok := rt.(*http.Transport); ok {
		t = t.Clone()
		t.DialContext = SharedDial(t.DialContext)
		if t.DialTLSContext != nil {
			t.DialTLSContext = SharedDial(t.DialTLSContext)
		}
		rt = t
	}
	out.Transport = rt
	return &out
}
