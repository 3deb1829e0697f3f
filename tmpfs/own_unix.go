//go:build unix

package tmpfs

import (
	"io/fs"
	"os"
	"syscall"
)

// ownDir reports whether info describes a directory New could have made: a
// real directory with mode perm (0700, or setupMode for one New did not
// finish), owned by this process's user.
func ownDir(info fs.FileInfo, perm fs.FileMode) bool {
	if !info.IsDir() || info.Mode().Perm() != perm {
		return false
	}
	st, ok := info.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == os.Geteuid()
}
