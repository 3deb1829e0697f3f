//go:build !unix

package tmpfs

import "io/fs"

func ownDir(info fs.FileInfo, _ fs.FileMode) bool { return info.IsDir() }
