// Command bare is examples/basic without lambdaguard: the same API Gateway
// handler written against aws-lambda-go alone, with its own temp directory
// made and removed by hand. scripts/bench.sh compares its binary size and
// start-up with examples/basic's.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

type reply struct {
	Caller    string `json:"caller"`
	Message   string `json:"message"`
	Words     int    `json:"words"`
	Lines     int    `json:"lines"`
	RequestID string `json:"requestId"`
}

func handle(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	r := reply{Caller: req.QueryStringParameters["user"], Message: req.QueryStringParameters["message"]}
	if r.Caller == "" {
		r.Caller = "anonymous"
	}
	dir, err := os.MkdirTemp("", "bare-")
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	defer os.RemoveAll(dir)
	root, err := os.OpenRoot(dir)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	defer root.Close()
	if err := root.WriteFile("body.txt", []byte(req.Body), 0o600); err != nil {
		return events.APIGatewayV2HTTPResponse{}, fmt.Errorf("spool body: %w", err)
	}
	f, err := root.Open("body.txt")
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		r.Lines++
		r.Words += len(strings.Fields(sc.Text()))
	}
	if err := sc.Err(); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		r.RequestID = lc.AwsRequestID
	}
	body, err := json.Marshal(r)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	return events.APIGatewayV2HTTPResponse{
		StatusCode: http.StatusOK,
		Headers:    map[string]string{"Content-Type": "application/json"},
		Body:       string(body),
	}, nil
}

func main() {
	lambda.Start(handle)
}
