package guard_test

import (
	"context"
	"log/slog"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdaguard/lambdaguard/guard"
)

// TestEndNeverOpensTheTempDirsName: a handler leaves a subdirectory, moves
// its temp dir away and puts a FIFO at its name. The invocation's end (the
// measure, then the wipe) must not open the name: an open(2) of the FIFO
// would block it for good.
func TestEndNeverOpensTheTempDirsName(t *testing.T) {
	base := t.TempDir()
	var dir string
	h := guard.Wrap(func(ctx context.Context, _ string) (string, error) {
		p, err := leaveSubdir(ctx, &dir)
		if err != nil {
			return "", err
		}
		if err := os.Rename(p, p+".aside"); err != nil {
			return "", err
		}
		return "ok", syscall.Mkfifo(p, 0o600)
	}, guard.WithTempBase(base), guard.WithLogger(slog.New(slog.DiscardHandler)))
	done := make(chan error, 1)
	go func() { _, err := h(context.Background(), "x"); done <- err }()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(3 * time.Second):
		for {
			if fd, err := syscall.Open(dir, syscall.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
				_ = syscall.Close(fd)
			}
			select {
			case <-done:
				t.Fatalf("the invocation's end blocked opening the FIFO put at %s", dir)
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
	entries, err := os.ReadDir(dir + ".aside")
	require.NoError(t, err)
	assert.Empty(t, entries, "the temp dir, moved away, is emptied")
}
