package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/lambdaguard/lambdaguard/cmd/lambdaguard/internal/trigger"
)

func eventHelp() string {
	var names strings.Builder
	for _, n := range trigger.Names() {
		fmt.Fprintf(&names, "\n  %-13s %s", n, trigger.Doc(n))
	}
	return `Usage: lambdaguard event TRIGGER [flags]

Prints an event as the AWS service sends it to a function, built from aws-lambda-go's
events types (like "sam local generate-event"), ready for "lambdaguard run --events -".
One event is printed as an indented JSON document, several as JSON lines.

Triggers:` + names.String() + `

Flags (before or after the trigger):
  --body TEXT         the HTTP request body (apigw-v1, apigw-v2, alb, function-url);
                      makes the method POST unless --method says otherwise
  --path PATH         the HTTP path, with an optional ?query (default "/hello"); for s3,
                      the object key
  --method METHOD     the HTTP method (default GET, or POST with --body)
  --message TEXT      a message: a record's body (sqs, sns, kinesis, dynamodb's item,
                      eventbridge's detail) or, for the HTTP triggers, ?message=TEXT;
                      repeat for several: a record each in a batch (sqs, kinesis,
                      dynamodb), an event each for the others
  --count N           records in a batch, or events for the others (default: one per
                      --message, at least one); messages repeat in turn to fill it
  --region REGION     the region in ARNs and URLs (default "us-east-1")
  -h, --help          show this help

Examples:
  lambdaguard event sqs --message hoge --message fuga
  lambdaguard event apigw-v2 --message hoge --message fuga | lambdaguard run --events - ./examples/leaky
  lambdaguard event apigw-v1 --method POST --path /orders --body '{"id":7}'
`
}

// eventCommand is "lambdaguard event": it returns the exit status.
func eventCommand(_ context.Context, args []string, io stdio) int {
	var o trigger.Options
	fs := eventFlags(&o)
	var positional []string
	for {
		err := fs.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(io.out, eventHelp())
			return exitOK
		}
		if err != nil {
			return eventUsage(io, err)
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(positional) != 1 {
		return eventUsage(io, fmt.Errorf("want one trigger (%s), got %d", strings.Join(trigger.Names(), ", "), len(positional)))
	}
	docs, err := trigger.Build(positional[0], o)
	if err != nil {
		return eventUsage(io, err)
	}
	var out bytes.Buffer
	for _, d := range docs {
		if len(docs) == 1 {
			_ = json.Indent(&out, d, "", "  ")
		} else {
			out.Write(d)
		}
		out.WriteByte('\n')
	}
	if _, err := io.out.Write(out.Bytes()); err != nil {
		fmt.Fprintf(io.err, "lambdaguard event: %v\n", err)
		return exitFailure
	}
	return exitOK
}

func eventFlags(o *trigger.Options) *flag.FlagSet {
	fs := flag.NewFlagSet("event", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	fs.StringVar(&o.Body, "body", "", "")
	fs.StringVar(&o.Path, "path", "", "")
	fs.StringVar(&o.Method, "method", "", "")
	fs.Func("message", "", func(s string) error { o.Messages = append(o.Messages, s); return nil })
	fs.IntVar(&o.Count, "count", 0, "")
	fs.StringVar(&o.Region, "region", "us-east-1", "")
	return fs
}

func eventUsage(io stdio, err error) int {
	fmt.Fprintf(io.err, "lambdaguard event: %v\nRun \"lambdaguard event --help\" for usage.\n", err)
	return exitUsage
}
