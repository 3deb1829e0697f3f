package runtimeapi

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeRuntime plays the runtime side of the API over plain HTTP.
type fakeRuntime struct {
	t      *testing.T
	srv    *Server
	client *http.Client
}

func newFakeRuntime(t *testing.T, cfg Config) *fakeRuntime {
	srv, err := NewServer(cfg)
	require.NoError(t, err)
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	t.Cleanup(func() { assert.NoError(t, srv.Close()) })
	return &fakeRuntime{t: t, srv: srv, client: client}
}

func (rt *fakeRuntime) next() (*http.Response, []byte) {
	rt.t.Helper()
	resp, err := rt.client.Get(rt.srv.URL() + "/2018-06-01/runtime/invocation/next")
	require.NoError(rt.t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(rt.t, err)
	return resp, body
}

func (rt *fakeRuntime) post(path string, header http.Header, body io.Reader) (int, FunctionError) {
	rt.t.Helper()
	req, err := http.NewRequest(http.MethodPost, rt.srv.URL()+path, body)
	require.NoError(rt.t, err)
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := rt.client.Do(req)
	require.NoError(rt.t, err)
	defer resp.Body.Close()
	var fe FunctionError
	_ = json.NewDecoder(resp.Body).Decode(&fe)
	return resp.StatusCode, fe
}

// invokeAsync starts an Invoke and returns where its outcome will arrive.
func invokeAsync(srv *Server, inv Invocation) <-chan outcome {
	ch := make(chan outcome, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		r, err := srv.Invoke(ctx, inv)
		ch <- outcome{r, err}
	}()
	return ch
}

func TestServerNextSendsLambdaHeaders(t *testing.T) {
	rt := newFakeRuntime(t, Config{Name: "hdr", Timeout: time.Minute})
	done := invokeAsync(rt.srv, Invocation{Payload: []byte(`{"a":1}`), ClientContext: `{"custom":{}}`})
	resp, body := rt.next()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.JSONEq(t, `{"a":1}`, string(body))
	id := resp.Header.Get(headerRequestID)
	assert.NotEmpty(t, id)
	assert.NotEmpty(t, resp.Header.Get(headerDeadline))
	assert.Equal(t, "arn:aws:lambda:us-east-1:123456789012:function:hdr", resp.Header.Get(headerFunctionARN))
	assert.Contains(t, resp.Header.Get(headerTraceID), "Root=1-")
	assert.Equal(t, `{"custom":{}}`, resp.Header.Get(headerClientContext))
	_, sent := resp.Header[headerCognitoIdentity]
	assert.False(t, sent, "an unset identity is not sent")

	status, _ := rt.post("/2018-06-01/runtime/invocation/"+id+"/response", nil, strings.NewReader(`"ok"`))
	assert.Equal(t, http.StatusAccepted, status)
	o := <-done
	require.NoError(t, o.err)
	assert.Equal(t, `"ok"`, string(o.res.Payload))
	assert.Equal(t, id, o.res.RequestID)
	assert.True(t, o.res.ColdStart)

	status, fe := rt.post("/2018-06-01/runtime/invocation/"+id+"/response", nil, strings.NewReader(`"again"`))
	assert.Equal(t, http.StatusBadRequest, status, "the invocation is complete")
	assert.Equal(t, "InvalidRequestID", fe.Type)
}

func TestServerErrors(t *testing.T) {
	tests := []struct {
		name   string
		header http.Header
		body   string
		want   FunctionError
	}{
		{
			name: "document",
			body: `{"errorType":"MyError","errorMessage":"bad","stackTrace":[]}`,
			want: FunctionError{Type: "MyError", Message: "bad", StackTrace: json.RawMessage(`[]`)},
		},
		{
			name:   "plain text with the type in a header",
			header: http.Header{headerErrorType: {"Runtime.Unknown"}},
			body:   "it broke",
			want:   FunctionError{Type: "Runtime.Unknown", Message: "it broke"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt := newFakeRuntime(t, Config{Timeout: time.Minute})
			done := invokeAsync(rt.srv, Invocation{Payload: []byte(`{}`)})
			resp, _ := rt.next()
			id := resp.Header.Get(headerRequestID)
			status, _ := rt.post("/2018-06-01/runtime/invocation/"+id+"/error", tt.header, strings.NewReader(tt.body))
			assert.Equal(t, http.StatusAccepted, status)
			o := <-done
			require.NoError(t, o.err)
			require.NotNil(t, o.res.Error)
			assert.Equal(t, tt.want, *o.res.Error)
		})
	}
}

func TestServerTrailerError(t *testing.T) {
	rt := newFakeRuntime(t, Config{Timeout: time.Minute})
	done := invokeAsync(rt.srv, Invocation{Payload: []byte(`{}`)})
	resp, _ := rt.next()
	id := resp.Header.Get(headerRequestID)
	req, err := http.NewRequest(http.MethodPost, rt.srv.URL()+"/2018-06-01/runtime/invocation/"+id+"/response", io.MultiReader(strings.NewReader("partial")))
	require.NoError(t, err)
	req.Trailer = http.Header{
		headerErrorType: {"ReadError"},
		headerErrorBody: {base64.StdEncoding.EncodeToString([]byte(`{"errorType":"ReadError","errorMessage":"stream failed"}`))},
	}
	res, err := rt.client.Do(req)
	require.NoError(t, err)
	_ = res.Body.Close()
	o := <-done
	require.NotNil(t, o.res.Error)
	assert.Equal(t, "ReadError", o.res.Error.Type)
	assert.Equal(t, "stream failed", o.res.Error.Message)
}

func TestServerLateResponseAfterTimeout(t *testing.T) {
	rt := newFakeRuntime(t, Config{Timeout: 50 * time.Millisecond})
	done := invokeAsync(rt.srv, Invocation{Payload: []byte(`{}`)})
	resp, _ := rt.next()
	o := <-done
	require.NotNil(t, o.res.Error)
	assert.True(t, o.res.TimedOut())
	status, _ := rt.post("/2018-06-01/runtime/invocation/"+resp.Header.Get(headerRequestID)+"/response", nil, strings.NewReader(`1`))
	assert.Equal(t, http.StatusBadRequest, status)
}

func TestServerInvokeCancelAndClose(t *testing.T) {
	srv, err := NewServer(Config{})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = srv.Invoke(ctx, Invocation{Payload: []byte(`{}`)})
	assert.ErrorIs(t, err, context.Canceled)
	assert.Zero(t, srv.queued(), "a cancelled invocation leaves the queue")

	done := invokeAsync(srv, Invocation{Payload: []byte(`{}`)})
	require.Eventually(t, func() bool { return srv.queued() == 1 }, 10*time.Second, time.Millisecond)
	require.NoError(t, srv.Close())
	assert.ErrorIs(t, (<-done).err, ErrClosed)
	_, err = srv.Invoke(context.Background(), Invocation{})
	assert.ErrorIs(t, err, ErrClosed)
	assert.NoError(t, srv.Close(), "Close is idempotent")
}

// An extension subscribed to SHUTDOWN gets it with the reason of the shutdown: the end of
// the environment, or its reset after a timeout.
func TestServerExtensions(t *testing.T) {
	for _, reason := range []string{"spindown", "timeout"} {
		t.Run(reason, func(t *testing.T) { testServerExtensions(t, reason) })
	}
}

func testServerExtensions(t *testing.T, reason string) {
	rt := newFakeRuntime(t, Config{Name: "ext"})
	register := func(name, body string) *http.Response {
		req, err := http.NewRequest(http.MethodPost, rt.srv.URL()+"/2020-01-01/extension/register", strings.NewReader(body))
		require.NoError(t, err)
		if name != "" {
			req.Header.Set(headerExtensionName, name)
		}
		resp, err := rt.client.Do(req)
		require.NoError(t, err)
		t.Cleanup(func() { _ = resp.Body.Close() })
		return resp
	}
	assert.Equal(t, http.StatusBadRequest, register("", `{}`).StatusCode)
	assert.Equal(t, http.StatusBadRequest, register("x", `{"events":["BOGUS"]}`).StatusCode)
	assert.False(t, rt.srv.extensionsRegistered(0))

	resp := register("watcher", `{"events":["SHUTDOWN"]}`)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var info map[string]string
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&info))
	assert.Equal(t, map[string]string{"functionName": "ext", "functionVersion": "$LATEST", "handler": "bootstrap"}, info)
	id := resp.Header.Get(headerExtensionID)
	require.NotEmpty(t, id)
	assert.True(t, rt.srv.extensionsRegistered(0))

	next := func(id string) (*http.Response, error) {
		req, _ := http.NewRequest(http.MethodGet, rt.srv.URL()+"/2020-01-01/extension/event/next", nil)
		req.Header.Set(headerExtensionID, id)
		return rt.client.Do(req)
	}
	bad, err := next("unknown")
	require.NoError(t, err)
	_ = bad.Body.Close()
	assert.Equal(t, http.StatusForbidden, bad.StatusCode)

	got := make(chan map[string]any, 1)
	go func() {
		resp, err := next(id)
		if err != nil {
			got <- nil
			return
		}
		defer resp.Body.Close()
		var ev map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&ev)
		got <- ev
	}()
	rt.srv.beginShutdown(1, reason) // not the current generation: nothing
	rt.srv.beginShutdown(0, reason)
	ev := <-got
	require.NotNil(t, ev)
	assert.Equal(t, "SHUTDOWN", ev["eventType"])
	assert.Equal(t, reason, ev["shutdownReason"])
}

func TestServerRequestTooLarge(t *testing.T) {
	srv, err := NewServer(Config{})
	require.NoError(t, err)
	defer srv.Close()
	_, err = srv.Invoke(context.Background(), Invocation{Payload: make([]byte, MaxPayloadSize+1)})
	assert.ErrorIs(t, err, ErrRequestTooLarge)
	assert.ErrorContains(t, err, "RequestEntityTooLarge")
}

// An error document over MaxPayloadSize fails the invocation with
// Function.ResponseSizeTooLarge and gets one answer, 413, not a 413 followed by a 202.
func TestServerOversizedErrorAnsweredOnce(t *testing.T) {
	rt := newFakeRuntime(t, Config{Timeout: time.Minute})
	done := invokeAsync(rt.srv, Invocation{Payload: []byte(`{}`)})
	resp, _ := rt.next()
	id := resp.Header.Get(headerRequestID)
	req, err := http.NewRequest(http.MethodPost, rt.srv.URL()+"/2018-06-01/runtime/invocation/"+id+"/error",
		strings.NewReader(strings.Repeat("x", MaxPayloadSize+10)))
	require.NoError(t, err)
	res, err := rt.client.Do(req)
	require.NoError(t, err)
	body, err := io.ReadAll(res.Body)
	_ = res.Body.Close()
	require.NoError(t, err)
	assert.Equal(t, http.StatusRequestEntityTooLarge, res.StatusCode)
	dec := json.NewDecoder(strings.NewReader(string(body)))
	var fe FunctionError
	require.NoError(t, dec.Decode(&fe), "body %q", body)
	assert.Equal(t, "RequestEntityTooLarge", fe.Type)
	assert.False(t, dec.More(), "a single document, got %q", body)

	o := <-done
	require.NoError(t, o.err)
	require.NotNil(t, o.res.Error)
	assert.Equal(t, ErrorTypeResponseSize, o.res.Error.Type)
}

// An oversized init error is recorded and answered with 413 alone.
func TestServerOversizedInitErrorAnsweredOnce(t *testing.T) {
	rt := newFakeRuntime(t, Config{})
	status, fe := rt.post("/2018-06-01/runtime/init/error", nil, strings.NewReader(strings.Repeat("x", MaxPayloadSize+10)))
	assert.Equal(t, http.StatusRequestEntityTooLarge, status)
	assert.Equal(t, "RequestEntityTooLarge", fe.Type)
	rt.srv.mu.Lock()
	initErr := rt.srv.initErr
	rt.srv.mu.Unlock()
	require.NotNil(t, initErr)
	assert.Equal(t, ErrorTypeResponseSize, initErr.Type)
}

// The response to an invocation whose caller stopped waiting is accepted and discarded.
func TestServerResponseAfterCallerGaveUp(t *testing.T) {
	rt := newFakeRuntime(t, Config{Timeout: time.Minute})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := rt.srv.Invoke(ctx, Invocation{Payload: []byte(`{}`)})
		done <- err
	}()
	resp, _ := rt.next()
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)
	status, _ := rt.post("/2018-06-01/runtime/invocation/"+resp.Header.Get(headerRequestID)+"/response", nil, strings.NewReader(`1`))
	assert.Equal(t, http.StatusAccepted, status)
	rt.srv.mu.Lock()
	n := len(rt.srv.inflight)
	rt.srv.mu.Unlock()
	assert.Zero(t, n)
}

// An init error kills the process: an invocation queued meanwhile is not delivered to it.
func TestServerNoDeliveryAfterInitError(t *testing.T) {
	rt := newFakeRuntime(t, Config{})
	status, _ := rt.post("/2018-06-01/runtime/init/error", nil, strings.NewReader(`{"errorType":"InitError","errorMessage":"bad"}`))
	require.Equal(t, http.StatusAccepted, status)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rt.srv.URL()+"/2018-06-01/runtime/invocation/next", nil)
	require.NoError(t, err)
	done := invokeAsync(rt.srv, Invocation{Payload: []byte(`{}`)})
	require.Eventually(t, func() bool { return rt.srv.queued() == 1 }, 10*time.Second, time.Millisecond)
	resp, err := rt.client.Do(req)
	if err == nil {
		_ = resp.Body.Close()
	}
	require.ErrorIs(t, err, context.DeadlineExceeded, "the dying process got an invocation")
	assert.Equal(t, 1, rt.srv.queued())
	rt.srv.processEnded("signal: killed")
	o := <-done
	require.NotNil(t, o.res.Error)
	assert.True(t, o.res.InitFailed)
	assert.Equal(t, "InitError", o.res.Error.Type)
}
