package guard

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/google/uuid"

	"github.com/lambdaguard/lambdaguard/internal/detect"
	"github.com/lambdaguard/lambdaguard/tmpfs"
)

// guard is the state one wrapped handler keeps across its invocations: only
// counters and process-level facts, never anything of one invocation.
type guard struct {
	cfg *config
	det *detect.Detector // nil unless debug mode is on

	count    atomic.Uint64
	inFlight atomic.Int64
	lastEnd  atomic.Int64 // UnixNano of the end of the latest invocation
	// fdChecked is the UnixNano of the latest count of open descriptors.
	fdChecked atomic.Int64
	sweep     sync.Once
}

func newGuard(opts []Option) *guard {
	g := &guard{cfg: newConfig(opts)}
	if g.cfg.debug {
		g.det = newDetector(g.cfg)
	}
	return g
}

// requestID returns the Lambda request id carried by ctx, or a new UUID.
func requestID(ctx context.Context) string {
	if lc, ok := lambdacontext.FromContext(ctx); ok && lc.AwsRequestID != "" {
		return lc.AwsRequestID
	}
	return uuid.NewString()
}

// sweepStale removes temp directories that killed invocations left behind.
// It runs once, before the first invocation of the process.
func (g *guard) sweepStale() {
	n, err := tmpfs.Sweep(g.cfg.tempBase)
	if n > 0 {
		g.cfg.logger.Info("lambdaguard: removed stale temp directories", slog.Int("count", n))
	}
	if err != nil {
		g.cfg.logger.Warn("lambdaguard: sweeping stale temp directories", slog.String("error", err.Error()))
	}
}
