package guard_test

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdaguard/lambdaguard/guard"
)

// logBuffer is a slog destination that tests read back.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *logBuffer) lines() []string {
	return strings.Split(strings.TrimSpace(b.String()), "\n")
}

func (b *logBuffer) reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Reset()
}

// TestTempRootClosedByHandler: a handler that closes the Root TempRoot gave
// it, as Go code does with defer, still has its directory wiped: nothing is
// left under the temp base, nothing is logged as failed, and the next
// invocation starts with an empty directory of its own.
func TestTempRootClosedByHandler(t *testing.T) {
	base := t.TempDir()
	var logs logBuffer
	h := guard.Wrap(func(ctx context.Context, secret string) (string, error) {
		root, err := guard.TempRoot(ctx)
		if err != nil {
			return "", err
		}
		defer root.Close()
		if _, err := root.Stat("upload"); !errors.Is(err, fs.ErrNotExist) {
			return "", errors.New("the previous invocation's file is visible")
		}
		if err := root.WriteFile("upload", []byte(secret), 0o600); err != nil {
			return "", err
		}
		// A second Root is a Root of its own: closing one leaves the other.
		again, err := guard.TempRoot(ctx)
		if err != nil {
			return "", err
		}
		if err := again.Close(); err != nil {
			return "", err
		}
		b, err := root.ReadFile("upload")
		return string(b), err
	}, guard.WithTempBase(base), guard.WithDebug(false),
		guard.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))

	for i, secret := range []string{"alice's data", "bob's data"} {
		out, err := h(lambdaCtx("req-"+secret[:3]), secret)
		require.NoError(t, err, "invocation %d", i+1)
		assert.Equal(t, secret, out)
		assert.Empty(t, entries(t, base), "invocation %d left its directory behind", i+1)
	}
	assert.Empty(t, logs.String(), "the wipe did not fail")
}

// TestTempRootKeptIsClosed: a Root kept past the invocation (by a goroutine,
// a package-level variable) is closed when the invocation ends; it cannot
// write into the next one's, nor leave a descriptor open.
func TestTempRootKeptIsClosed(t *testing.T) {
	base := t.TempDir()
	var kept *os.Root
	var reports []guard.Report
	h := guard.Wrap(func(ctx context.Context, _ string) (string, error) {
		root, err := guard.TempRoot(ctx)
		if err != nil {
			return "", err
		}
		kept = root
		return "", root.WriteFile("f", []byte("x"), 0o600)
	}, guard.WithTempBase(base), guard.WithDebug(true),
		guard.WithLogger(slog.New(slog.DiscardHandler)),
		guard.WithReporter(func(r guard.Report) { reports = append(reports, r) }))

	_, err := h(lambdaCtx("keeper"), "")
	require.NoError(t, err)
	require.NotNil(t, kept)
	assert.Error(t, kept.WriteFile("late", []byte("x"), 0o600), "closed at the end of the invocation")
	assert.Empty(t, entries(t, base))
	for _, r := range reports {
		for _, f := range r.Findings {
			assert.NotEqual(t, guard.KindFD, f.Kind, "the guard closed the Root: %+v", f)
		}
	}
	_, err = guard.TempRoot(context.Background())
	assert.ErrorIs(t, err, guard.ErrNoInvocation)
}
