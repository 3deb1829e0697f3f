//go:build !unix

package tmpfs

import "io/fs"

func ownDir(info fs.FileInfo) bool { return info.IsDir() }

func madeHere(info fs.FileInfo) bool { return info.IsDir() }

func removed(fs.FileInfo) bool { return false }
