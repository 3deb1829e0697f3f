package main

import (
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestGoVetTool builds the command and runs it as go vet's vet tool, from
// each example's directory: the leaky example's findings come out in go
// vet's format and fail the run, the basic example passes.
func TestGoVetTool(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the tool and runs go vet")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	tool := filepath.Join(t.TempDir(), "lambdaguard-vet")
	out, err := exec.Command(goTool, "build", "-o", tool, ".").CombinedOutput()
	require.NoError(t, err, "%s", out)

	root := filepath.Join("..", "..", "..")
	for _, tc := range []struct {
		dir   string
		clean bool
		want  []string
	}{
		{dir: "examples/leaky", want: []string{
			`main\.go:\d+:\d+: write to package-level variable lastMessage.*\(handler handle: handle\)`,
			`main\.go:\d+:\d+: os\.WriteFile creates a file under the process temp dir`,
			`main\.go:\d+:\d+: os\.Setenv changes the process environment`,
			`main\.go:\d+:\d+: goroutine started and not joined`,
		}},
		{dir: "examples/basic", clean: true},
	} {
		t.Run(tc.dir, func(t *testing.T) {
			cmd := exec.Command(goTool, "vet", "-vettool="+tool, ".")
			cmd.Dir = filepath.Join(root, filepath.FromSlash(tc.dir))
			out, err := cmd.CombinedOutput()
			t.Logf("go vet -vettool in %s:\n%s", tc.dir, out)
			if tc.clean {
				assert.NoError(t, err)
				assert.Empty(t, string(out))
				return
			}
			assert.Error(t, err, "findings fail go vet")
			for _, w := range tc.want {
				assert.Regexp(t, w, string(out))
			}
		})
	}
}
