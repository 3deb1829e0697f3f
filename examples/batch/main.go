// Command batch is an SQS function built on lambdaguard's batch helper: each
// message of a batch is an order from a different customer, and each is
// processed in a scope and a temp directory of its own, with log keys of its
// own, all gone when the message is done — the next message of the batch,
// processed at the same time or after it, finds nothing of this one. A
// message that cannot be processed fails alone: it is reported in the
// partial batch response (the event source mapping needs
// ReportBatchItemFailures), and Lambda redelivers it, not the whole batch.
//
// Build it as Lambda runs it (from examples/, a module of its own):
//
//	GOOS=linux CGO_ENABLED=0 go build -tags lambda.norpc -o bootstrap ./batch
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/lambdaguard/lambdaguard/guard"
	"github.com/lambdaguard/lambdaguard/scope"
)

// order is what a message carries.
type order struct {
	ID       string `json:"order"`
	Customer string `json:"customer"`
}

// customer is the message's customer, in the message's own scope.
var customer = scope.NewKey[string]("customer")

var log = slog.New(guard.NewLogHandler(lambdacontext.NewLogHandler()))

// errNoOrder marks a message that is not an order: retrying cannot help,
// but it is reported failed so that the queue's redrive policy moves it to
// its dead-letter queue.
var errNoOrder = errors.New("not an order")

func handle(ctx context.Context, msg events.SQSMessage) error {
	var o order
	if err := json.Unmarshal([]byte(msg.Body), &o); err != nil || o.ID == "" {
		return fmt.Errorf("message %s: %w", msg.MessageId, errNoOrder)
	}
	if err := guard.AddLogAttrs(ctx, slog.String("order", o.ID)); err != nil {
		return err
	}
	if err := customer.Set(ctx, o.Customer); err != nil {
		return err
	}
	receipt, err := writeReceipt(ctx, o)
	if err != nil {
		return err
	}
	log.InfoContext(ctx, "order processed", "receipt", filepath.Base(receipt))
	return nil
}

// writeReceipt renders the order's receipt in the message's own temp
// directory, wiped when the message is done.
func writeReceipt(ctx context.Context, o order) (string, error) {
	root, err := guard.TempRoot(ctx)
	if err != nil {
		return "", err
	}
	name := "receipt.txt"
	who, _ := customer.Get(ctx)
	if err := root.WriteFile(name, fmt.Appendf(nil, "order %s for %s\n", o.ID, who), 0o600); err != nil {
		return "", err
	}
	return filepath.Join(root.Name(), name), nil
}

func main() {
	if len(os.Args) > 1 {
		fmt.Fprintln(os.Stderr, "batch takes no arguments: it is a Lambda bootstrap")
		os.Exit(2)
	}
	guard.Start(guard.SQS(handle, guard.Concurrently(4)))
}
