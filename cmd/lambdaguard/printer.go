package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/lambdaguard/lambdaguard/cmd/lambdaguard/internal/report"
	"github.com/lambdaguard/lambdaguard/internal/runtimeapi"
)

// maxShown bounds how much of a response is printed.
const maxShown = 2048

// printer writes a run's output; the function's log lines arrive from other goroutines.
type printer struct {
	mu      sync.Mutex
	w       io.Writer
	labels  map[string]string // request id -> invocation label, for the summary
	ok, bad int
	reports report.Collector
}

func newPrinter(w io.Writer) *printer {
	return &printer{w: w, labels: map[string]string{}}
}

func (p *printer) line(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, format+"\n", args...)
}

func (p *printer) note(msg string) { p.line("-- %s", msg) }

// log prints one line of the function's output. A guard report is collected for the
// summary and shown as a one-line pointer to it.
func (p *printer) log(l runtimeapi.Line) {
	if r, ok := report.Parse(l.Text); ok {
		p.reports.Add(r)
		p.line("   [%d %s] (lambdaguard report: %d findings for request %s, summary below)", l.PID, l.Stream, len(r.Findings), r.InvocationID)
		return
	}
	p.line("   [%d %s] %s", l.PID, l.Stream, l.Text)
}

func (p *printer) start(j job) { p.line("=> %s", j.label()) }

func (p *printer) result(j job, res runtimeapi.Result, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if res.RequestID != "" {
		p.labels[res.RequestID] = j.label()
	}
	if err != nil {
		p.bad++
		fmt.Fprintf(p.w, "<= invocation %d/%d: not invoked: %v\n", j.n, j.total, err)
		return
	}
	how := fmt.Sprintf("%s, pid %d, request %s", startKind(res), res.PID, res.RequestID)
	if res.Error != nil {
		p.bad++
		fmt.Fprintf(p.w, "<= invocation %d/%d: error after %s (%s)\n   %s\n", j.n, j.total, round(res.Duration), how, res.Error)
		return
	}
	p.ok++
	status := ""
	if code, ok := statusCode(res.Payload); ok {
		status = fmt.Sprintf("status %d, ", code)
	}
	fmt.Fprintf(p.w, "<= invocation %d/%d: ok, %sin %s (%s)\n   %s\n", j.n, j.total, status, round(res.Duration), how, shorten(res.Payload))
}

// totals prints how many invocations succeeded and failed.
func (p *printer) totals() {
	p.line("lambdaguard: %d invocations: %d ok, %d failed", p.ok+p.bad, p.ok, p.bad)
}

// summary prints the guard's findings, grouped per invocation.
func (p *printer) summary() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.reports.WriteSummary(p.w, func(id string) string { return p.labels[id] })
}

func startKind(r runtimeapi.Result) string {
	switch {
	case r.InitFailed:
		return "init failed"
	case r.ColdStart:
		return "cold start"
	}
	return "warm start"
}

// statusCode finds the HTTP status of an API Gateway, ALB or function URL response.
func statusCode(payload []byte) (int, bool) {
	var r struct {
		StatusCode *int `json:"statusCode"`
	}
	if json.Unmarshal(payload, &r) != nil || r.StatusCode == nil {
		return 0, false
	}
	return *r.StatusCode, true
}

func shorten(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) <= maxShown {
		return s
	}
	return fmt.Sprintf("%s... (%d bytes in all)", s[:maxShown], len(b))
}

func round(d time.Duration) time.Duration {
	if d > time.Second {
		return d.Round(10 * time.Millisecond)
	}
	return d.Round(100 * time.Microsecond)
}
