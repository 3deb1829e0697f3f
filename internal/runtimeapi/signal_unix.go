//go:build unix

package runtimeapi

import (
	"os/exec"
	"syscall"
)

// The bootstrap runs in its own process group so that a freeze, a thaw and a kill reach
// whatever it started too, as they reach the whole sandbox on Lambda.

func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

func freezeGroup(pid int) error { return syscall.Kill(-pid, syscall.SIGSTOP) }

func thawGroup(pid int) error { return syscall.Kill(-pid, syscall.SIGCONT) }

func killGroup(pid int) error { return syscall.Kill(-pid, syscall.SIGKILL) }

// terminate sends SIGTERM to the runtime process alone, as Lambda does at shutdown.
func terminate(pid int) error { return syscall.Kill(pid, syscall.SIGTERM) }
