// Package bootstrap builds a Go function into the executable Lambda runs, the way it is built
// for the provided.al2023 runtime: GOOS=linux, CGO_ENABLED=0. It is the one recipe behind
// lambdaguard run's package targets and the bootstraps of the project's end-to-end tests.
package bootstrap

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Build compiles the Go package in dir into an executable at out. The other build settings
// (GOARCH, GOFLAGS, the module cache) come from the environment. A package that does not
// build gives an error whose text is the go command's output, as a developer would read it
// in a terminal.
func Build(ctx context.Context, dir, out string) error {
	out, err := filepath.Abs(out) // the go command runs in dir
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOOS=linux", "CGO_ENABLED=0")
	b, err := cmd.CombinedOutput()
	if err == nil {
		return nil
	}
	if msg := strings.TrimSpace(string(b)); msg != "" {
		return errors.New(msg)
	}
	return err
}
