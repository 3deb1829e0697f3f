//go:build unix

package runtimeapi

import "syscall"

func readFD(fd uintptr, p []byte) (int, error) { return syscall.Read(int(fd), p) }

var errAgain, errInterrupted error = syscall.EAGAIN, syscall.EINTR
