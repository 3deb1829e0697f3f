//go:build !linux

package tmpfs

import "os"

// fdPath returns "": elsewhere there is no portable name for an open
// descriptor, and New opens the Dir's own Root at once, while the name still
// leads to the directory.
func fdPath(*os.File) string { return "" }
