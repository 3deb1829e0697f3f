// Command report writes docs/BENCHMARKS.md from what scripts/bench.sh
// measured: go test -bench output, benchstat tables, start-up traces,
// binary sizes and system call counts, all in one directory.
//
//	go run ./report -in DIR -out ../docs/BENCHMARKS.md
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

func main() {
	in := flag.String("in", "", "the directory scripts/bench.sh wrote its measurements to")
	out := flag.String("out", "docs/BENCHMARKS.md", "the report to write")
	flag.Parse()
	r := &report{dir: *in}
	doc := r.write()
	if err := os.WriteFile(*out, []byte(doc), 0o644); err != nil {
		log.Fatal(err)
	}
}

type report struct {
	dir   string
	bench map[string]*result // by benchmark name, without the -N suffix
	b     strings.Builder
}

// result gathers the runs of one benchmark.
type result struct {
	ns, bytes, allocs, mbs []float64
	other                  map[string][]float64 // metrics of b.ReportMetric, by unit
}

// Metric is the median of a metric the benchmark reported itself.
func (r *result) Metric(unit string) float64 {
	if r == nil {
		return 0
	}
	return r.med(r.other[unit])
}

func (r *result) med(xs []float64) float64 {
	if r == nil || len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func (r *result) NS() float64     { return r.med(r.ns) }
func (r *result) Allocs() float64 { return r.med(r.allocs) }
func (r *result) Bytes() float64  { return r.med(r.bytes) }
func (r *result) MBs() float64    { return r.med(r.mbs) }

var suffix = regexp.MustCompile(`-\d+$`)

// load reads go test -bench output.
func (r *report) load(files ...string) {
	if r.bench == nil {
		r.bench = map[string]*result{}
	}
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(r.dir, f))
		if err != nil {
			log.Printf("report: %v", err)
			continue
		}
		for _, line := range strings.Split(string(data), "\n") {
			fs := strings.Fields(line)
			if len(fs) < 4 || !strings.HasPrefix(fs[0], "Benchmark") {
				continue
			}
			name := suffix.ReplaceAllString(strings.TrimPrefix(fs[0], "Benchmark"), "")
			res := r.bench[name]
			if res == nil {
				res = &result{}
				r.bench[name] = res
			}
			for i := 2; i+1 < len(fs); i += 2 {
				v, err := strconv.ParseFloat(fs[i], 64)
				if err != nil {
					continue
				}
				switch fs[i+1] {
				case "ns/op":
					res.ns = append(res.ns, v)
				case "B/op":
					res.bytes = append(res.bytes, v)
				case "allocs/op":
					res.allocs = append(res.allocs, v)
				case "MB/s":
					res.mbs = append(res.mbs, v)
				default:
					if res.other == nil {
						res.other = map[string][]float64{}
					}
					res.other[fs[i+1]] = append(res.other[fs[i+1]], v)
				}
			}
		}
	}
}

func (r *report) get(name string) *result { return r.bench[name] }

// facts reads a file of key=value lines.
func (r *report) facts(f string) map[string]string {
	m := map[string]string{}
	data, err := os.ReadFile(filepath.Join(r.dir, f))
	if err != nil {
		return m
	}
	for _, line := range strings.Split(string(data), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			m[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return m
}

func (r *report) text(f string) string {
	data, err := os.ReadFile(filepath.Join(r.dir, f))
	if err != nil {
		return "(not measured: " + err.Error() + ")\n"
	}
	return string(data)
}

func (r *report) p(format string, args ...any) { fmt.Fprintf(&r.b, format, args...) }

func dur(ns float64) string {
	switch {
	case ns == 0:
		return "–"
	case ns >= 1e6:
		return fmt.Sprintf("%.2f ms", ns/1e6)
	case ns >= 1e3:
		return fmt.Sprintf("%.1f µs", ns/1e3)
	}
	return fmt.Sprintf("%.0f ns", ns)
}

func ratio(a, b float64) string {
	if a == 0 || b == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f×", a/b)
}

func status(ok bool) string {
	if ok {
		return "met"
	}
	return "**not met**"
}

var handlers = []string{"bare", "guard", "bare-tempdir", "guard-tempdir",
	"guard-tracing", "otellambda", "otellambda-wrap", "otellambda-parent",
	"guard-tracing-sp", "otellambda-sp", "otellambda-wrap-sp", "otellambda-parent-sp"}

// providers are the two TracerProviders the tracing variants run with: the
// suffix of their handler names, and what the report calls them.
var providers = []struct{ suffix, what string }{
	{"", "batch span processor"},
	{"-sp", "tracing.NewSpanProcessor"},
}
var eventsList = []string{"apigw-v2", "sqs-10"}

func invokeName(event, handler string) string {
	return "Invoke/event=" + event + "/handler=" + handler
}

func (r *report) write() string {
	r.load("invoke.txt", "unit.txt", "vet.txt")
	m := r.facts("machine.txt")
	start := r.facts("startup.txt")
	sys := r.facts("syscalls.txt")

	r.p("# Benchmarks\n\n")
	r.p("What lambdaguard costs a function, against a bare aws-lambda-go handler and against otellambda. ")
	r.p("Written by `scripts/bench.sh` on %s on the machine below; every number was measured by that run.\n\n", m["date"])
	r.goals(start, sys)
	r.p("## Machine\n\n")
	r.p("| machine | |\n| --- | --- |\n")
	r.p("| CPU | %s |\n| cores (nproc) | %s |\n| kernel | %s |\n| Go | %s |\n| load average before the run | %s |\n| runs per benchmark | %s (bench/: rounds of one run each, every other round in reverse order; beside the code: `-count`), `-benchtime %s` |\n\n",
		m["cpu"], m["nproc"], m["kernel"], m["go"], m["load"], m["count"], m["benchtime"])
	r.p("The figures are medians of the runs; the benchstat tables below give the spread. ")
	r.p("The machine is shared and small: compare numbers within one run, not across runs.\n\n")

	r.invocations()
	r.debug()
	r.beside()
	r.startup(start)
	r.syscalls(sys)

	if notes, err := os.ReadFile("notes.md"); err == nil {
		r.p("%s\n", notes)
	}

	r.p("## benchstat\n\n")
	r.p("Invocations, each handler against the bare one (`benchstat -col /handler`):\n\n```\n%s```\n\n", r.text("invoke-vs-bare.txt"))
	r.p("Tracing: lambdaguard against otellambda, the batch span processor (`benchstat -col /handler`, otellambda first):\n\n```\n%s```\n\n", r.text("invoke-vs-otellambda.txt"))
	r.p("The same with tracing.NewSpanProcessor:\n\n```\n%s```\n\n", r.text("invoke-vs-otellambda-sp.txt"))
	r.p("Beside the code (guard, tracing, internal/snapshot):\n\n```\n%s```\n\n", r.text("unit-stat.txt"))

	r.p("## Reproduce\n\n```\nscripts/bench.sh                 # about 5 minutes on 2 cores\nCOUNT=16 scripts/bench.sh        # more runs, tighter intervals\n```\n\n")
	r.p("The comparative benchmarks live in the `bench/` module (its own go.mod, so that otellambda never enters the dependencies of lambdaguard's users); ")
	r.p("`go test ./...` at the root does not run them. By hand: `cd bench && go test -run '^$' -bench . -benchmem`.\n")
	return r.b.String()
}

func (r *report) goals(start, sys map[string]string) {
	r.p("## Goals\n\n| goal | measured | |\n| --- | --- | --- |\n")
	for _, ev := range eventsList {
		bare, g := r.get(invokeName(ev, "bare")), r.get(invokeName(ev, "guard"))
		if bare == nil || g == nil {
			continue
		}
		rt := g.NS() / bare.NS()
		extra := g.Allocs() - bare.Allocs()
		if p := r.get("GuardPaired/event=" + ev); p.Metric("guard/bare") > 0 {
			// The paired measure decides: separate benchmarks of a few
			// percent apart differ by the machine's drift as much.
			pr := p.Metric("guard/bare")
			r.p("| guard, debug off ≤ 1.05 × bare (%s) | %.3f× paired (%s against %s, invoked alternately); %.3f× as separate benchmarks | %s |\n",
				ev, pr, dur(p.Metric("guard-ns/op")), dur(p.Metric("bare-ns/op")), rt, status(pr <= 1.05))
		} else {
			r.p("| guard, debug off ≤ 1.05 × bare (%s) | %.3f× (%s against %s) | %s |\n", ev, rt, dur(g.NS()), dur(bare.NS()), status(rt <= 1.05))
		}
		// One for the invocation (the handler's context lives in it), one for
		// its scope; the handler's standard context and its timer are made
		// only when the handler waits on its context or derives one.
		if p := r.get("GuardPaired/event=" + ev + "-ctx"); p.Metric("guard/bare") > 0 {
			// Reported, not a goal: a handler that derives a context from its
			// own makes the guard's standard context and timer.
			r.p("| (reported) guard, debug off, a handler that derives a context with a timeout (%s) | %.3f× paired (%s against %s) | reported |\n",
				ev, p.Metric("guard/bare"), dur(p.Metric("guard-ns/op")), dur(p.Metric("bare-ns/op")))
		}
		r.p("| guard, debug off: ≤ 6 extra allocations per invocation (%s): the invocation, with the handler's context in it, and its scope | %+.0f (%.0f against %.0f) | %s |\n", ev, extra, g.Allocs(), bare.Allocs(), status(extra <= 6))
	}
	if loop, sqs := r.get("Batch/handler=loop"), r.get("Batch/handler=guard-sqs"); loop != nil && sqs != nil {
		// Reported, not a goal: what a scope and a temp directory (made on
		// demand) per record cost against none.
		per := (sqs.NS() - loop.NS()) / 10
		r.p("| reference: guard.SQS per record against a plain loop over the records (sqs-10, both guarded) | %+.1f µs per record (%s against %s per batch), %+.0f allocations per record | reported |\n",
			per/1e3, dur(sqs.NS()), dur(loop.NS()), (sqs.Allocs()-loop.Allocs())/10)
	}
	if v := r.get("VetRepository"); v != nil {
		r.p("| reference: `lambdaguard vet ./...` on this repository, in its two modules (the library with its commands, and examples/) | %.2f s, %.0f MB allocated, %.0f findings (examples/leaky's four bugs) | reported |\n",
			v.NS()/1e9, v.Bytes()/1e6, v.Metric("findings"))
	}
	if v, ok := sys["extra_per_invocation"]; ok {
		// Below one call in twenty invocations is the runtime's own noise
		// (and the guard's descriptor count, at most once a second); a
		// file system call per invocation would show as 1 or more.
		n, _ := strconv.ParseFloat(v, 64)
		r.p("| temp dir unused: zero extra system calls | %s per invocation (strace -c, guard minus bare); file system calls per invocation: guard %s, bare %s | %s |\n",
			v, sys["guard_files"], sys["bare_files"], status(n < 0.05 && sys["guard_files"] == "none"))
	}
	r.tempDirGoals(sys)
	r.sizeGoal(start)
	for _, pv := range providers {
		for _, ev := range eventsList {
			t := r.get(invokeName(ev, "guard-tracing"+pv.suffix))
			if t == nil {
				continue
			}
			for _, peer := range []struct {
				handler, what string
				goal          bool // else a reference: the peer does less
			}{
				{"otellambda", "otellambda.InstrumentHandler", true},
				{"otellambda-parent", "otellambda.WrapHandler continuing the caller's trace", true},
				{"otellambda-wrap", "otellambda.WrapHandler as configured by default (a new trace per invocation, no attributes of the event)", false},
			} {
				o := r.get(invokeName(ev, peer.handler+pv.suffix))
				if o == nil {
					continue
				}
				rt := t.NS() / o.NS()
				if peer.goal {
					r.p("| tracing ≤ 1.0 × %s (%s, %s) | %.2f× (%s against %s) | %s |\n", peer.what, ev, pv.what, rt, dur(t.NS()), dur(o.NS()), status(rt <= 1.0))
				} else {
					r.p("| reference: tracing against %s (%s, %s) | %.2f× (%s against %s) | reference, not a goal (see below) |\n", peer.what, ev, pv.what, rt, dur(t.NS()), dur(o.NS()))
				}
			}
		}
	}
	// Debug mode's cost: the fixed part per checked invocation, what an
	// invocation the sample leaves out costs, and the snapshot work's
	// growth with the watched data.
	off, on, out := r.get("Debug/mode=off"), r.get("Debug/entries=0"), r.get("Debug/mode=sampled-out")
	if off != nil && on != nil {
		extra := on.NS() - off.NS()
		r.p("| debug mode, nothing watched: ≤ 200 µs more per invocation than debug off | %+.0f µs (%s against %s) | %s |\n",
			extra/1e3, dur(on.NS()), dur(off.NS()), status(extra <= 200e3))
	}
	if p := r.get("DebugPaired"); p != nil && p.Metric("sampled-out/off") > 0 {
		// Paired, as the guard's own row: a few percent apart, separate
		// benchmarks differ by the machine's drift as much.
		pr := p.Metric("sampled-out/off")
		sep := "–"
		if off != nil && out != nil {
			sep = fmt.Sprintf("%.3f× as separate benchmarks, %+.0f allocations", out.NS()/off.NS(), out.Allocs()-off.Allocs())
		}
		r.p("| debug mode, invocation not sampled: costs what debug off costs (≤ 1.05×) | %.3f× paired (%s against %s, invoked alternately); %s | %s |\n",
			pr, dur(p.Metric("sampled-out-ns/op")), dur(p.Metric("off-ns/op")), sep, status(pr <= 1.05))
	} else if off != nil && out != nil {
		rt := out.NS() / off.NS()
		r.p("| debug mode, invocation not sampled: costs what debug off costs (≤ 1.05×) | %.3f× (%s against %s; %+.0f allocations) | %s |\n",
			rt, dur(out.NS()), dur(off.NS()), out.Allocs()-off.Allocs(), status(rt <= 1.05))
	}
	if lin, _ := r.linearity("Debug/entries=%d"); lin > 0 {
		r.p("| debug mode linear in the watched data | cost per entry at 100k ÷ at 1k: %.2f (end to end, the fixed part included) | %s |\n", lin, status(lin <= 1.5))
	}
	small, big := r.get("TakeDiff/entries=1000"), r.get("TakeDiff/entries=100000")
	if small != nil && big != nil && small.Metric("ns/entry") > 0 {
		lin := big.Metric("ns/entry") / small.Metric("ns/entry")
		r.p("| snapshot and diff linear in the data | ns per entry at 100k ÷ at 1k: %.2f (%.0f against %.0f ns; two snapshots and a diff of a map of structs) | %s |\n",
			lin, big.Metric("ns/entry"), small.Metric("ns/entry"), status(lin <= 1.5))
	}
	if v, ok := start["basic_lambdaguard_init_ms"]; ok {
		n, _ := strconv.ParseFloat(v, 64)
		r.p("| init of guard+scope+tmpfs ≤ 0.2 ms | %s ms (the lambdaguard packages' init in examples/basic, median of %s starts) | %s |\n", v, start["runs"], status(n <= 0.2))
	}
	if v, ok := start["basic_otel_deps"]; ok {
		r.p("| examples/basic links no OpenTelemetry | %s packages from go.opentelemetry.io in `go list -deps ./examples/basic` | %s |\n", v, status(v == "0"))
	}
	r.p("\n")
	r.p("How the tracing rows are judged. The goal, tracing no slower than otellambda on the same provider, is measured against otellambda doing the job lambdaguard's tracing does: ")
	r.p("`InstrumentHandler`, the way otellambda's README wraps a handler, and `WrapHandler` set up to continue the caller's trace. ")
	r.p("The reference rows compare with `WrapHandler` as configured by default, which reads nothing of the event: its span starts a new trace with three attributes, ")
	r.p("while lambdaguard's takes the parent and baggage from the event, links every message's producer and carries a dozen attributes. ")
	r.p("That work is most of the difference, and the features that make it are what the tracing is for: the reference rows say what they cost.\n\n")
	r.p("How the debug rows are judged. `Debug/mode=off` is the guard with debug mode off, `Debug/entries=0` the same in debug mode with nothing watched: ")
	r.p("the checks every invocation gets (its request strings, a traceback of every goroutine, the environment, and at the start and the end of each quiet period the descriptors and the temp base). ")
	r.p("`Debug/mode=sampled-out` is debug mode with a sample that never picks the invocation. The throughput of the snapshot walk is reported, not a goal.\n\n")
}

// tempDirGoals writes the rows of a used temp dir: its time against one
// made and removed by hand (paired), and its system calls.
func (r *report) tempDirGoals(sys map[string]string) {
	for _, ev := range eventsList {
		p := r.get("GuardPaired/event=" + ev + "-tempdir")
		if p.Metric("guard/bare") <= 0 {
			continue
		}
		pr := p.Metric("guard/bare")
		r.p("| temp dir used ≤ 1.10 × one made and removed by hand (%s) | %.3f× paired (%s against %s, invoked alternately) | %s |\n",
			ev, pr, dur(p.Metric("guard-ns/op")), dur(p.Metric("bare-ns/op")), status(pr <= 1.10))
	}
	g, errG := strconv.ParseFloat(sys["guard-tempdir_total"], 64)
	b, errB := strconv.ParseFloat(sys["bare-tempdir_total"], 64)
	if errG == nil && errB == nil {
		fg, fb := sumCalls(sys["guard-tempdir_files"]), sumCalls(sys["bare-tempdir_files"])
		r.p("| temp dir used: ≤ 8 system calls more than by hand | %+.1f (%.1f against %.1f per invocation, strace -f -c, the runtime's threads included; file system calls alone %+.1f, %.1f against %.1f) | %s |\n", g-b, g, b, fg-fb, fg, fb, status(g-b <= 8))
	}
}

// sizeGoal writes the row of what the guard adds to a function's binary.
func (r *report) sizeGoal(start map[string]string) {
	g, errG := strconv.ParseFloat(start["basic_size_stripped"], 64)
	b, errB := strconv.ParseFloat(start["bare_size_stripped"], 64)
	if errG != nil || errB != nil {
		return
	}
	extra := (g - b) / 1024
	r.p("| examples/basic ≤ 300 KB larger than bare (stripped, -tags lambda.norpc) | %+.0f KB (%s against %s) | %s |\n",
		extra, mib(start["basic_size_stripped"]), mib(start["bare_size_stripped"]), status(extra <= 300))
}

// linearity returns the ratio of the cost per entry at 100k entries to that
// at 1k, and the lowest MB/s of the three sizes.
func (r *report) linearity(format string) (float64, float64) {
	small, big := r.get(fmt.Sprintf(format, 1000)), r.get(fmt.Sprintf(format, 100000))
	if small == nil || big == nil {
		return 0, 0
	}
	low := 0.0
	for _, n := range []int{1000, 10000, 100000} {
		if res := r.get(fmt.Sprintf(format, n)); res != nil && (low == 0 || res.MBs() < low) {
			low = res.MBs()
		}
	}
	return (big.NS() / 100000) / (small.NS() / 1000), low
}

func (r *report) invocations() {
	r.p("## One invocation through `lambda.NewHandler(h).Invoke(ctx, payload)`\n\n")
	r.p("As aws-lambda-go's runtime loop calls a function: JSON decoding of the event and encoding of the result included. ")
	r.p("Events: `apigw-v2` is a 1.2 KB API Gateway HTTP API (payload v2) request, `sqs-10` a batch of 10 SQS messages (9.7 KB), each with a W3C traceparent. ")
	r.p("The tracing variants share an SDK TracerProvider with an exporter that drops the spans, flushed after every invocation as in Lambda: ")
	r.p("one with the SDK's batch span processor (`sdktrace.WithBatcher`), and one with `tracing.NewSpanProcessor`, which exports in the flush itself (the handlers whose names end in `-sp`); ")
	r.p("each lambdaguard variant is compared with the otellambda variants of the same provider. ")
	r.p("`otellambda` is go.opentelemetry.io/contrib/.../otellambda v0.65.0's InstrumentHandler (typed, the way its README wraps a handler), ")
	r.p("`otellambda-wrap` its WrapHandler around lambda.NewHandler (bytes), as configured by default: it reads nothing of the event, so its span starts a new trace; ")
	r.p("`otellambda-parent` the same WrapHandler set up to continue the caller's trace, as lambdaguard's tracing does: lambdaguard's propagator and a `WithEventToCarrier` that reads the request's headers, or the first SQS message's attributes. ")
	r.p("All three with the provider as their flusher. ")
	r.p("lambdaguard's tracing does more per invocation than any of them: it takes the parent from the event, links every SQS message's producer and sets the trigger's HTTP or messaging attributes. ")
	r.p("`bare-tempdir` makes, writes and removes a directory by hand, the floor for `guard-tempdir`.\n\n")
	r.p("| event | handler | time/op | × bare | × otellambda | B/op | allocs/op | allocs − bare |\n| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	for _, ev := range eventsList {
		bare := r.get(invokeName(ev, "bare"))
		for _, h := range handlers {
			res := r.get(invokeName(ev, h))
			if res == nil {
				continue
			}
			vsOL := "–"
			if strings.Contains(h, "tracing") || strings.HasPrefix(h, "otellambda") {
				peer := "otellambda"
				if strings.HasSuffix(h, "-sp") {
					peer += "-sp"
				}
				if ol := r.get(invokeName(ev, peer)); ol != nil {
					vsOL = ratio(res.NS(), ol.NS())
				}
			}
			r.p("| %s | %s | %s | %s | %s | %.0f | %.0f | %+.0f |\n", ev, h, dur(res.NS()), ratio(res.NS(), bare.NS()), vsOL,
				res.Bytes(), res.Allocs(), res.Allocs()-bare.Allocs())
		}
	}
	r.p("\n")
	for _, ev := range eventsList {
		g, b, sp := r.get(invokeName(ev, "guard")), r.get(invokeName(ev, "guard-tracing")), r.get(invokeName(ev, "guard-tracing-sp"))
		if g != nil && b != nil && sp != nil {
			r.p("lambdaguard's tracing through `tracing.NewSpanProcessor` against the batch span processor (%s): %s (%s against %s); the tracing alone, beyond the guard: %s against %s.\n",
				ev, ratio(sp.NS(), b.NS()), dur(sp.NS()), dur(b.NS()), dur(sp.NS()-g.NS()), dur(b.NS()-g.NS()))
		}
	}
	r.p("\n")
}

func (r *report) debug() {
	r.p("## Debug mode and snapshots\n\n")
	r.p("`Debug` is a guarded invocation (the apigw-v2 event): with debug mode off, in debug mode but not sampled, and in debug mode with a watched `map[string]string` of n entries (68 bytes of key and value each) that the handler leaves as it was. ")
	r.p("The map has no lock of its own, so it is read at the start and at the end of each invocation, the moments no handler runs. MB/s counts the watched keys and values. ")
	r.p("`TakeDiff` (internal/snapshot) is the snapshot work alone: a map of small structs snapshotted, one entry changed, snapshotted again and diffed.\n\n")
	r.p("| benchmark | entries | time/op | per entry | MB/s | B/op | allocs/op |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	for _, name := range []string{"Debug/mode=off", "Debug/mode=sampled-out"} {
		if res := r.get(name); res != nil {
			r.p("| %s | – | %s | – | – | %.0f | %.0f |\n", name, dur(res.NS()), res.Bytes(), res.Allocs())
		}
	}
	rows := []struct{ label, format string }{
		{"Debug (end to end)", "Debug/entries=%d"},
		{"TakeDiff, map of structs", "TakeDiff/entries=%d"},
	}
	for _, row := range rows {
		for _, n := range []int{0, 1000, 10000, 100000} {
			res := r.get(fmt.Sprintf(row.format, n))
			if res == nil {
				continue
			}
			per := "–"
			if n > 0 {
				per = dur(res.NS() / float64(n))
			}
			mbs := "–"
			if res.MBs() > 0 {
				mbs = fmt.Sprintf("%.0f", res.MBs())
			}
			r.p("| %s | %d | %s | %s | %s | %.0f | %.0f |\n", row.label, n, dur(res.NS()), per, mbs, res.Bytes(), res.Allocs())
		}
	}
	r.p("\n")
}

func (r *report) beside() {
	r.p("## Beside the code\n\n")
	r.p("`guard/bench_test.go`: the guard's own cost with the handler called directly (typed) and through lambda.NewHandler (raw); ")
	r.p("`tracing/bench_test.go`: tracing on the 3-message SQS fixture.\n\n")
	r.p("| benchmark | time/op | B/op | allocs/op |\n| --- | ---: | ---: | ---: |\n")
	var names []string
	for name := range r.bench {
		if strings.HasPrefix(name, "Wrap/") || strings.HasPrefix(name, "Tracing/") {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	for _, name := range names {
		res := r.bench[name]
		r.p("| %s | %s | %.0f | %.0f |\n", name, dur(res.NS()), res.Bytes(), res.Allocs())
	}
	r.p("\n")
}

func (r *report) startup(f map[string]string) {
	r.p("## Start-up and size\n\n")
	r.p("Each binary built with `CGO_ENABLED=0 -trimpath` for linux/%s and started %s times with `GODEBUG=inittrace=1` outside Lambda (it stops in lambda.Start, after every package's init). ", f["goarch"], f["runs"])
	r.p("Init times are medians over the starts: the lambdaguard packages (guard, scope, tmpfs and the internal packages they import), every package that is not part of the standard library, and every package.\n\n")
	r.p("| binary | what | lambdaguard init | non-std init | all init | allocations in init | size | stripped (-s -w) |\n| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	for _, b := range []struct{ key, what string }{
		{"bare", "bench/bare: examples/basic's handler on aws-lambda-go alone"},
		{"basic", "examples/basic: guard + scope + tmpfs"},
		{"traced", "bench/traced: examples/basic + tracing + OTLP/HTTP exporter"},
	} {
		r.p("| %s | %s | %s ms | %s ms | %s ms | %s | %s | %s |\n", b.key, b.what,
			f[b.key+"_lambdaguard_init_ms"], f[b.key+"_nonstd_init_ms"], f[b.key+"_all_init_ms"], f[b.key+"_init_allocs"],
			mib(f[b.key+"_size"]), mib(f[b.key+"_size_stripped"]))
	}
	r.p("\nOpenTelemetry packages linked into examples/basic (`go list -deps ./examples/basic | grep -c opentelemetry`): %s; the test `guard.TestNoOpenTelemetryInBasic` keeps it so.\n\n", f["basic_otel_deps"])
}

func mib(s string) string {
	n, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return "–"
	}
	return fmt.Sprintf("%.2f MiB", n/(1<<20))
}

func (r *report) syscalls(f map[string]string) {
	r.p("## System calls per invocation\n\n")
	if len(f) == 0 {
		r.p("Not measured (strace was not available).\n\n")
		return
	}
	r.p("`strace -f -c` of `bench/syscount`, which invokes the apigw-v2 event through lambda.NewHandler %s and %s times per variant (GOGC=off, GOMAXPROCS=1, to keep the runtime's own calls still); ", f["n1"], f["n2"])
	r.p("the difference divided by the difference of invocations is what one warm invocation costs, start-up and the cold start aside. ")
	r.p("Calls that vary with the runtime (futex, nanosleep, mmap and the like) are counted in the total but not listed.\n\n")
	r.p("| handler | system calls per invocation | of which file system |\n| --- | ---: | --- |\n")
	for _, v := range []string{"bare", "guard", "bare-tempdir", "guard-tempdir"} {
		r.p("| %s | %s | %s |\n", v, f[v+"_total"], f[v+"_files"])
	}
	r.p("\nguard minus bare: **%s** system calls per invocation with the temp dir unused.\n\n", f["extra_per_invocation"])
}

// sumCalls adds up a list of system call counts as scripts/bench.sh writes
// it: "openat 4.00, close 4.00".
func sumCalls(list string) float64 {
	var total float64
	for _, item := range strings.Split(list, ", ") {
		if _, n, ok := strings.Cut(item, " "); ok {
			if v, err := strconv.ParseFloat(n, 64); err == nil {
				total += v
			}
		}
	}
	return total
}
