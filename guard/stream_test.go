package guard_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdaguard/lambdaguard/guard"
	"github.com/lambdaguard/lambdaguard/scope"
)

// A streamed body produced by background work (scope.Go writing an
// io.Pipe) arrives whole through aws-lambda-go, and the invocation — its
// cleanups, its temp directory — closes only once the body has been read.
func TestStreamedBodyFromBackgroundWork(t *testing.T) {
	base := t.TempDir()
	var cleaned atomic.Bool
	var dir string
	h := guard.Wrap(func(ctx context.Context, _ events.LambdaFunctionURLRequest) (*events.LambdaFunctionURLStreamingResponse, error) {
		var err error
		if dir, err = guard.TempDir(ctx); err != nil {
			return nil, err
		}
		pr, pw := io.Pipe()
		sc := scope.From(ctx)
		_ = sc.OnClose(func(context.Context) error { cleaned.Store(true); return nil })
		_ = sc.Go(func(ctx context.Context) error {
			for i := range 1000 {
				if err := ctx.Err(); err != nil { // a producer that stops when the invocation is over
					return pw.CloseWithError(err)
				}
				if _, err := fmt.Fprintf(pw, "row %d\n", i); err != nil {
					return err
				}
			}
			return pw.Close()
		})
		return &events.LambdaFunctionURLStreamingResponse{StatusCode: 200, Body: pr}, nil
	}, guard.WithTempBase(base))

	ctx, cancel := context.WithTimeout(lambdaCtx("stream-1"), 2*time.Second)
	defer cancel()
	out, err := lambda.NewHandler(h).Invoke(ctx, []byte(`{}`))
	require.NoError(t, err)
	_, body, ok := bytes.Cut(out, make([]byte, 8)) // the prelude ends with 8 NUL bytes
	require.True(t, ok, "the streaming prelude: %q", out[:min(len(out), 64)])
	assert.Equal(t, 1000, strings.Count(string(body), "\n"), "every row arrived")
	assert.True(t, strings.HasSuffix(string(body), "row 999\n"))
	assert.True(t, cleaned.Load(), "the scope closed once the body was read")
	assert.NoDirExists(t, dir, "the temp dir is wiped once the body is read")
	assert.Empty(t, entries(t, base))
}

// A lazily opened resource streamed as the body — a file in the
// invocation's temp directory, opened through scope.NewLazy — is read whole,
// then closed with the scope, then wiped.
func TestStreamedLazyFile(t *testing.T) {
	base := t.TempDir()
	var file *os.File
	report := scope.NewLazy("report", func(ctx context.Context) (*os.File, error) {
		dir, err := guard.TempDir(ctx)
		if err != nil {
			return nil, err
		}
		name := filepath.Join(dir, "report.csv")
		if err := os.WriteFile(name, bytes.Repeat([]byte("a,b,c\n"), 10_000), 0o600); err != nil {
			return nil, err
		}
		return os.Open(name)
	})
	h := guard.Wrap(func(ctx context.Context, _ event) (io.Reader, error) {
		f, err := report.Get(ctx)
		file = f
		return f, err
	}, guard.WithTempBase(base))

	out, err := lambda.NewHandler(h).Invoke(lambdaCtx("stream-lazy"), []byte(`{}`))
	require.NoError(t, err, "the file was closed before it was read")
	assert.Len(t, out, 60_000)
	_, err = file.Read(make([]byte, 1))
	assert.ErrorIs(t, err, os.ErrClosed, "the scope closed the file after the body was read")
	assert.Empty(t, entries(t, base), "and wiped its directory")
}

// A body nobody reads is cut at the start of the cleanup reserve: the
// invocation closes all the same, its background work cancelled, its
// cleanups run, its directory wiped.
func TestStreamedBodyNeverRead(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		base := t.TempDir()
		var cleaned atomic.Bool
		var producerErr error
		h := guard.Wrap(func(ctx context.Context, _ event) (io.Reader, error) {
			if _, err := guard.TempDir(ctx); err != nil {
				return nil, err
			}
			pr, pw := io.Pipe()
			sc := scope.From(ctx)
			_ = sc.OnClose(func(context.Context) error { cleaned.Store(true); return nil })
			_ = sc.Go(func(ctx context.Context) error {
				_, producerErr = pw.Write([]byte("never read")) // blocks: nobody reads
				return pw.CloseWithError(producerErr)
			})
			return pr, nil
		}, guard.WithTempBase(base), guard.WithCleanupReserve(100*time.Millisecond))

		ctx, cancel := context.WithTimeout(lambdaCtx("stream-unread"), time.Second)
		defer cancel()
		start := time.Now()
		body, err := h(ctx, event{})
		require.NoError(t, err)
		require.NotNil(t, body)
		assert.False(t, cleaned.Load(), "open while the body may still be read")

		time.Sleep(time.Second)
		synctest.Wait()
		assert.True(t, cleaned.Load(), "closed by %v", time.Since(start))
		assert.Error(t, producerErr, "the producer was cut off")
		assert.Empty(t, entries(t, base))
		_, err = body.Read(make([]byte, 1))
		assert.Error(t, err, "the body is closed")
	})
}

// A stream that fails half-way: the reader sees the error (aws-lambda-go
// sends it as the invocation's error, in the trailers), and the invocation
// closes.
func TestStreamedBodyFails(t *testing.T) {
	base := t.TempDir()
	var cleaned, cleanedWhileRead atomic.Bool
	broken := errors.New("database went away")
	h := guard.Wrap(func(ctx context.Context, _ event) (io.Reader, error) {
		_ = scope.From(ctx).OnClose(func(context.Context) error { cleaned.Store(true); return nil })
		watch := readFunc(func([]byte) (int, error) { cleanedWhileRead.Store(cleaned.Load()); return 0, io.EOF })
		return io.MultiReader(strings.NewReader("half"), watch, iotestErrReader{broken}), nil
	}, guard.WithTempBase(base))
	_, err := lambda.NewHandler(h).Invoke(lambdaCtx("stream-fail"), []byte(`{}`))
	assert.ErrorIs(t, err, broken)
	assert.False(t, cleanedWhileRead.Load(), "the invocation was closed while its body was read")
	assert.True(t, cleaned.Load(), "and closed once it failed")
}

type readFunc func([]byte) (int, error)

func (f readFunc) Read(p []byte) (int, error) { return f(p) }

type iotestErrReader struct{ err error }

func (r iotestErrReader) Read([]byte) (int, error) { return 0, r.err }

// A result that is a reader of a concrete type cannot be followed: it is
// logged, and the invocation closes as the handler returns.
func TestStreamedConcreteReaderWarned(t *testing.T) {
	var logs bytes.Buffer
	h := guard.Wrap(func(ctx context.Context, _ event) (*bytes.Reader, error) {
		return bytes.NewReader([]byte("x")), nil
	}, guard.WithTempBase(t.TempDir()), guard.WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))))
	_, err := h(lambdaCtx("concrete"), event{})
	require.NoError(t, err)
	assert.Contains(t, logs.String(), "a reader of a type the guard cannot follow")
}

// guard.HTTP with a handler that flushes as it goes: the client gets the
// first chunk while the handler still runs, and the invocation closes when
// ServeHTTP returns.
func TestHTTPStreamingHandler(t *testing.T) {
	base := t.TempDir()
	release := make(chan struct{})
	var cleaned atomic.Bool
	srv := httptest.NewServer(guard.HTTP(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = scope.From(r.Context()).OnClose(func(context.Context) error { cleaned.Store(true); return nil })
		_, _ = fmt.Fprintln(w, "first")
		w.(http.Flusher).Flush()
		<-release
		_, _ = fmt.Fprintln(w, "second")
	}), guard.WithTempBase(base)))
	defer srv.Close()

	resp, err := http.Get(srv.URL)
	require.NoError(t, err)
	defer resp.Body.Close()
	lines := bufio.NewReader(resp.Body)
	first, err := lines.ReadString('\n')
	require.NoError(t, err)
	assert.Equal(t, "first\n", first, "flushed before the handler finished")
	assert.False(t, cleaned.Load())
	close(release)
	rest, err := io.ReadAll(lines)
	require.NoError(t, err)
	assert.Equal(t, "second\n", string(rest))
	assert.Eventually(t, cleaned.Load, 5*time.Second, time.Millisecond)
}
