//go:build windows

package runtimeapi

import "syscall"

// readFD lets the package build where the runner does not run (see signal_other.go).
func readFD(fd uintptr, p []byte) (int, error) { return syscall.Read(syscall.Handle(fd), p) }

var errAgain, errInterrupted error = syscall.EAGAIN, syscall.EINTR
