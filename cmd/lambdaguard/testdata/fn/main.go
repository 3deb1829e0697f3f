// Command fn is a function for the lambdaguard command's tests. It keeps the last caller's
// message in a package-level variable, the classic warm-start leak, and in debug mode
// reports it the way lambdaguard's guard does: one JSON line on stderr with a redacted value.
//
// Events: an API Gateway v2 request (the message comes from ?message=), or
// {"action":"sleep","ms":N}, or {"action":"gather","n":N} (wait until N invocations are in
// flight, bounded by 10s). FN_INIT=exit makes it fail during init.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

type event struct {
	events.APIGatewayV2HTTPRequest
	Action string `json:"action"`
	MS     int    `json:"ms"`
	N      int    `json:"n"`
}

var (
	last     string // the leak: survives into the next invocation
	mu       sync.Mutex
	cond     = sync.NewCond(&mu)
	inFlight int
	peak     int
)

func handle(ctx context.Context, ev event) (events.APIGatewayV2HTTPResponse, error) {
	mu.Lock()
	inFlight++
	peak = max(peak, inFlight)
	cond.Broadcast()
	mu.Unlock()
	defer func() {
		mu.Lock()
		inFlight--
		mu.Unlock()
	}()

	switch ev.Action {
	case "sleep":
		time.Sleep(time.Duration(ev.MS) * time.Millisecond)
	case "gather":
		return respond(fmt.Sprintf("peak=%d", gather(ev.N))), nil
	}
	msg := ev.QueryStringParameters["message"]
	previous := last
	last = msg
	if os.Getenv("LAMBDAGUARD_DEBUG") == "1" && previous != "" {
		lc, _ := lambdacontext.FromContext(ctx)
		report := map[string]any{
			"invocation_id": lc.AwsRequestID,
			"findings": []map[string]string{{
				"kind": "global", "name": "last", "path": "last",
				"detail": fmt.Sprintf("string len=%d, set by an earlier invocation", len(previous)),
			}},
		}
		slog.New(slog.NewJSONHandler(os.Stderr, nil)).Warn("lambdaguard: leak", "lambdaguard_report", report)
	}
	return respond("message=" + msg + " previous=" + previous), nil
}

func gather(n int) int {
	go func() {
		time.Sleep(10 * time.Second)
		cond.Broadcast()
	}()
	deadline := time.Now().Add(10 * time.Second)
	mu.Lock()
	defer mu.Unlock()
	for peak < n && time.Now().Before(deadline) {
		cond.Wait()
	}
	return peak
}

func respond(body string) events.APIGatewayV2HTTPResponse {
	b, _ := json.Marshal(map[string]string{"said": body})
	return events.APIGatewayV2HTTPResponse{StatusCode: 200, Body: string(b)}
}

func main() {
	if os.Getenv("FN_INIT") == "exit" {
		log.Fatal("fn: cannot load configuration")
	}
	fmt.Println("fn: ready")
	lambda.StartWithOptions(handle, lambda.WithEnableSIGTERM(func() { fmt.Println("fn: sigterm hook ran") }))
}
