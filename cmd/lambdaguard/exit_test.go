package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// The exit status says how the run went: 0 only when every invocation succeeded and nothing
// leaked (or, with --expect-findings, something did); 3 findings; 4 failed invocations,
// which wins over 3 (what failed was not checked either); 1 when the run could not go on.
func TestRunExitStatuses(t *testing.T) {
	const (
		warm    = `{"queryStringParameters":{"message":"hoge"}}`
		leak    = `{"queryStringParameters":{"message":"fuga"}}`
		timeout = `{"action":"sleep","ms":60000}`
	)
	tests := []struct {
		name   string
		events []string
		flags  []string
		code   int
		says   string
	}{
		{name: "clean", events: []string{warm}, code: exitOK, says: "no leaks found"},
		{name: "findings", events: []string{warm, leak}, code: exitFindings, says: "2 findings in 1 invocation"},
		{name: "failed", events: []string{warm, timeout}, code: exitInvocations, says: "1 invocation failed: exit status 4"},
		{name: "failed and findings", events: []string{warm, leak, timeout}, code: exitInvocations, says: "1 invocation failed: exit status 4"},
		{name: "expected findings", events: []string{warm, leak}, flags: []string{"--expect-findings"}, code: exitOK, says: "findings were expected (--expect-findings): ok"},
		{name: "expected findings, none", events: []string{warm}, flags: []string{"--expect-findings"}, code: exitFindings, says: "none were reported"},
		{name: "expected findings and failed", events: []string{warm, leak, timeout}, flags: []string{"--expect-findings"}, code: exitInvocations, says: "exit status 4"},
		{name: "init failure", events: []string{warm}, flags: []string{"--env", "FN_INIT=exit"}, code: exitFailure, says: "init failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"run", "--timeout", "300ms", "--events", writeEvents(t, tt.events...)}, tt.flags...)
			res := runCLI(t, nil, append(args, testFunction(t))...)
			assert.Equal(t, tt.code, res.code)
			assert.Contains(t, res.out, tt.says)
		})
	}
}

// The count printed as an invocation ends and the summary's agree: the runner's own
// response check is counted in both.
func TestRunFindingsCountsAgree(t *testing.T) {
	res := runCLI(t, nil, "run", "./testdata/fn")
	assert.Equal(t, exitFindings, res.code)
	assert.Contains(t, res.out, "(lambdaguard report: 1 finding for request")
	assert.Contains(t, res.out, "lambdaguard: 2 findings for this invocation (1 reported by the guard, 1 by the runner's response check), summary below")
	assert.Contains(t, summaryOf(res.out), "2 findings in 1 invocation")
}
