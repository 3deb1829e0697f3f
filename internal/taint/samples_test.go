package taint

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A function sees an event either typed (lambda.Start with an events type)
// or as the raw payload (a lambda.Handler, the runner, guard.WrapHandler).
// Both must give the same request data, on the events Lambda really sends.
func TestOfSampleEvents(t *testing.T) {
	for _, tt := range []struct {
		file  string
		typed func() any // a pointer to the event's type
		want  map[string]string
		not   []string
	}{
		{
			file:  "apigw-v2-request-jwt-authorizer.json",
			typed: func() any { return new(events.APIGatewayV2HTTPRequest) },
			want: map[string]string{
				"scope2":        `.RequestContext.Authorizer.JWT.Scopes[1]`,
				"hello/world":   `.PathParameters["proxy"]`,
				"1583348638390": `.RequestContext.TimeEpoch`,
				"cookie1":       `.Cookies[0]`,
			},
		},
		{
			file:  "apigw-v2-request-no-authorizer.json",
			typed: func() any { return new(events.APIGatewayV2HTTPRequest) },
			want: map[string]string{
				"Root=1-5e9f0c65-1de4d666d4dd26aced652b6c": `.Headers["x-amzn-trace-id"]`,
				"LV7fzho-PHcEJPw=":                         `.RequestContext.RequestID`,
			},
			not: []string{"aaaaaaaaaa.execute-api.us-west-2.amazonaws.com/"}, // Host is vocabulary (and not this)
		},
		{
			file:  "apigw-request.json",
			typed: func() any { return new(events.APIGatewayProxyRequest) },
			want: map[string]string{
				"theApiKey":   `.RequestContext.Identity.APIKey`,
				"headerValue": `.Headers["headerName"]`,
				"Exata":       `.RequestContext.Authorizer["clientName"]`,
			},
			not: []string{"application/json", "gzip, deflate"},
		},
		{
			file:  "lambda-urls-request.json",
			typed: func() any { return new(events.LambdaFunctionURLRequest) },
			want: map[string]string{
				"Hello from client!":                          `.Body`,
				"arn:aws:iam::111122223333:user/example-user": `.RequestContext.Authorizer.IAM.UserARN`,
			},
		},
		{
			file:  "alb-lambda-target-request-multivalue-headers.json",
			typed: func() any { return new(events.ALBTargetGroupRequest) },
			want: map[string]string{
				"hello":        `.MultiValueQueryStringParameters["key"][0]`,
				"72.21.198.67": `.MultiValueHeaders["x-forwarded-for"][0]`,
			},
			not: []string{"curl/7.54.0", "keep-alive", "lambda-test-alb-1234567.us-east-1.elb.amazonaws.com"},
		},
		{
			file:  "sqs-event.json",
			typed: func() any { return new(events.SQSEvent) },
			want: map[string]string{
				"Message Body":    `.Records[0].Body`,
				"AttributeValue1": `.Records[0].MessageAttributes["Attribute1"].StringValue`,
				"1100":            `.Records[0].MessageAttributes["Attribute3"].BinaryValue`, // "MTEwMA==", decoded
			},
		},
		{
			file:  "sns-event.json",
			typed: func() any { return new(events.SNSEvent) },
			want: map[string]string{
				"Hello from SNS!":          `.Records[0].SNS.Message`,
				"2015-06-03T17:43:27.123Z": `.Records[0].SNS.Timestamp`,
			},
		},
		{
			file:  "codedeploy-deployment-event.json",
			typed: func() any { return new(events.EventBridgeEvent) },
			want: map[string]string{
				"myDeploymentGroup": `.Detail["deploymentGroup"]`,
			},
		},
		{
			file:  "kinesis-event.json",
			typed: func() any { return new(events.KinesisEvent) },
			want: map[string]string{
				"Hello World":      `.Records[0].Kinesis.Data`,
				"SGVsbG8gV29ybGQ=": `.Records[0].Kinesis.Data`,
				"1480641523.477":   `.Records[0].Kinesis.ApproximateArrivalTimestamp`,
			},
		},
		{
			file:  "dynamodb-event.json",
			typed: func() any { return new(events.DynamoDBEvent) },
			want: map[string]string{
				"Giraffe": `.Records[1].Change.NewImage["StringSet"]["SS"][0]`,
				"3.14159": `.Records[1].Change.NewImage["List"]["L"][2]["N"]`,
			},
		},
	} {
		t.Run(tt.file, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join("testdata", "events", tt.file))
			require.NoError(t, err)
			typed := tt.typed()
			require.NoError(t, json.Unmarshal(raw, typed))

			fromTyped, fromRaw := Of(typed, "req-1"), Of(raw, "req-1")
			assert.Equal(t, evidenceOf(fromRaw), evidenceOf(fromTyped), "typed and raw give the same data")
			m := byValue(t, fromTyped)
			for v, w := range tt.want {
				if assert.Contains(t, m, v) {
					assert.Equal(t, w, where(m[v]), v)
				}
			}
			for _, v := range tt.not {
				assert.NotContains(t, m, v)
			}
			// A request's own text holds what Of found, decoded.
			own := NewRequest(1, raw, "req-1")
			for _, x := range fromRaw {
				assert.Contains(t, own.text, x.Value)
			}
		})
	}
}
