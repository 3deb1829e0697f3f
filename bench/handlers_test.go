package bench_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/lambdaguard/lambdaguard/guard"
)

// The handlers do what a small function does with its event: read it, make
// a short JSON reply. The floor they set is aws-lambda-go's own decoding and
// encoding, which every variant pays alike.

type order struct {
	SKU      string `json:"sku"`
	Quantity int64  `json:"quantity"`
}

// apiHandlerCtx is apiHandler for a handler that uses its context as an SDK
// call does: it derives one with a timeout of its own and watches it.
func apiHandlerCtx(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	call, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	select {
	case <-call.Done():
		return events.APIGatewayV2HTTPResponse{}, call.Err()
	default:
	}
	return apiHandler(call, req)
}

func apiHandler(_ context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	body, err := json.Marshal(map[string]any{
		"route":  req.RouteKey,
		"bytes":  len(req.Body),
		"caller": req.RequestContext.HTTP.SourceIP,
	})
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	return events.APIGatewayV2HTTPResponse{
		StatusCode: 200,
		Headers:    map[string]string{"Content-Type": "application/json"},
		Body:       string(body),
	}, nil
}

func sqsHandler(_ context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	var resp events.SQSEventResponse
	for _, r := range ev.Records {
		var o order
		if err := json.Unmarshal([]byte(r.Body), &o); err != nil || o.Quantity <= 0 {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: r.MessageId})
		}
	}
	return resp, nil
}

// spool writes the event's body into the invocation's temp directory, as a
// function that stages a file does: one directory made, one file written,
// both removed by the guard.
func spool(ctx context.Context, body string) error {
	root, err := guard.TempRoot(ctx)
	if err != nil {
		return err
	}
	return root.WriteFile("body", []byte(body), 0o600)
}

// spoolBare is spool without the guard: what a careful function does by hand.
func spoolBare(body string) error {
	dir, err := os.MkdirTemp(benchBase, "bare-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	return os.WriteFile(filepath.Join(dir, "body"), []byte(body), 0o600)
}

// benchBase is the temp base of every variant, set by TestMain.
var benchBase string

func apiSpool(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	if err := spool(ctx, req.Body); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	return apiHandler(ctx, req)
}

func apiSpoolBare(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	if err := spoolBare(req.Body); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	return apiHandler(ctx, req)
}

func sqsSpool(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	if err := spool(ctx, ev.Records[0].Body); err != nil {
		return events.SQSEventResponse{}, err
	}
	return sqsHandler(ctx, ev)
}

func sqsSpoolBare(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	if err := spoolBare(ev.Records[0].Body); err != nil {
		return events.SQSEventResponse{}, err
	}
	return sqsHandler(ctx, ev)
}

// cacheOf returns a map of n entries of 68 bytes each (an 11-byte key, a
// 57-byte value), and the bytes of keys and values it holds.
func cacheOf(n int) (map[string]string, int64) {
	m := make(map[string]string, n)
	var size int64
	for i := range n {
		k := "user:" + pad(i, 6)
		v := "session=" + pad(i*7919, 12) + ";role=reader;region=eu-west-1;ttl=900"
		m[k] = v
		size += int64(len(k) + len(v))
	}
	return m, size
}

func pad(n, width int) string {
	s := strconv.Itoa(n)
	for len(s) < width {
		s = "0" + s
	}
	return s
}
