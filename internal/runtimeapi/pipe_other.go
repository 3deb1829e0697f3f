//go:build !unix && !windows

package runtimeapi

import "errors"

// readFD lets the package build where the runner does not run (see signal_other.go).
func readFD(uintptr, []byte) (int, error) { return 0, errors.ErrUnsupported }

var errAgain, errInterrupted = errors.New("runtimeapi: would block"), errors.New("runtimeapi: interrupted")
