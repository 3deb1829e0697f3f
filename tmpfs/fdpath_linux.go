package tmpfs

import (
	"os"
	"strconv"
)

// fdPath returns a name that leads to the very file f is open on, whatever
// has become of its own name: the descriptor's entry in /proc/self/fd
// (proc(5)), whose link the kernel resolves to the open file itself.
func fdPath(f *os.File) string { return "/proc/self/fd/" + strconv.Itoa(int(f.Fd())) }
