package tracing_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/lambdaguard/lambdaguard/scope"
	"github.com/lambdaguard/lambdaguard/tracing"
)

// blockingFlush is a provider whose ForceFlush waits for its context.
type blockingFlush struct {
	*sdktrace.TracerProvider
	wg sync.WaitGroup
	n  atomic.Int32 // flushes started
}

func (b *blockingFlush) ForceFlush(ctx context.Context) error {
	b.wg.Add(1)
	defer b.wg.Done()
	b.n.Add(1)
	<-ctx.Done()
	return ctx.Err()
}

func (b *blockingFlush) flushing() int32 { return b.n.Load() }

// Middleware alone registers its flush with the scope: a Close whose context
// is cancelled stops the flush, which reports the cancellation instead of
// being left behind until the flush timeout.
func TestFlushStopsWhenTheScopesCloseIsCancelled(t *testing.T) {
	lambdaEnv(t)
	tp, _ := recorder(t)
	bp := &blockingFlush{TracerProvider: tp}
	mw := tracing.Middleware(tracing.WithTracerProvider(bp), tracing.WithFlushTimeout(time.Minute))
	sc := scope.New(context.Background())
	ctx := scope.NewContext(invocation("r", ""), sc)
	_, err := mw(ctx, events.SQSEvent{}, func(context.Context) (any, error) { return "ok", nil })
	require.NoError(t, err)

	// Cancelled while the flush waits.
	cctx, cancel := context.WithCancel(context.Background())
	go func() {
		for bp.flushing() == 0 {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	err = sc.Close(cctx)
	require.Error(t, err)
	assert.ErrorIs(t, err, context.Canceled)
	assert.NotContains(t, err.Error(), "left behind")
	bp.wg.Wait()
}
