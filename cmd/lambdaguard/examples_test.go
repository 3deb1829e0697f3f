package main

import (
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestExamples builds every example under examples/ and runs it through the runner with
// the built-in sample events, the way the README's main command does: the leaky example
// must be caught (exit 3, findings that do not show the leaked value), the others must not.
func TestExamples(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skipf("the runner runs linux bootstraps; this is %s", runtime.GOOS)
	}
	root := filepath.Join("..", "..")
	mains, err := filepath.Glob(filepath.Join(root, "examples", "*", "main.go"))
	require.NoError(t, err)
	var names []string
	for _, m := range mains {
		names = append(names, filepath.Base(filepath.Dir(m)))
	}
	for _, want := range []string{"basic", "leaky"} {
		if !slices.Contains(names, want) {
			names = append(names, want)
		}
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(root, "examples", name)
			if _, err := os.Stat(filepath.Join(dir, "main.go")); err != nil {
				t.Skipf("examples/%s does not exist yet", name)
			}
			args, status := []string{"run"}, `status 2\d\d, `
			if name == "batch" {
				// An SQS function: a batch, twice, and no HTTP status.
				args, status = append(args, "--sample", "sqs", "--repeat", "2"), ""
			}
			res := runCLI(t, nil, append(args, "./"+filepath.ToSlash(dir))...)
			assert.Regexp(t, `invocation 1/2: ok, `+status+`.*cold start`, res.out, "the process ran and answered")
			assert.Regexp(t, `invocation 2/2: ok, `+status+`.*warm start`, res.out)
			if name == "leaky" {
				assert.Equal(t, exitFindings, res.code, "the leak is caught")
				summary := summaryOf(res.out)
				require.NotEmpty(t, summary, "a findings summary is printed")
				assert.NotContains(t, summary, "hoge", "the findings do not repeat the leaked value")
				return
			}
			assert.Equal(t, exitOK, res.code)
			assert.Contains(t, res.out, "lambdaguard: no leaks found")
		})
	}
}
