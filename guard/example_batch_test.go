package guard_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/lambdaguard/lambdaguard/guard"
)

// SQS gives each message a scope and a temp directory of its own, and
// reports the messages that failed for Lambda to redeliver.
func ExampleSQS() {
	process := func(ctx context.Context, msg events.SQSMessage) error {
		if msg.Body == "" {
			return errors.New("empty message")
		}
		dir, err := guard.TempDir(ctx) // this message's own, wiped when it is done
		if err != nil {
			return err
		}
		return os.WriteFile(dir+"/body", []byte(msg.Body), 0o600)
	}
	h := guard.Wrap(guard.SQS(process, guard.Concurrently(4)))

	res, _ := h(context.Background(), events.SQSEvent{Records: []events.SQSMessage{
		{MessageId: "m1", Body: "order 1"},
		{MessageId: "m2", Body: ""},
		{MessageId: "m3", Body: "order 3"},
	}})
	fmt.Println(res.BatchItemFailures)
	// Output:
	// [{m2}]
}

// AddLogAttrs puts log keys in the invocation: every record logged with its
// context carries them, and the next invocation starts without them.
func ExampleAddLogAttrs() {
	log := slog.New(guard.NewLogHandler(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{} // a stable output for the example
			}
			return a
		},
	})))
	h := guard.Wrap(func(ctx context.Context, tenant string) (string, error) {
		if tenant != "" {
			_ = guard.AddLogAttrs(ctx, slog.String("tenant", tenant))
		}
		log.InfoContext(ctx, "handled")
		return "", nil
	})
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "r1"})
	_, _ = h(ctx, "acme")
	_, _ = h(ctx, "")
	// Output:
	// level=INFO msg=handled coldStart=true tenant=acme
	// level=INFO msg=handled coldStart=false
}
