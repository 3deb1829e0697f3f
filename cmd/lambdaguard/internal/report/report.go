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

	"github.com/lambdaguard/lambdaguard/guard"
)

// Key is the JSON key that marks a report line.
const Key = "lambdaguard_report"

// Report is what the guard found after one invocation, as the guard declares it.
type Report = guard.Report

// Finding is one thing that outlived an invocation. Detail is already redacted by the guard.
type Finding = guard.Finding

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
