package tmpfs

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// FuzzDirName turns arbitrary request ids into directory names: the name is
// always one safe path element of the exact shape Sweep recognises, so a
// directory New makes is never mistaken for someone else's nor missed.
func FuzzDirName(f *testing.F) {
	for _, s := range []string{
		"8f2c-req", "../../etc", "..", "/etc/passwd", "-rf", "line\nbreak", "\xff\xfe",
		"req\x00id", "", strings.Repeat("x", 5000), "a-b-c", "0123456789abcdef",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		s := sanitize(id)
		if len(s) > maxNameLen || strings.ContainsAny(s, "/.\x00\n") || strings.HasPrefix(s, "-") {
			t.Fatalf("sanitize(%q) = %q", id, s)
		}
		if sanitize(s) != s {
			t.Fatalf("sanitize is not idempotent on %q", s)
		}
		name := dirName(id)
		if !strings.HasPrefix(name, Prefix) || strings.ContainsAny(name, "/\x00") || name == "." || name == ".." {
			t.Fatalf("dirName(%q) = %q", id, name)
		}
		if !ownName(name) {
			t.Fatalf("Sweep would not recognise %q (for %q)", name, id)
		}
		ownName(id) // arbitrary names never panic
	})
}

// ownName knows the names New gives, and nothing else.
func TestOwnName(t *testing.T) {
	d, err := New(t.TempDir(), "req-1")
	require.NoError(t, err)
	defer d.Wipe()
	assert.True(t, ownName(filepath.Base(d.Path())))
	for _, name := range []string{"lambdaguard-build-123456789", "lambdaguard-", "leaky-last-message.txt", Prefix + "x-0123456789ABCDEF"} {
		assert.False(t, ownName(name), name)
	}
}
