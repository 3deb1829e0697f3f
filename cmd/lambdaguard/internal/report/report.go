// Package report reads the leak reports lambdaguard's guard writes in debug mode and sums
// them up. A report is one line on the function's stderr: a JSON object with the key
// "lambdaguard_report" whose value is
//
//	{"invocation_id": "...", "findings": [{"kind": "...", "name": "...", "path": "...", "detail": "...", "in_flight": ["...", "..."]}]}
//
// ("in_flight" only when several invocations were running at once). Other keys on the line
// (time, level, msg from log/slog) are ignored. A line that is not JSON or has no such key
// is an ordinary log line.
package report

import (
	"bytes"
	"encoding/json"
)

// Key is the JSON key that marks a report line.
const Key = "lambdaguard_report"

// Report is what the guard found after one invocation.
type Report struct {
	InvocationID string    `json:"invocation_id"`
	Findings     []Finding `json:"findings"`
}

// Finding is one thing that outlived an invocation. Detail is already redacted by the guard.
type Finding struct {
	Kind   string `json:"kind"`
	Name   string `json:"name"`
	Path   string `json:"path"`
	Detail string `json:"detail"`
	// InFlight lists the request ids of the invocations that were running when a change
	// was seen, when more than one (--concurrency): the change cannot then be pinned to one.
	InFlight []string `json:"in_flight,omitempty"`
}

// Parse reports whether line is a report line, and returns the report it carries.
func Parse(line string) (Report, bool) {
	b := bytes.TrimSpace([]byte(line))
	if len(b) == 0 || b[0] != '{' || !bytes.Contains(b, []byte(`"`+Key+`"`)) {
		return Report{}, false // cheap reject: most lines are plain logs
	}
	var wrapper map[string]json.RawMessage
	if err := json.Unmarshal(b, &wrapper); err != nil {
		return Report{}, false
	}
	raw, ok := wrapper[Key]
	if !ok {
		return Report{}, false
	}
	var r Report
	if err := json.Unmarshal(raw, &r); err != nil {
		return Report{}, false
	}
	return r, true
}
