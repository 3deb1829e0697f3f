package report

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"text/tabwriter"
)

// Collector gathers the reports of a run, in the order they arrive. It is safe for
// concurrent use.
type Collector struct {
	mu      sync.Mutex
	reports []Report
}

// Add records r if it has findings.
func (c *Collector) Add(r Report) {
	if len(r.Findings) == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reports = append(c.reports, r)
}

// Findings is the number of findings collected.
func (c *Collector) Findings() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, r := range c.reports {
		n += len(r.Findings)
	}
	return n
}

// FindingsFor is the number of findings collected for the invocation with request id id.
func (c *Collector) FindingsFor(id string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, r := range c.reports {
		if r.InvocationID == id {
			n += len(r.Findings)
		}
	}
	return n
}

// WriteSummary prints the findings grouped per invocation. label names an invocation from
// its id (e.g. "invocation 2 (sample apigw-v2 #2)"); it may return "" for an id it does not
// know.
func (c *Collector) WriteSummary(w io.Writer, label func(id string) string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	groups := map[string][]Finding{}
	var order []string
	for _, r := range c.reports {
		if _, seen := groups[r.InvocationID]; !seen {
			order = append(order, r.InvocationID)
		}
		groups[r.InvocationID] = append(groups[r.InvocationID], r.Findings...)
	}
	if len(order) == 0 {
		_, err := fmt.Fprintln(w, "lambdaguard: no leaks found")
		return err
	}
	n := 0
	for _, fs := range groups {
		n += len(fs)
	}
	fmt.Fprintf(w, "lambdaguard: %d %s in %d %s:\n", n, plural(n, "finding"), len(order), plural(len(order), "invocation"))
	for _, id := range order {
		name := label(id)
		if name == "" {
			name = "invocation"
		}
		fmt.Fprintf(w, "  %s, request %s\n", name, id)
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, f := range groups[id] {
			detail := clean(f.Detail)
			if len(f.InFlight) > 1 {
				detail += " [invocations in flight: " + clean(strings.Join(f.InFlight, ", ")) + "]"
			}
			fmt.Fprintf(tw, "    %s\t%s\t%s\t%s\n", clean(string(f.Kind)), clean(f.Name), orDash(clean(f.Path)), detail)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return nil
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// clean keeps a field on one line and out of the table's way.
func clean(s string) string {
	return strings.NewReplacer("\n", `\n`, "\r", `\r`, "\t", " ").Replace(s)
}
