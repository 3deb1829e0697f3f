package guard

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// After an invocation that left a watched variable as it found it, debug
// mode keeps one released snapshot of it (the one taken before): no second
// snapshot was taken. After one that changed it, two.
func TestDebugTakesNoSecondSnapshotOfAnUnchangedVariable(t *testing.T) {
	counts := map[string]int{"a": 1}
	Watch("counts", &counts)
	t.Cleanup(func() { Unwatch("counts") })
	registry.mu.Lock()
	v := registry.vars["counts"]
	registry.mu.Unlock()
	require.NotNil(t, v)

	h := Wrap(func(_ context.Context, change bool) (string, error) {
		if change {
			counts["a"]++
		}
		return "", nil
	}, WithDebug(true), WithTempBase(t.TempDir()), WithReporter(func(Report) {}))
	spares := func() int {
		v.spareMu.Lock()
		defer v.spareMu.Unlock()
		return len(v.spare)
	}

	_, err := h(context.Background(), false)
	require.NoError(t, err)
	assert.Equal(t, 1, spares(), "unchanged: the snapshot before, and no other")

	_, err = h(context.Background(), true)
	require.NoError(t, err)
	assert.Equal(t, 2, spares(), "changed: a second snapshot, and the diff")
}
