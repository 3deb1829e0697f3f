package main

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"github.com/lambdaguard/lambdaguard/cmd/lambdaguard/internal/envfile"
	"github.com/lambdaguard/lambdaguard/cmd/lambdaguard/internal/events"
	"github.com/lambdaguard/lambdaguard/internal/runtimeapi"
)

// runCommand is "lambdaguard run": it returns the exit status.
func runCommand(ctx context.Context, args []string, io stdio) int {
	opts, err := parseRunArgs(args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(io.out, runHelp())
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(io.err, "lambdaguard run: %v\nRun \"lambdaguard run --help\" for usage.\n", err)
		return exitUsage
	}
	fail := func(err error) int {
		fmt.Fprintf(io.err, "lambdaguard: %v\n", err)
		return exitFailure
	}

	evs, err := loadEvents(opts, io)
	if err != nil {
		return fail(err)
	}
	var fileEnv []string
	for _, path := range opts.envFiles {
		env, err := envfile.Load(path)
		if err != nil {
			return fail(err)
		}
		fileEnv = append(fileEnv, env...)
	}
	p := newPrinter(io.out, opts.memory)
	tgt, err := prepare(ctx, opts.target, func(msg string) { fmt.Fprintf(io.err, "lambdaguard: %s\n", msg) })
	if err != nil {
		return fail(err)
	}
	defer tgt.cleanup()

	cfg := runtimeapi.Config{
		Name:        opts.name,
		MemoryMB:    opts.memory,
		Region:      opts.region,
		Timeout:     opts.timeout,
		Concurrency: opts.concurrency,
		Logs:        p.log,
	}
	if cfg.Name == "" {
		cfg.Name = tgt.name
	}
	if opts.debug {
		cfg.Env = append(cfg.Env, "LAMBDAGUARD_DEBUG=1")
	}
	cfg.Env = append(cfg.Env, fileEnv...) // after Lambda's own, before --env: the later wins
	cfg.Env = append(cfg.Env, opts.env...)
	fn, err := runtimeapi.Start(tgt.bin, cfg)
	if err != nil {
		return fail(err)
	}

	s := &session{fn: fn, opts: opts, p: p}
	runErr := s.run(ctx, evs)
	p.note("shutting down the execution environment")
	if err := fn.Close(); err != nil && runErr == nil {
		runErr = err
	}
	p.totals()
	if !opts.debug {
		p.line("lambdaguard: debug mode is off (--debug=false): leaks were not looked for")
	}
	switch {
	case p.reports.Findings() > 0 || runErr == nil && opts.debug:
		if err := p.summary(); err != nil && runErr == nil {
			runErr = err
		}
	case runErr != nil:
		// "No leaks found" would claim more than was checked.
		p.line("lambdaguard: the run stopped early: leaks were looked for only in what ran")
	}
	if runErr != nil {
		return fail(runErr)
	}
	code := leakStatus(p, opts.expect)
	if p.bad > 0 {
		p.line("lambdaguard: %d %s failed: exit status %d", p.bad, plural(p.bad, "invocation"), exitInvocations)
		return exitInvocations
	}
	return code
}

// leakStatus is the exit status the findings give: exitFindings when there are some, or,
// with --expect-findings, when there are none.
func leakStatus(p *printer, expect bool) int {
	found := p.reports.Findings() > 0
	switch {
	case expect && found:
		p.line("lambdaguard: findings were expected (--expect-findings): ok")
		return exitOK
	case expect:
		p.line("lambdaguard: findings were expected (--expect-findings), none were reported")
		return exitFindings
	case found:
		return exitFindings
	}
	return exitOK
}

func loadEvents(o runOptions, io stdio) ([]events.Event, error) {
	if o.events != "" {
		return events.Load(o.events, io.in)
	}
	name := o.sample
	if name == "" {
		name = events.DefaultSample
	}
	return events.Sample(name)
}
