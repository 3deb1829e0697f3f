package guard

import (
	"encoding/json"
	"io"
	"time"
)

// Kind names what a Finding is about.
type Kind string

// The kinds of findings debug mode reports.
const (
	KindGlobal    Kind = "global"    // a watched variable changed
	KindEnv       Kind = "env"       // an environment variable was set, changed or unset
	KindCwd       Kind = "cwd"       // the working directory changed
	KindFD        Kind = "fd"        // a file descriptor was left open
	KindTempFile  Kind = "tempfile"  // an entry was left under the temp base, outside the invocation's directory
	KindGoroutine Kind = "goroutine" // a goroutine outlived the invocation that started it
	KindTaint     Kind = "taint"     // a value from the request was found where the next request can see it
	KindDetector  Kind = "detector"  // the detector itself failed; the handler's result is unaffected
)

// Report is what debug mode found after one invocation.
type Report struct {
	InvocationID string    `json:"invocation_id"`
	Findings     []Finding `json:"findings"`
}

// Finding is one thing that outlived an invocation. Values in Detail are
// redacted (type, length, short hash) unless the guard was told otherwise.
type Finding struct {
	Kind   Kind   `json:"kind"`
	Name   string `json:"name"`
	Path   string `json:"path,omitempty"`
	Detail string `json:"detail"`
	// InFlight lists the request ids of the invocations that were running
	// when a change was seen, when more than one: a change to shared state
	// cannot then be pinned to one of them.
	InFlight []string `json:"in_flight,omitempty"`
	// Record names the batch record a finding is attributed to, when a
	// batch helper (SQS, Kinesis, DynamoDB) ran it: "sqs message <id>",
	// "kinesis record <sequence number>". Identifiers, not redacted.
	Record string `json:"record,omitempty"`
}

// WithReporter sets where reports with findings go. The default writes each
// as one JSON line on stderr, under the key "lambdaguard_report".
func WithReporter(fn func(Report)) Option { return optionFunc(func(c *config) { c.reporter = fn }) }

// reportLine is the default report: one JSON object per line, shaped like
// the lines of Lambda's JSON log format so that CloudWatch Logs Insights can
// filter on it.
type reportLine struct {
	Time      string `json:"timestamp"`
	Level     string `json:"level"`
	Message   string `json:"message"`
	RequestID string `json:"requestId"`
	Report    Report `json:"lambdaguard_report"`
}

// writeReport writes r as one JSON line.
func writeReport(w io.Writer, r Report) {
	b, err := json.Marshal(reportLine{
		Time:      time.Now().UTC().Format(time.RFC3339Nano),
		Level:     "WARN",
		Message:   "lambdaguard: state outlived the invocation",
		RequestID: r.InvocationID,
		Report:    r,
	})
	if err != nil {
		return
	}
	_, _ = w.Write(append(b, '\n'))
}
