package guard_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/lambdaguard/lambdaguard/guard"
)

// A handler (Lambda runs functions as a user that is not root) takes the
// search permission off its own temp directory: the wipe gives it back
// through the locked descriptor, which needs none, and removes it all.
// .ci/run runs it as such a user.
func TestWipeDirWithoutSearchPermission(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root bypasses the permission check; run as a non-root user")
	}
	for _, mode := range []os.FileMode{0, 0o600, 0o200} {
		base := t.TempDir()
		var dir string
		h := guard.Wrap(func(ctx context.Context, _ string) (string, error) {
			p, err := guard.TempDir(ctx)
			if err != nil {
				return "", err
			}
			dir = p
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
