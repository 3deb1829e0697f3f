//go:build !unix

package runtimeapi

import (
	"errors"
	"os"
	"os/exec"
)

// errNoSignals: freezing a process needs SIGSTOP and SIGCONT, which only Unix systems have.
var errNoSignals = errors.New("runtimeapi: freeze and thaw need a Unix system")

func setProcessGroup(*exec.Cmd) {}

func freezeGroup(int) error { return errNoSignals }

func thawGroup(int) error { return errNoSignals }

func killGroup(pid int) error {
	p, err := os.FindProcess(pid)
	if err != nil {
		return err
	}
	return p.Kill()
}

func terminate(pid int) error { return killGroup(pid) }
