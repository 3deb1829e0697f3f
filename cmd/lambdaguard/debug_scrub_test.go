package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/lambdaguard/lambdaguard/internal/testbin"
)

// TestDebugRunnerScrubsEveryCaller runs testdata/spool, whose two invocations at once each
// leave a file named after their caller's e-mail and token, with --concurrency 2: each
// report sees both files, and nothing the runner prints — the reports' summary, the function's
// log lines, the responses — carries any caller's e-mail or token.
func TestDebugRunnerScrubsEveryCaller(t *testing.T) {
	callers := []struct{ email, token string }{
		{"alice@example.com", "tok_live_ALICE_0123456789"},
		{"bob@example.org", "tok_live_BOB_9876543210"},
	}
	var lines []string
	for _, c := range callers {
		lines = append(lines, fmt.Sprintf(`{"email":%q,"token":%q}`, c.email, c.token))
	}
	res := runCLI(t, nil, "run", "--concurrency", "2", "--timeout", "20s",
		"--events", writeEvents(t, lines...), testbin.Build(t, "./testdata/spool"))
	assert.Equal(t, exitFindings, res.code, "the spooled files are reported")
	assert.Contains(t, summaryOf(res.out), "tempfile")
	for _, c := range callers {
		for _, s := range []string{c.email, c.token} {
			if strings.Contains(res.out+res.err, s) {
				t.Errorf("the runner's output carries %q", s)
			}
		}
	}
}
