package main

import (
	"context"
	"fmt"
	"io"
)

// Exit statuses. When several apply, the first in this order wins: exitFailure (the run
// could not go on), exitInvocations (what failed was not checked for leaks either),
// exitFindings.
const (
	exitOK          = 0
	exitFailure     = 1 // build, start, init or events failure; packages vet could not load
	exitUsage       = 2
	exitFindings    = 3 // the guard reported a leak, or vet found one
	exitInvocations = 4 // an invocation failed: an error, a panic, a timeout, a crash, a refused payload
)

// stdio is where a command reads and writes.
type stdio struct {
	in       io.Reader
	out, err io.Writer
}

const usage = `lambdaguard runs a Go Lambda function locally the way Lambda runs it, and shows
what leaks from one invocation into the next.

Usage:

    lambdaguard run [flags] <Go package dir | bootstrap binary>
    lambdaguard event TRIGGER [flags]     print a sample event (sqs, apigw-v2, ...)
    lambdaguard vet [-json] [-C dir] [packages]

Run "lambdaguard run --help", "lambdaguard event --help" or "lambdaguard vet --help" for the flags.
`

// cli runs the command line args (without the program name) and returns the exit status.
func cli(ctx context.Context, args []string, io stdio) int {
	if len(args) == 0 {
		fmt.Fprint(io.err, usage)
		return exitUsage
	}
	switch args[0] {
	case "run":
		return runCommand(ctx, args[1:], io)
	case "event":
		return eventCommand(ctx, args[1:], io)
	case "vet":
		return vetCommand(args[1:], io)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(io.out, usage)
		return exitOK
	default:
		fmt.Fprintf(io.err, "lambdaguard: unknown command %q\n\n%s", args[0], usage)
		return exitUsage
	}
}
