// Command fn is a Lambda function for the runtimeapi tests. The event says what to do:
//
//	{"action": "echo"}                  respond with the process id and invocation count
//	{"action": "error"}                 return an error
//	{"action": "panic"}                 panic
//	{"action": "sleep", "ms": 5000}     sleep, or until the deadline passes
//	{"action": "size", "size": N}       respond with a string of N bytes
//	{"action": "len"}                   respond with the length of the raw payload
//	{"action": "gather", "n": 4}        block until n invocations are in flight (bounded)
//	{"action": "context"}               respond with what lambdacontext saw
//	{"action": "report"}                print a lambdaguard report line on stderr
//	{"action": "log", "n": 100}         print n numbered lines on stderr, then respond
//	{"action": "ballast", "mb": 64}     keep a ballast of that many MiB, every page touched
//
// FN_INIT=exit makes it exit during init; FN_INIT=error posts /runtime/init/error first.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

type event struct {
	Action string `json:"action"`
	MS     int    `json:"ms"`
	Size   int    `json:"size"`
	N      int    `json:"n"`
	MB     int    `json:"mb"`
}

// ballast is memory kept on purpose, so that the peak resident set is known.
var ballast [][]byte

type response struct {
	PID       int               `json:"pid"`
	Count     int64             `json:"count"`
	InFlight  int64             `json:"in_flight,omitempty"`
	Body      string            `json:"body,omitempty"`
	Len       int               `json:"len,omitempty"`
	Context   map[string]string `json:"context,omitempty"`
	Env       map[string]string `json:"env,omitempty"`
	Remaining int64             `json:"remaining_ms,omitempty"`
}

var (
	count    atomic.Int64
	inFlight atomic.Int64
	gatherMu sync.Mutex
	gathered = sync.NewCond(&gatherMu)
	peak     int64 // most invocations in flight at once; guarded by gatherMu
)

func handle(ctx context.Context, raw json.RawMessage) (response, error) {
	n := count.Add(1)
	gatherMu.Lock()
	cur := inFlight.Add(1)
	peak = max(peak, cur)
	gathered.Broadcast()
	gatherMu.Unlock()
	defer inFlight.Add(-1)
	var ev event
	_ = json.Unmarshal(raw, &ev)
	r := response{PID: os.Getpid(), Count: n, InFlight: cur}
	switch ev.Action {
	case "error":
		return r, errors.New("something went wrong")
	case "panic":
		panic("boom")
	case "sleep":
		select {
		case <-time.After(time.Duration(ev.MS) * time.Millisecond):
		case <-ctx.Done():
			time.Sleep(time.Hour) // keep going past the deadline, as a stuck handler does
		}
	case "size":
		r.Body = strings.Repeat("x", ev.Size)
	case "len":
		r.Len = len(raw)
	case "gather":
		r.InFlight = gather(int64(ev.N))
	case "context":
		lc, _ := lambdacontext.FromContext(ctx)
		dl, _ := ctx.Deadline()
		r.Remaining = time.Until(dl).Milliseconds()
		r.Context = map[string]string{
			"request_id": lc.AwsRequestID,
			"arn":        lc.InvokedFunctionArn,
			"trace":      fmt.Sprint(ctx.Value("x-amzn-trace-id")),
			"client":     lc.ClientContext.Client.AppTitle,
			"identity":   lc.Identity.CognitoIdentityID,
		}
		r.Env = map[string]string{}
		for _, kv := range os.Environ() {
			k, v, _ := strings.Cut(kv, "=")
			r.Env[k] = v
		}
	case "log":
		lc, _ := lambdacontext.FromContext(ctx)
		for i := range ev.N {
			fmt.Fprintf(os.Stderr, "fn: %s line %d\n", lc.AwsRequestID, i)
		}
	case "ballast":
		b := make([]byte, ev.MB<<20)
		for i := 0; i < len(b); i += 4096 {
			b[i] = 1
		}
		ballast = append(ballast, b)
	case "report":
		lc, _ := lambdacontext.FromContext(ctx)
		fmt.Fprintf(os.Stderr, `{"level":"WARN","msg":"lambdaguard: leak","lambdaguard_report":{"invocation_id":%q,"findings":[{"kind":"global","name":"last","path":"last.Message","detail":"string len=4"}]}}`+"\n", lc.AwsRequestID)
	}
	return r, nil
}

// gather waits until n invocations have been in flight at once, or 10 seconds pass, and
// returns the most seen.
func gather(n int64) int64 {
	deadline := time.Now().Add(10 * time.Second)
	go func() {
		time.Sleep(10 * time.Second)
		gathered.Broadcast()
	}()
	gatherMu.Lock()
	defer gatherMu.Unlock()
	for peak < n && time.Now().Before(deadline) {
		gathered.Wait()
	}
	return peak
}

func main() {
	log.SetFlags(0)
	switch os.Getenv("FN_INIT") {
	case "exit":
		log.Fatal("fn: cannot load configuration")
	case "error":
		url := "http://" + os.Getenv("AWS_LAMBDA_RUNTIME_API") + "/2018-06-01/runtime/init/error"
		body := `{"errorType":"InitError","errorMessage":"fn: bad configuration"}`
		req, _ := http.NewRequest(http.MethodPost, url, bytes.NewBufferString(body))
		req.Header.Set("Lambda-Runtime-Function-Error-Type", "InitError")
		if _, err := http.DefaultClient.Do(req); err != nil {
			log.Print(err)
		}
		os.Exit(1)
	}
	fmt.Println("fn: init pid", os.Getpid())
	lambda.StartWithOptions(handle, lambda.WithEnableSIGTERM(func() {
		fmt.Println("fn: sigterm hook ran")
	}))
}
