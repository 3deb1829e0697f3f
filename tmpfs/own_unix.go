//go:build unix

package tmpfs

import (
	"io/fs"
	"os"
	"syscall"
)

// ownDir reports whether info describes a directory New could have made: a
// real directory, mode 0700, owned by this process's user.
func ownDir(info fs.FileInfo) bool {
	if !info.IsDir() || info.Mode().Perm() != 0o700 {
		return false
	}
	st, ok := info.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == os.Geteuid()
}
