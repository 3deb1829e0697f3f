//go:build !unix

package tmpfs

import "io/fs"

func ownDir(info fs.FileInfo) bool { return info.IsDir() }

func madeHere(info fs.FileInfo) bool { return info.IsDir() }

func settingUp(fs.FileMode) bool { return true }
