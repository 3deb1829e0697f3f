package report

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		line string
		ok   bool
		want Report
	}{
		{
			name: "slog line",
			line: `{"time":"2024-03-13T12:00:00Z","level":"WARN","msg":"lambdaguard: findings","lambdaguard_report":{"invocation_id":"req-2","findings":[{"kind":"global","name":"last","path":"last.Message","detail":"string len=4 sha256:ab12"}]}}`,
			ok:   true,
			want: Report{InvocationID: "req-2", Findings: []Finding{{Kind: "global", Name: "last", Path: "last.Message", Detail: "string len=4 sha256:ab12"}}},
		},
		{
			name: "bare report with extra finding fields",
			line: `  {"lambdaguard_report":{"invocation_id":"x","findings":[{"kind":"goroutine","name":"main.worker","detail":"started by x","in_flight":["a","b"]}]}}  `,
			ok:   true,
			want: Report{InvocationID: "x", Findings: []Finding{{Kind: "goroutine", Name: "main.worker", Detail: "started by x", InFlight: []string{"a", "b"}}}},
		},
		{name: "plain text", line: "START RequestId: x"},
		{name: "json without the key", line: `{"level":"INFO","msg":"lambdaguard_report is mentioned"}`},
		{name: "key mentioned in a value", line: `{"msg":"\"lambdaguard_report\""}`},
		{name: "truncated", line: `{"lambdaguard_report":{"invocation_id":"x"`},
		{name: "wrong shape", line: `{"lambdaguard_report":"nope"}`},
		{name: "empty", line: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Parse(tt.line)
			assert.Equal(t, tt.ok, ok)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestSummary(t *testing.T) {
	var c Collector
	c.Add(Report{InvocationID: "a"}) // no findings: ignored
	c.Add(Report{InvocationID: "b", Findings: []Finding{{Kind: "global", Name: "last", Path: "last.Message", Detail: "string len=4"}}})
	c.Add(Report{InvocationID: "c", Findings: []Finding{{Kind: "env", Name: "TOKEN", Detail: "set\nlen=8"}}})
	c.Add(Report{InvocationID: "b", Findings: []Finding{{Kind: "tempfile", Name: "/tmp/x", Detail: "file 3 bytes"}}})
	require.Equal(t, 3, c.Findings())
	assert.Equal(t, 2, c.FindingsFor("b"), "both of b's reports")
	assert.Equal(t, 1, c.FindingsFor("c"))
	assert.Zero(t, c.FindingsFor("a"))

	var b strings.Builder
	require.NoError(t, c.WriteSummary(&b, func(id string) string {
		if id == "b" {
			return "invocation 2"
		}
		return ""
	}))
	want := `lambdaguard: 3 findings in 2 invocations:
  invocation 2, request b
    global    last    last.Message  string len=4
    tempfile  /tmp/x  -             file 3 bytes
  invocation, request c
    env  TOKEN  -  set\nlen=8
`
	assert.Equal(t, want, b.String())

	var empty Collector
	b.Reset()
	require.NoError(t, empty.WriteSummary(&b, func(string) string { return "" }))
	assert.Equal(t, "lambdaguard: no leaks found\n", b.String())
	assert.Zero(t, empty.Findings())
}

// TestSummaryInFlight: under --concurrency the guard lists the invocations
// running when a change was seen; the summary keeps the list.
func TestSummaryInFlight(t *testing.T) {
	r, ok := Parse(`{"lambdaguard_report":{"invocation_id":"req-2","findings":[{"kind":"global","name":"last","path":"last.Message","detail":"changed","in_flight":["req-2","req-1","req-3"]}]}}`)
	require.True(t, ok)
	var c Collector
	c.Add(r)
	var b strings.Builder
	require.NoError(t, c.WriteSummary(&b, func(string) string { return "invocation 2" }))
	assert.Equal(t, `lambdaguard: 1 finding in 1 invocation:
  invocation 2, request req-2
    global  last  last.Message  changed [invocations in flight: req-2, req-1, req-3]
`, b.String())
}

func FuzzParse(f *testing.F) {
	f.Add(`{"lambdaguard_report":{"invocation_id":"x","findings":[]}}`)
	f.Add(`{"lambdaguard_report":null}`)
	f.Add(`not json`)
	f.Fuzz(func(t *testing.T, line string) {
		r, ok := Parse(line)
		if !ok && (r.InvocationID != "" || r.Findings != nil) {
			t.Fatalf("rejected line returned %+v", r)
		}
	})
}

func BenchmarkParsePlainLine(b *testing.B) {
	line := `{"time":"2024-03-13T12:00:00Z","level":"INFO","msg":"handled request","path":"/hello"}`
	b.ReportAllocs()
	for b.Loop() {
		Parse(line)
	}
}
