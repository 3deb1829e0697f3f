package main

import (
	"flag"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdaguard/lambdaguard/cmd/lambdaguard/internal/trigger"
	"github.com/lambdaguard/lambdaguard/internal/testbin"
)

// Every trigger's event, piped into "run --events -", reaches a function that decodes it
// strictly into its aws-lambda-go type, and comes back the same.
func TestEventEveryTriggerThroughRun(t *testing.T) {
	fn := testbin.Build(t, "./testdata/triggers")
	for _, name := range trigger.Names() {
		t.Run(name, func(t *testing.T) {
			ev := runCLI(t, nil, "event", name, "--message", "hoge", "--body", `{"a":1}`)
			require.Equal(t, exitOK, ev.code)
			require.Empty(t, ev.err)
			res := runCLI(t, strings.NewReader(ev.out), "run", "--debug=false", "--env", "TRIGGER="+name, "--events", "-", fn)
			require.Equal(t, exitOK, res.code, "the function decoded the event")
			want := strings.TrimPrefix(fmt.Sprintf("%T", trigger.Type(name)), "*")
			assert.Contains(t, res.out, `{"type":"`+want+`","intact":true}`, "decoded as %s, and nothing lost", want)
			carried := map[string]string{"kinesis": "aG9nZQ==", "s3": "", "schedule": ""} // base64; no message
			marker, ok := carried[name]
			if !ok {
				marker = "hoge"
			}
			assert.Contains(t, ev.out, marker, "the message is in the event")
		})
	}
}

func TestEventOptions(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		lines int
		want  []string
	}{
		{name: "one event is indented", args: []string{"sqs"}, lines: 0, want: []string{"{\n  \"Records\": [", `"body": "message 1"`}},
		{name: "several are JSON lines", args: []string{"apigw-v2", "--message", "hoge", "--message", "fuga"}, lines: 2, want: []string{`"rawQueryString":"message=hoge"`, `"rawQueryString":"message=fuga"`}},
		{name: "count", args: []string{"sns", "--count", "3"}, lines: 3, want: []string{`"Message":"message 3"`}},
		{name: "flags after", args: []string{"alb", "--method", "DELETE", "--path", "/x"}, lines: 0, want: []string{`"httpMethod": "DELETE"`, `"path": "/x"`}},
		{name: "region", args: []string{"--region", "ap-south-1", "kinesis"}, lines: 0, want: []string{"arn:aws:kinesis:ap-south-1:123456789012:stream/my-stream"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := runCLI(t, nil, append([]string{"event"}, tt.args...)...)
			require.Equal(t, exitOK, res.code)
			if tt.lines > 0 {
				assert.Equal(t, tt.lines, strings.Count(res.out, "\n"))
			}
			for _, w := range tt.want {
				assert.Contains(t, res.out, w)
			}
		})
	}
}

func TestEventUsage(t *testing.T) {
	tests := []struct {
		args []string
		code int
		want string
	}{
		{args: []string{"event"}, code: exitUsage, want: "want one trigger (alb, apigw-v1"},
		{args: []string{"event", "sqs", "sns"}, code: exitUsage, want: "got 2"},
		{args: []string{"event", "kafka"}, code: exitUsage, want: `no trigger "kafka"`},
		{args: []string{"event", "sqs", "--count", "-2"}, code: exitUsage, want: "must not be negative"},
		{args: []string{"event", "sqs", "--bogus"}, code: exitUsage, want: "flag provided but not defined: -bogus"},
	}
	for _, tt := range tests {
		res := runCLI(t, nil, tt.args...)
		assert.Equal(t, tt.code, res.code, "%v", tt.args)
		assert.Contains(t, res.err, tt.want)
	}
	help := runCLI(t, nil, "event", "--help")
	require.Equal(t, exitOK, help.code)
	for _, n := range trigger.Names() {
		assert.Contains(t, help.out, "\n  "+n+" ", "trigger %s is listed", n)
	}
	var o trigger.Options
	eventFlags(&o).VisitAll(func(f *flag.Flag) {
		assert.Contains(t, help.out, "--"+f.Name+" ", "flag --%s is documented", f.Name)
	})
}

// Two callers made with "event", piped into run, show the warm-start leak of the default
// sample: the events work as the runner's input as they are.
func TestEventPipedIntoRun(t *testing.T) {
	ev := runCLI(t, nil, "event", "apigw-v2", "--message", "hoge", "--message", "fuga")
	require.Equal(t, exitOK, ev.code)
	res := runCLI(t, strings.NewReader(ev.out), "run", "--events", "-", testFunction(t))
	assert.Equal(t, exitFindings, res.code)
	assert.Contains(t, res.out, "invocation 2/2 (stdin:2)")
	assert.Contains(t, res.out, "message=fuga previous=hoge")
}
