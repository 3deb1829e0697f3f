//go:build amd64 || arm64

package snapshot

// prefetch asks the processor to bring the memory at p into its caches,
// without waiting for it: a hint, which never faults, whatever p is.
//
//go:noescape
func prefetch(p uintptr)
