package clean

import (
	"context"
	"testing"

	"github.com/lambdaguard/lambdaguard/guard"
)

var lastSeen string

// A test's own handler records what it saw, on purpose: not reported.
func TestHandlerRecords(t *testing.T) {
	var seen []string
	h := guard.Wrap(func(ctx context.Context, s string) (string, error) {
		seen = append(seen, s)
		lastSeen = s
		return s, nil
	})
	_, _ = h(context.Background(), "a")
	// The function's own handler, registered by a test: still checked,
	// and clean.
	_ = guard.Wrap(handle)
}
