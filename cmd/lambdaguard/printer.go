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
	mu       sync.Mutex
	w        io.Writer
	memoryMB int               // --memory, for the REPORT line and the memory warning
	labels   map[string]string // request id -> invocation label, for the summary
	ok, bad  int
	overMem  int // invocations whose process went past --memory
	reports  report.Collector
}

func newPrinter(w io.Writer, memoryMB int) *printer {
	return &printer{w: w, memoryMB: memoryMB, labels: map[string]string{}}
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
		p.line("   [%d %s] (lambdaguard report: %d %s for request %s, summary below)", l.PID, l.Stream, len(r.Findings), plural(len(r.Findings), "finding"), r.InvocationID)
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
	} else {
		p.ok++
		status := ""
		if code, ok := statusCode(res.Payload); ok {
			status = fmt.Sprintf("status %d, ", code)
		}
		fmt.Fprintf(p.w, "<= invocation %d/%d: ok, %sin %s (%s)\n   %s\n", j.n, j.total, status, round(res.Duration), how, shorten(res.Payload))
	}
	fmt.Fprintf(p.w, "   %s\n", reportLine(res, p.memoryMB))
	if used := usedMB(res.MaxMemoryKB); used > p.memoryMB {
		p.overMem++
		fmt.Fprintf(p.w, "   lambdaguard: warning: the function's memory peaked at %d MB, above its %d MB (--memory): Lambda would have stopped it (Runtime.OutOfMemory)\n", used, p.memoryMB)
	}
}

// findings prints how many findings an invocation got, counting the guard's reports and the
// runner's own response check alike, so that the numbers add up to the summary's.
func (p *printer) findings(id string, fromRunner int) {
	n := p.reports.FindingsFor(id)
	if n == 0 {
		return
	}
	how := ""
	if fromRunner > 0 {
		how = fmt.Sprintf(" (%d reported by the guard, %d by the runner's response check)", n-fromRunner, fromRunner)
	}
	p.line("   lambdaguard: %d %s for this invocation%s, summary below", n, plural(n, "finding"), how)
}

// reportLine is the REPORT line Lambda logs at the end of an invocation, tab-separated as
// Lambda writes it. Billed Duration is the duration rounded up to the millisecond, plus the
// init duration on a cold start, as Lambda bills the provided runtimes (and, since August
// 2025, every runtime). Max Memory Used is the bootstrap process's peak resident set.
func reportLine(res runtimeapi.Result, memoryMB int) string {
	billed := res.Duration + res.InitDuration
	fields := []string{
		"REPORT RequestId: " + res.RequestID,
		"Duration: " + millis(res.Duration),
		fmt.Sprintf("Billed Duration: %d ms", (billed+time.Millisecond-1)/time.Millisecond),
		fmt.Sprintf("Memory Size: %d MB", memoryMB),
	}
	if res.MaxMemoryKB > 0 {
		fields = append(fields, fmt.Sprintf("Max Memory Used: %d MB", usedMB(res.MaxMemoryKB)))
	}
	if res.InitDuration > 0 {
		fields = append(fields, "Init Duration: "+millis(res.InitDuration))
	}
	switch {
	case res.TimedOut():
		fields = append(fields, "Status: timeout")
	case res.Error != nil && (res.Error.Type == runtimeapi.ErrorTypeExit || res.InitFailed):
		fields = append(fields, "Status: error", "Error Type: "+res.Error.Type)
	}
	return strings.Join(fields, "\t")
}

func millis(d time.Duration) string {
	return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
}

// usedMB rounds a peak resident set in KiB up to whole MiB, as Lambda reports it.
func usedMB(kb int64) int { return int((kb + 1023) / 1024) }

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// totals prints how many invocations succeeded and failed.
func (p *printer) totals() {
	p.line("lambdaguard: %d invocations: %d ok, %d failed", p.ok+p.bad, p.ok, p.bad)
	if p.overMem > 0 {
		p.line("lambdaguard: warning: %d %s went past --memory %d MB", p.overMem, plural(p.overMem, "invocation"), p.memoryMB)
	}
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
