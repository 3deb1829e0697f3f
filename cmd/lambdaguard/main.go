// Command lambdaguard runs a Go Lambda function locally the way Lambda runs it, and shows
// what leaked from one invocation into the next.
//
// Usage:
//
//	lambdaguard run [flags] <Go package dir | bootstrap binary>
//	lambdaguard event TRIGGER [flags]
//	lambdaguard vet [-json] [-C dir] [packages]
//
// run builds the package as a Lambda bootstrap (GOOS=linux, CGO_ENABLED=0), or takes a built
// binary, starts it with the environment Lambda gives a function, and serves it the AWS
// Lambda Runtime API (2018-06-01) on 127.0.0.1. It sends the events (a file, standard input,
// or a built-in sample), optionally freezing the process between invocations (SIGSTOP,
// SIGCONT), resetting it past the deadline, serving several invocations at once, and at the
// end shuts it down as Lambda does (SIGTERM for functions that asked for it, then SIGKILL).
//
// It prints each invocation's response or error, the function's logs and Lambda's REPORT
// line, then a summary of the leaks lambdaguard's guard reported in debug mode
// (LAMBDAGUARD_DEBUG=1, on by default). event prints a realistic event of an AWS service,
// built from aws-lambda-go's events types, for run --events -.
//
// Exit status: 0 when all went through and nothing leaked; 4 when an invocation failed;
// 3 when the guard reported a finding (so the command can gate CI; 4 wins over 3); 1 when
// the function could not be built or started, failed its init, or the events could not be
// read; 2 for a usage error. Under "go run" any status but 0 reaches the shell as 1: gate
// CI on a built binary.
//
// vet is the static check (package github.com/lambdaguard/lambdaguard/vet): before anything
// runs, it reports what the handlers of the packages leave behind for the next invocation,
// one finding a line as go vet prints them, or JSON with -json. Exit status: 0 clean, 3
// findings, 1 when the packages do not load, 2 for a usage error.
//
// Example:
//
//	go run ./cmd/lambdaguard vet ./...
//	go run ./cmd/lambdaguard run ./examples/leaky
//	go run ./cmd/lambdaguard run --events events.jsonl --repeat 3 --freeze 2s ./examples/basic
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli(ctx, os.Args[1:], stdio{in: os.Stdin, out: os.Stdout, err: os.Stderr})
	stop()
	os.Exit(code)
}
