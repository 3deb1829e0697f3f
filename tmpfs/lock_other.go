//go:build !unix

package tmpfs

import "os"

// Without flock a live directory cannot be told from a stale one, so Sweep
// removes nothing.
const canLock = false

func lock(*os.File) error { return nil }

func openDir(path string) (*os.File, error) { return os.Open(path) }

func rmdir(path string) error { return os.Remove(path) }
