package procstate

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestConcurrentSnapshotNotAnFD: while one invocation's snapshot reads
// /proc/self/fd, another's must not report that descriptor as opened.
func TestConcurrentSnapshotNotAnFD(t *testing.T) {
	before := Take(Options{})
	other, err := os.Open("/proc/self/fd") // what a concurrent snapshot holds open
	require.NoError(t, err)
	defer other.Close()
	tcp, err := os.Open("/proc/self/net/tcp")
	require.NoError(t, err)
	defer tcp.Close()
	for _, c := range Diff(before, Take(Options{}), nil) {
		assert.False(t, c.What == FD && strings.HasPrefix(c.New, "/proc/"), "reported %+v", c)
	}
}
