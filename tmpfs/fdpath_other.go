//go:build !linux

package tmpfs

import "os"

// fdPath returns "": elsewhere there is no portable name for an open
// descriptor, and a Dir whose name has been given to something else cannot
// be opened as a Root again.
func fdPath(*os.File) string { return "" }
