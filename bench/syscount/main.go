// Command syscount invokes a handler n times through aws-lambda-go's
// lambda.NewHandler, for strace to count the system calls of each variant:
//
//	strace -f -c -o counts.txt syscount -handler guard -n 10000 -event testdata/apigw-v2.json
//
// scripts/bench.sh runs it twice per variant, with two values of n, and
// reports the difference divided by the difference of n: the system calls
// of one invocation, without those of start-up and the first invocation.
package main

import (
	"context"
	"flag"
	"log"
	"os"
	"path/filepath"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/lambdaguard/lambdaguard/guard"
)

func reply(_ context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	return events.APIGatewayV2HTTPResponse{StatusCode: 200, Body: req.RouteKey}, nil
}

func main() {
	variant := flag.String("handler", "bare", "bare, guard, bare-tempdir or guard-tempdir")
	n := flag.Int("n", 1000, "invocations")
	event := flag.String("event", "testdata/apigw-v2.json", "the event's JSON")
	base := flag.String("base", os.TempDir(), "the temp base")
	flag.Parse()

	payload, err := os.ReadFile(*event)
	if err != nil {
		log.Fatal(err)
	}
	spool := func(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		root, err := guard.TempRoot(ctx)
		if err != nil {
			return events.APIGatewayV2HTTPResponse{}, err
		}
		if err := root.WriteFile("body", []byte(req.Body), 0o600); err != nil {
			return events.APIGatewayV2HTTPResponse{}, err
		}
		return reply(ctx, req)
	}
	spoolBare := func(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		dir, err := os.MkdirTemp(*base, "bare-")
		if err != nil {
			return events.APIGatewayV2HTTPResponse{}, err
		}
		defer os.RemoveAll(dir)
		if err := os.WriteFile(filepath.Join(dir, "body"), []byte(req.Body), 0o600); err != nil {
			return events.APIGatewayV2HTTPResponse{}, err
		}
		return reply(ctx, req)
	}
	opts := []guard.Option{guard.WithTempBase(*base), guard.WithDebug(false)}
	var h lambda.Handler
	switch *variant {
	case "bare":
		h = lambda.NewHandler(reply)
	case "guard":
		h = lambda.NewHandler(guard.Wrap(reply, opts...))
	case "bare-tempdir":
		h = lambda.NewHandler(spoolBare)
	case "guard-tempdir":
		h = lambda.NewHandler(guard.Wrap(spool, opts...))
	default:
		log.Fatalf("unknown handler %q", *variant)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 1<<40)
	defer cancel()
	ctx = lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{AwsRequestID: "8476a536-e9f4-11e8-9739-2dfe598c3fcd"})
	for range *n {
		if _, err := h.Invoke(ctx, payload); err != nil {
			log.Fatal(err)
		}
	}
}
