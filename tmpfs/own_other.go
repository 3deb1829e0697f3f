//go:build !unix

package tmpfs

import "io/fs"

func ownDir(info fs.FileInfo) bool { return info.IsDir() }
