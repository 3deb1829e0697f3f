//go:build !amd64 && !arm64

package snapshot

// prefetch does nothing where the package has no instruction for it.
func prefetch(p uintptr) {}
