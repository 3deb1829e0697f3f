package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/lambdaguard/lambdaguard/cmd/lambdaguard/internal/events"
)

// runOptions is the run command's configuration.
type runOptions struct {
	target      string
	events      string
	sample      string
	repeat      int
	concurrency int
	freeze      time.Duration
	timeout     time.Duration
	memory      int
	name        string
	region      string
	env         []string
	envFiles    []string
	debug       bool
	expect      bool
}

func runFlags(o *runOptions) *flag.FlagSet {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	fs.StringVar(&o.events, "events", "", "")
	fs.StringVar(&o.sample, "sample", "", "")
	fs.IntVar(&o.repeat, "repeat", 1, "")
	fs.IntVar(&o.concurrency, "concurrency", 1, "")
	fs.DurationVar(&o.freeze, "freeze", 0, "")
	fs.DurationVar(&o.timeout, "timeout", 3*time.Second, "")
	fs.IntVar(&o.memory, "memory", 128, "")
	fs.StringVar(&o.name, "name", "", "")
	fs.StringVar(&o.region, "region", "us-east-1", "")
	fs.Func("env", "", func(s string) error {
		if k, _, ok := strings.Cut(s, "="); !ok || k == "" {
			return errors.New("want KEY=VALUE")
		}
		o.env = append(o.env, s)
		return nil
	})
	fs.Func("env-file", "", func(s string) error {
		if s == "" {
			return errors.New("want a file name")
		}
		o.envFiles = append(o.envFiles, s)
		return nil
	})
	fs.BoolVar(&o.debug, "debug", true, "")
	fs.BoolVar(&o.expect, "expect-findings", false, "")
	return fs
}

func runHelp() string {
	var samples strings.Builder
	for _, n := range events.SampleNames() {
		fmt.Fprintf(&samples, "\n                      %-12s %s", n, events.SampleDoc(n))
	}
	return `Usage: lambdaguard run [flags] <Go package dir | bootstrap binary>

Builds the package as a Lambda bootstrap (GOOS=linux CGO_ENABLED=0 go build), or takes a
built binary, and runs it as Lambda does: the Runtime API (2018-06-01) on 127.0.0.1, the
environment Lambda sets, a cold start then warm starts in the same process. Prints each
invocation's response or error, the function's logs, and the leaks lambdaguard's guard
reported (debug mode).

Flags (before or after the target):
  --events FILE       events to send: a JSON document, or JSON lines for several;
                      "-" reads them from standard input (lambdaguard event TRIGGER
                      prints realistic ones: see "lambdaguard event --help")
  --sample NAME       send a built-in sample instead (default "` + events.DefaultSample + `"):` + samples.String() + `
  --repeat N          send the events N times over (default 1)
  --concurrency N     serve N invocations at once: sets AWS_LAMBDA_MAX_CONCURRENCY=N and
                      sends the events in rounds of N (default 1)
  --freeze D          between invocations (rounds), freeze the process with SIGSTOP for D,
                      then thaw it with SIGCONT, as Lambda does (e.g. 2s; default 0: no freeze)
  --timeout D         function timeout (default 3s): the deadline sent with each invocation;
                      past it the invocation fails with Sandbox.Timedout ("Task timed
                      out") and the environment is reset as Lambda resets it: SIGTERM to
                      a runtime that registered for it (lambda.WithEnableSIGTERM,
                      guard.Start), so its shutdown hooks run, SIGKILL 500ms later; the
                      next invocation is a cold start in a new process
  --memory MB         AWS_LAMBDA_FUNCTION_MEMORY_SIZE and the REPORT line's Memory Size
                      (default 128); not enforced: a peak above it is a warning
  --name NAME         AWS_LAMBDA_FUNCTION_NAME (default: the package or binary directory's name)
  --region REGION     AWS_REGION and AWS_DEFAULT_REGION (default "us-east-1")
  --env KEY=VALUE     add an environment variable; repeat for several
  --env-file FILE     add the variables of a KEY=VALUE file (Docker Compose's .env rules:
                      # comments, optional "export ", 'literal' and "escaped\n" quotes, no
                      interpolation); repeat for several. Later files override earlier
                      ones, --env overrides them all
  --debug             set LAMBDAGUARD_DEBUG=1 so the guard reports leaks (default true;
                      --debug=false turns it off)
  --expect-findings   the function is known to leak: exit 0 when the guard reports
                      findings and 3 when it reports none (for demos, and to check in CI
                      that a known leak is still caught)
  -h, --help          show this help

Each invocation ends with the REPORT line Lambda logs (tab-separated, as Lambda writes it):
  REPORT RequestId: ID  Duration: 12.34 ms  Billed Duration: 13 ms  Memory Size: 128 MB
         Max Memory Used: 18 MB  Init Duration: 45.67 ms
Duration runs from the delivery of the event to the response; Billed Duration is it
rounded up to the millisecond, plus Init Duration on a cold start (as Lambda bills the
provided runtimes); Max Memory Used is the bootstrap process's peak resident set (VmHWM in
/proc/PID/status, or its rusage once it has exited), so it never goes down in a process;
Init Duration (cold starts only) runs from the process's start to its first request for
an invocation. A timeout adds "Status: timeout", a crash "Status: error" and its error
type. A peak past --memory prints a warning: Lambda would have stopped the function.

The function's output is printed under the invocation that wrote it: the runner catches
up with the process's output before it prints the invocation's end. After each
invocation the number of its findings is printed, the runner's response check included,
so that the counts add up to the summary's.

Payloads above 6 MB (6291456 bytes) are refused as Lambda refuses them: a request with
RequestEntityTooLarge, a response with Function.ResponseSizeTooLarge. At the end the
process is shut down as on Lambda: SIGTERM if it registered an extension (as
lambda.WithEnableSIGTERM does), then SIGKILL 500ms later. The function gets a private
TMPDIR, kept across its processes and removed at the end, standing in for Lambda's /tmp.

Besides the guard's own reports, the runner checks every response for data of an earlier
invocation's request (a "taint" finding on "response"): the warm-start bug where the next
caller is served the previous caller's value.

Exit status:
  0  every invocation succeeded and nothing leaked (with --expect-findings: something did)
  1  the function could not be built or started, failed its init, or the events or an
     --env-file could not be read: the run stopped
  2  usage error
  3  the guard (or the response check) reported findings
  4  an invocation failed: an error or a panic of the function, a timeout, a crash, a
     payload refused for its size
When several apply, the first of 1, 4, 3 wins: a failed invocation was not checked for
leaks either. --expect-findings turns 3 into 0 (and a clean run into 3), never 4 into 0.
"go run" reports any status but 0 as 1 (printing "exit status 3"): for a CI gate, build
the command (go build -o lambdaguard ./cmd/lambdaguard, or go install
github.com/lambdaguard/lambdaguard/cmd/lambdaguard@VERSION) and run it.

Examples:
  lambdaguard run ./examples/leaky
  lambdaguard run --expect-findings ./examples/leaky
  lambdaguard run --events events.jsonl --repeat 3 --freeze 2s ./examples/basic
  echo '{"message":"hi"}' | lambdaguard run --events - ./bootstrap
  lambdaguard event sqs --message hoge --message fuga | lambdaguard run --events - ./fn
  lambdaguard run --env-file fn.env --timeout 10s --memory 256 ./fn
`
}

// parseRunArgs reads the flags, which may come before or after the target.
func parseRunArgs(args []string) (runOptions, error) {
	var o runOptions
	fs := runFlags(&o)
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return o, err
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
	switch {
	case len(positional) != 1:
		return o, fmt.Errorf("want one target (a Go package directory or a bootstrap binary), got %d", len(positional))
	case positional[0] == "":
		// An unset shell variable ("$FN") must not mean the current directory.
		return o, errors.New("the target is empty: give a Go package directory or a bootstrap binary")
	case o.events != "" && o.sample != "":
		return o, errors.New("--events and --sample are exclusive")
	case o.repeat < 1:
		return o, errors.New("--repeat must be at least 1")
	case o.concurrency < 1:
		return o, errors.New("--concurrency must be at least 1")
	case o.timeout <= 0:
		return o, errors.New("--timeout must be positive")
	case o.freeze < 0:
		return o, errors.New("--freeze must not be negative")
	case o.memory < 1:
		return o, errors.New("--memory must be positive")
	}
	o.target = positional[0]
	return o, nil
}
