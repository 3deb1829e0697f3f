package guard_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdaguard/lambdaguard/guard"
	"github.com/lambdaguard/lambdaguard/scope"
)

// A cleanup that a stray goroutine registers right as the handler returns
// is either refused (the scope closed) or run with a deadline: never left
// unbounded, whatever the moment it comes at.
func TestStrayCleanupIsBoundedOrRefused(t *testing.T) {
	var unbounded, bounded, refused atomic.Int64
	var cur atomic.Pointer[scope.Scope]
	var delay atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			s := cur.Load()
			if s == nil || !cur.CompareAndSwap(s, nil) {
				runtime.Gosched()
				continue
			}
			for k := delay.Load(); k > 0; k-- {
				runtime.Gosched()
			}
			if s.OnClose(func(c context.Context) error {
				if _, ok := c.Deadline(); ok {
					bounded.Add(1)
				} else {
					unbounded.Add(1)
				}
				return nil
			}) != nil {
				refused.Add(1)
			}
		}
	}()
	h := guard.Wrap(func(ctx context.Context, _ int) (int, error) {
		defer cur.Store(scope.From(ctx))
		return 0, nil
	}, guard.WithTempBase(t.TempDir()))
	for i := range 20_000 {
		delay.Store(int64(i % 8))
		_, _ = h(context.Background(), 0) // no deadline: the fast path's case
	}
	close(stop)
	wg.Wait()
	assert.Zero(t, unbounded.Load(), "cleanups run without a deadline (bounded %d, refused %d)", bounded.Load(), refused.Load())
}

// A record that ends its goroutine (runtime.Goexit, as t.FailNow does) is a
// failed record, and so is the rest of its FIFO group, unrun.
func TestBatchRecordGoexitFails(t *testing.T) {
	h := guard.Wrap(guard.SQS(func(ctx context.Context, m events.SQSMessage) error {
		if m.Body == "exit" {
			runtime.Goexit()
		}
		return nil
	}), guard.WithTempBase(t.TempDir()))
	res, err := h(lambdaCtx("goexit"), sqsEvent(queueARN, "ok", "exit", "ok"))
	require.NoError(t, err)
	assert.Equal(t, []events.SQSBatchItemFailure{{ItemIdentifier: "m01"}}, res.BatchItemFailures)

	var ran []string
	fifo := guard.Wrap(guard.SQS(func(ctx context.Context, m events.SQSMessage) error {
		ran = append(ran, m.Body)
		if m.Body == "a1" {
			runtime.Goexit()
		}
		return nil
	}), guard.WithTempBase(t.TempDir()))
	res, err = fifo(lambdaCtx("goexit-fifo"), sqsEvent(queueARN+".fifo", "A:a1", "A:a2"))
	require.NoError(t, err)
	assert.Equal(t, []string{"a1"}, ran)
	assert.Equal(t, []events.SQSBatchItemFailure{{ItemIdentifier: "m00"}, {ItemIdentifier: "m01"}}, res.BatchItemFailures)
}

// A record that runs until the handler's context ends still has its
// cleanups run with the cleanup reserve, up to the real deadline; a record
// not started by then is failed unrun.
func TestBatchRecordCleanupsGetTheReserve(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var started []string
		var cleanupErr []error
		h := guard.Wrap(guard.SQS(func(ctx context.Context, m events.SQSMessage) error {
			started = append(started, m.Body)
			_ = scope.From(ctx).OnClose(func(ctx context.Context) error {
				time.Sleep(10 * time.Millisecond) // an upload, a flush
				cleanupErr = append(cleanupErr, ctx.Err())
				return nil
			})
			<-ctx.Done() // runs until the handler's context ends
			return ctx.Err()
		}), guard.WithTempBase(t.TempDir()), guard.WithCleanupReserve(200*time.Millisecond))
		ctx, cancel := context.WithTimeout(lambdaCtx("reserve"), 500*time.Millisecond)
		defer cancel()
		res, err := h(ctx, sqsEvent(queueARN, "a", "b"))
		require.NoError(t, err)
		assert.Equal(t, []string{"a"}, started, "b was not started after the handler's context ended")
		assert.Len(t, res.BatchItemFailures, 2)
		assert.Equal(t, []error{nil}, cleanupErr, "the record's cleanup ran whole, with the reserve")
	})
}

// Cutting a streamed body at the start of the reserve does not close it
// under a Read in progress (a gzip.Reader is not safe for that): the next
// Read says it was cut.
func TestStreamCutDoesNotRaceRead(t *testing.T) {
	release := make(chan struct{})
	h := guard.Wrap(func(ctx context.Context, _ event) (io.ReadCloser, error) {
		pr, pw := io.Pipe()
		go func() {
			zw := gzip.NewWriter(pw)
			_, _ = zw.Write(bytes.Repeat([]byte("a"), 1000))
			_ = zw.Flush()
			<-release // a slow producer
			_ = zw.Close()
			_ = pw.Close()
		}()
		return gzip.NewReader(pr)
	}, guard.WithTempBase(t.TempDir()), guard.WithCleanupReserve(100*time.Millisecond))
	ctx, cancel := context.WithTimeout(lambdaCtx("cut"), 250*time.Millisecond)
	defer cancel()
	r, err := h(ctx, event{})
	require.NoError(t, err)
	buf := make([]byte, 1000)
	_, err = io.ReadFull(r, buf)
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { _, err := r.Read(buf); done <- err }() // blocks inside gzip's Read
	time.Sleep(300 * time.Millisecond)                 // past the cut (run with -race)
	close(release)
	<-done
	_, err = r.Read(buf)
	assert.ErrorContains(t, err, "cut at the start of the cleanup reserve")
	assert.NoError(t, r.Close())
}

// In debug mode, a goroutine that a streamed invocation's cleanup starts is
// the invocation's, as it is for one that is not streamed.
func TestStreamedCleanupGoroutineAttributed(t *testing.T) {
	stop := leakStop(t)
	h, c := debugGuard(t, func(ctx context.Context, _ request) (io.Reader, error) {
		_ = scope.From(ctx).OnClose(func(context.Context) error {
			go leakForever(stop)
			return nil
		})
		return strings.NewReader("body"), nil
	})
	r, err := h(lambdaCtx("streamed-debug"), request{})
	require.NoError(t, err)
	_, err = io.ReadAll(r)
	require.NoError(t, err)
	gs := c.findings(guard.KindGoroutine)
	require.Len(t, gs, 1, "%+v", c.reports)
	// leakForever's: its name may be scrubbed, "leak" being an earlier
	// test's request string.
	assert.Contains(t, gs[0].Path, "debug_test.go:")
}
