package reliability_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdaguard/lambdaguard/tmpfs"
)

const (
	helperReadOnly = "readonly"
	baseEnv        = "LAMBDAGUARD_RELIABILITY_BASE"
	nobody         = 65534
)

func runHelper(name string) int {
	var err error
	switch name {
	case helperReadOnly:
		err = readOnlyWipe(os.Getenv(baseEnv))
	default:
		err = fmt.Errorf("unknown helper %q", name)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		return 1
	}
	fmt.Println("helper: ok")
	return 0
}

// readOnlyTree fills dir with what a handler can make that its owner cannot
// simply unlink: read-only files in read-only directories, directories with
// no permission at all, a write-only directory, and dir itself read-only.
func readOnlyTree(dir string) error {
	for _, p := range []string{"ro/inner", "none", "writeonly", "deep/a/b/c"} {
		if err := os.MkdirAll(filepath.Join(dir, p), 0o700); err != nil {
			return err
		}
	}
	for _, p := range []string{"ro/inner/file", "ro/file", "none/file", "writeonly/file", "deep/a/b/c/file", "top"} {
		if err := os.WriteFile(filepath.Join(dir, p), []byte("read only"), 0o400); err != nil {
			return err
		}
	}
	for _, c := range []struct {
		p    string
		mode fs.FileMode
	}{
		{"ro/inner", 0o500}, {"ro", 0o500}, {"none", 0}, {"writeonly", 0o300},
		{"deep/a/b/c", 0o500}, {"deep/a", 0o100}, {"top", 0}, {".", 0o500},
	} {
		if err := os.Chmod(filepath.Join(dir, c.p), c.mode); err != nil {
			return err
		}
	}
	return nil
}

// readOnlyWipe runs as a user that permission bits apply to.
func readOnlyWipe(base string) error {
	d, err := tmpfs.New(base, "readonly")
	if err != nil {
		return err
	}
	if err := readOnlyTree(d.Path()); err != nil {
		return fmt.Errorf("making the tree: %w", err)
	}
	// Prove the bits hold for this user: a plain unlink is refused.
	if err := os.Remove(filepath.Join(d.Path(), "ro", "inner", "file")); !errors.Is(err, fs.ErrPermission) {
		return fmt.Errorf("permission bits are not enforced for uid %d (remove: %v)", os.Geteuid(), err)
	}
	if err := d.Wipe(); err != nil {
		return fmt.Errorf("wipe: %w", err)
	}
	if _, err := os.Lstat(d.Path()); !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("wipe left %s behind (%v)", d.Path(), err)
	}

	// The same tree left by a killed process is swept.
	stale := filepath.Join(base, tmpfs.Prefix+"killed-0123456789abcdef")
	if err := os.Mkdir(stale, 0o700); err != nil {
		return err
	}
	if err := readOnlyTree(stale); err != nil {
		return err
	}
	if err := os.Chmod(stale, 0o700); err != nil { // Sweep only takes directories of New's mode
		return err
	}
	n, err := tmpfs.Sweep(base)
	if err != nil || n != 1 {
		return fmt.Errorf("sweep removed %d, err %v", n, err)
	}
	if _, err := os.Lstat(stale); !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("sweep left %s behind (%v)", stale, err)
	}
	return nil
}

// TestWipeReadOnlyAsUnprivilegedUser checks that read-only files and
// directories, and a temp directory made read-only itself, are wiped and
// swept. Root ignores permission bits, so under root the wipe runs in a child
// process (this test binary again) as the user nobody, on a base that user
// owns.
func TestWipeReadOnlyAsUnprivilegedUser(t *testing.T) {
	if os.Geteuid() != 0 {
		base := t.TempDir()
		if err := readOnlyWipe(base); err != nil {
			t.Fatal(err)
		}
		emptyDir(t, base)
		return
	}
	work, err := os.MkdirTemp("", "reliability-nobody-")
	require.NoError(t, err)
	defer os.RemoveAll(work)
	require.NoError(t, os.Chmod(work, 0o755))
	exe := filepath.Join(work, "reliability.test")
	copyFile(t, exe)
	base := filepath.Join(work, "base")
	require.NoError(t, os.Mkdir(base, 0o700))
	require.NoError(t, os.Chown(base, nobody, nobody))

	var out bytes.Buffer
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = []string{helperEnv + "=" + helperReadOnly, baseEnv + "=" + base, "TMPDIR=" + base}
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
	if err := cmd.Start(); err != nil {
		t.Skipf("cannot start a process as uid %d here (%v): read-only removal is untested for a user that permission bits apply to", nobody, err)
	}
	err = cmd.Wait()
	require.NoError(t, err, "helper as uid %d:\n%s", nobody, out.String())
	assert.Contains(t, out.String(), "helper: ok")
	emptyDir(t, base)
}

func copyFile(t *testing.T, dst string) {
	t.Helper()
	src, err := os.Executable()
	require.NoError(t, err)
	in, err := os.Open(src)
	require.NoError(t, err)
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	require.NoError(t, err)
	_, err = io.Copy(out, in)
	require.NoError(t, err)
	require.NoError(t, out.Close())
}

// TestWipeManyFiles wipes 100,000 files spread over 100 directories.
func TestWipeManyFiles(t *testing.T) {
	if testing.Short() {
		t.Skip("100k files: skipped with -short")
	}
	base := t.TempDir()
	d, err := tmpfs.New(base, "many")
	require.NoError(t, err)
	r := d.Root()
	for i := range 100 {
		sub := fmt.Sprintf("d%03d", i)
		require.NoError(t, r.Mkdir(sub, 0o700))
		for j := range 1000 {
			f, err := r.OpenFile(fmt.Sprintf("%s/f%04d", sub, j), os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o600)
			require.NoError(t, err)
			require.NoError(t, f.Close())
		}
	}
	u, err := d.Usage()
	require.NoError(t, err)
	require.Equal(t, 100_000, u.Files)
	require.NoError(t, d.Wipe())
	gone(t, d.Path())
	emptyDir(t, base)
}

// TestWipeDeeperThanPathMax wipes a tree whose deepest path is longer than
// PATH_MAX (4096 bytes on Linux): no path-based removal can reach its bottom.
func TestWipeDeeperThanPathMax(t *testing.T) {
	base := t.TempDir()
	d, err := tmpfs.New(base, "deep")
	require.NoError(t, err)
	elem := strings.Repeat("n", 100)
	var rel []string
	for range 60 { // 60 × 101 bytes: 6,060 bytes below the directory
		rel = append(rel, elem)
	}
	deep := strings.Join(rel, "/")
	require.Greater(t, len(filepath.Join(d.Path(), deep)), 4096)
	require.NoError(t, d.Root().MkdirAll(deep, 0o700))
	require.NoError(t, d.Root().WriteFile(deep+"/bottom", []byte("x"), 0o400))
	require.NoError(t, d.Root().Symlink("/", deep+"/up"))
	u, err := d.Usage()
	require.NoError(t, err)
	require.Equal(t, 60, u.Dirs)

	require.NoError(t, d.Wipe())
	gone(t, d.Path())
	emptyDir(t, base)
}

// TestWipeOddNames wipes names that trip up shells and naive code: newlines,
// invalid UTF-8, leading dashes, spaces, globs, backslashes, dot-prefixes.
func TestWipeOddNames(t *testing.T) {
	base := t.TempDir()
	d, err := tmpfs.New(base, "odd")
	require.NoError(t, err)
	names := []string{
		"new\nline", "\n", "\xff\xfe\xfd", "bad\x80utf8", "-rf", "--", "-", "--no-preserve-root",
		" ", "trailing ", "*", "?[a]", "back\\slash", ".hidden", "...", "tab\tname", "\x01\x1f",
		"\u202eevil", strings.Repeat("L", 255),
	}
	for _, n := range names {
		require.NoError(t, d.Root().WriteFile(n, []byte(n), 0o600), "%q", n)
		require.NoError(t, d.Root().MkdirAll("dirs/"+n+"/"+n, 0o700), "%q", n)
	}
	require.NoError(t, d.Wipe())
	gone(t, d.Path())
	emptyDir(t, base)
}
