package guard_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/lambdaguard/lambdaguard/guard"
)

// leaveSubdir is a handler's start shared by the temp-dir tests that take
// something away from the directory: it makes the temp dir, with a
// subdirectory holding a file, and keeps its path in dir.
func leaveSubdir(ctx context.Context, dir *string) (string, error) {
	p, err := guard.TempDir(ctx)
	if err != nil {
		return "", err
	}
	*dir = p
	if err := os.Mkdir(filepath.Join(p, "sub"), 0o700); err != nil {
		return "", err
	}
	return p, os.WriteFile(filepath.Join(p, "sub", "request-data"), []byte("secret"), 0o600)
}

// A handler (Lambda runs functions as a user that is not root) takes
// permissions off its own temp directory, with a file and a subdirectory in
// it: search (0, 0600, 0200), or read (0300, where the subdirectory needs a
// Root, which cannot be opened on a directory that cannot be read). The wipe
// gives the mode back through the locked descriptor, which needs none, and
// removes it all. .ci/run runs it as such a user.
func TestWipeDirWithPermissionsTakenAway(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root bypasses the permission check; run as a non-root user")
	}
	for _, mode := range []os.FileMode{0, 0o600, 0o200, 0o300} {
		base := t.TempDir()
		var dir string
		h := guard.Wrap(func(ctx context.Context, _ string) (string, error) {
			p, err := leaveSubdir(ctx, &dir)
			if err != nil {
				return "", err
			}
			_ = os.WriteFile(filepath.Join(p, "request-data"), []byte("secret"), 0o600)
			return "ok", os.Chmod(p, mode)
		}, guard.WithTempBase(base))
		if _, err := h(context.Background(), "x"); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Lstat(dir); err == nil {
			_ = os.Chmod(dir, 0o700)
			_, ferr := os.Stat(filepath.Join(dir, "request-data"))
			t.Errorf("mode %04o: %s survived the invocation (its file: %v)", mode, dir, ferr)
		}
	}
}
