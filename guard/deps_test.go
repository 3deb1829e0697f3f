package guard_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestNoOpenTelemetryInBasic keeps the promise that a function which does
// not trace does not link OpenTelemetry: only the tracing package may import
// it, and examples/basic, guard, scope and tmpfs reach none of it.
func TestNoOpenTelemetryInBasic(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to list dependencies with")
	}
	// examples/ is a module of its own: its packages are listed from there.
	list := func(dir string, pkgs ...string) string {
		cmd := exec.Command(goTool, append([]string{"list", "-deps"}, pkgs...)...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s", out)
		return string(out)
	}
	out := list("..", "./guard", "./scope", "./tmpfs") + list("../examples", "./basic")
	var otel []string
	for _, pkg := range strings.Fields(out) {
		if strings.Contains(pkg, "opentelemetry") {
			otel = append(otel, pkg)
		}
	}
	assert.Empty(t, otel, "OpenTelemetry linked into a function that does not trace")
	assert.Contains(t, out, "github.com/lambdaguard/lambdaguard/guard")
}

// TestNoAnalysisToolsInLibrary keeps the static check's dependencies out of
// what a function links: golang.org/x/tools (go/analysis, go/ssa, go/packages)
// is imported by vet and cmd/lambdaguard only, never by a package a function
// imports.
func TestNoAnalysisToolsInLibrary(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to list dependencies with")
	}
	cmd := exec.Command(goTool, "list", "-deps", "./guard", "./scope", "./tmpfs", "./tracing", "./guardtest")
	cmd.Dir = ".."
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	var tools []string
	for _, pkg := range strings.Fields(string(out)) {
		if strings.HasPrefix(pkg, "golang.org/x/tools") || pkg == "github.com/lambdaguard/lambdaguard/vet" {
			tools = append(tools, pkg)
		}
	}
	assert.Empty(t, tools, "the static check's dependencies linked into the library")
	assert.Contains(t, string(out), "github.com/lambdaguard/lambdaguard/tracing")
}

// TestNoAWSSDKInTracing keeps the AWS SDK out of a function that traces
// without it: only tracing/awssdk imports the SDK and contrib's otelaws.
func TestNoAWSSDKInTracing(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to list dependencies with")
	}
	cmd := exec.Command(goTool, "list", "-deps", "./tracing")
	cmd.Dir = ".."
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	var sdk []string
	for _, pkg := range strings.Fields(string(out)) {
		if strings.HasPrefix(pkg, "github.com/aws/aws-sdk-go-v2") || strings.HasPrefix(pkg, "github.com/aws/smithy-go") || strings.Contains(pkg, "otelaws") {
			sdk = append(sdk, pkg)
		}
	}
	assert.Empty(t, sdk, "the AWS SDK linked into tracing")
	assert.Contains(t, string(out), "github.com/lambdaguard/lambdaguard/tracing")

	cmd = exec.Command(goTool, "list", "-deps", "./tracing/awssdk")
	cmd.Dir = ".."
	out, err = cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Contains(t, string(out), "go.opentelemetry.io/contrib/instrumentation/github.com/aws/aws-sdk-go-v2/otelaws", "tracing/awssdk is built on otelaws")
}
