// Package trigger builds the events AWS services send a Lambda function, as
// "lambdaguard event TRIGGER" prints them (the counterpart of sam local generate-event):
// each is a value of its aws-lambda-go events type, filled the way the service fills it
// (ids, ARNs in the documentation account 123456789012, timestamps of now), with the
// common fields taken from Options.
package trigger

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/google/uuid"
)

// Account is the AWS account the events name, the one AWS's documentation uses.
const Account = "123456789012"

// Options are the fields a user sets; the zero value gives a sensible event.
type Options struct {
	Body     string   // the HTTP request body
	Path     string   // the HTTP path (default "/hello"), or the S3 object key
	Method   string   // the HTTP method (default GET, or POST when Body is set)
	Messages []string // one per record (sqs, kinesis, dynamodb) or per event (the others)
	// Count is the number of records of a batch trigger (sqs, kinesis, dynamodb) or of
	// events of the others; default: one per message, at least one. Messages repeat in
	// turn to fill it.
	Count  int
	Region string    // default "us-east-1"
	Now    time.Time // default time.Now()
}

// kind tells how a trigger's events are built.
type kind struct {
	doc string
	typ func() any // a new *T of the aws-lambda-go type
	// batch builds one event of all the records; one builds one event of message i.
	batch func(o Options, msgs []string) any
	one   func(o Options, i int, msg string) any
}

var triggers = map[string]kind{
	"apigw-v1":     {doc: "API Gateway REST API (proxy integration, payload 1.0): events.APIGatewayProxyRequest", typ: func() any { return new(events.APIGatewayProxyRequest) }, one: apigwV1},
	"apigw-v2":     {doc: "API Gateway HTTP API (payload 2.0): events.APIGatewayV2HTTPRequest", typ: func() any { return new(events.APIGatewayV2HTTPRequest) }, one: apigwV2},
	"alb":          {doc: "Application Load Balancer target group: events.ALBTargetGroupRequest", typ: func() any { return new(events.ALBTargetGroupRequest) }, one: alb},
	"function-url": {doc: "Lambda function URL: events.LambdaFunctionURLRequest", typ: func() any { return new(events.LambdaFunctionURLRequest) }, one: functionURL},
	"sqs":          {doc: "SQS batch, a record per message: events.SQSEvent", typ: func() any { return new(events.SQSEvent) }, batch: sqs},
	"sns":          {doc: "SNS notification, one record: events.SNSEvent", typ: func() any { return new(events.SNSEvent) }, one: sns},
	"eventbridge":  {doc: "EventBridge event, the message in its detail: events.EventBridgeEvent", typ: func() any { return new(events.EventBridgeEvent) }, one: eventBridge},
	"s3":           {doc: "S3 ObjectCreated:Put, one record, --path is the key: events.S3Event", typ: func() any { return new(events.S3Event) }, one: s3},
	"dynamodb":     {doc: "DynamoDB stream batch, an INSERT per message: events.DynamoDBEvent", typ: func() any { return new(events.DynamoDBEvent) }, batch: dynamoDB},
	"kinesis":      {doc: "Kinesis stream batch, a record per message: events.KinesisEvent", typ: func() any { return new(events.KinesisEvent) }, batch: kinesis},
	"schedule":     {doc: "EventBridge scheduled event (rate or cron rule): events.EventBridgeEvent", typ: func() any { return new(events.EventBridgeEvent) }, one: schedule},
}

// Names lists the triggers, sorted.
func Names() []string {
	names := make([]string, 0, len(triggers))
	for n := range triggers {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Doc says in a line what trigger name sends, and as which aws-lambda-go type.
func Doc(name string) string { return triggers[name].doc }

// Type returns a pointer to a new zero value of the aws-lambda-go type trigger name's
// events decode into (*events.SQSEvent for "sqs"), or nil for an unknown name.
func Type(name string) any {
	k, ok := triggers[name]
	if !ok {
		return nil
	}
	return k.typ()
}

// Build returns the events of trigger name, each a JSON document.
func Build(name string, o Options) ([][]byte, error) {
	k, ok := triggers[name]
	if !ok {
		return nil, fmt.Errorf("trigger: no trigger %q (have %s)", name, strings.Join(Names(), ", "))
	}
	if o.Count < 0 {
		return nil, fmt.Errorf("trigger: the count must not be negative (got %d)", o.Count)
	}
	if o.Region == "" {
		o.Region = "us-east-1"
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	o.Now = o.Now.UTC()
	if o.Path == "" {
		o.Path = "/hello"
	}
	if o.Method == "" {
		o.Method = "GET"
		if o.Body != "" {
			o.Method = "POST"
		}
	}
	o.Method = strings.ToUpper(o.Method)
	n := max(o.Count, len(o.Messages), 1)
	if o.Count > 0 {
		n = o.Count
	}
	msgs := make([]string, n)
	for i := range msgs {
		if len(o.Messages) > 0 {
			msgs[i] = o.Messages[i%len(o.Messages)]
		} else if k.batch != nil || name == "sns" || name == "eventbridge" {
			msgs[i] = "message " + strconv.Itoa(i+1)
		}
	}
	var values []any
	if k.batch != nil {
		values = append(values, k.batch(o, msgs))
	} else {
		for i, m := range msgs {
			values = append(values, k.one(o, i, m))
		}
	}
	out := make([][]byte, 0, len(values))
	for _, v := range values {
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("trigger: %s: %w", name, err)
		}
		out = append(out, b)
	}
	return out, nil
}

// httpRequest is what the HTTP triggers share: the path split from its query, the query with
// ?message= when a message is given, and the headers a browser-like client sends.
type httpRequest struct {
	path, rawQuery string
	query          map[string]string
	headers        map[string]string
}

func newHTTP(o Options, msg string) httpRequest {
	path, rawQuery, _ := strings.Cut(o.Path, "?")
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	q, _ := url.ParseQuery(rawQuery)
	if msg != "" {
		q.Set("message", msg)
	}
	h := httpRequest{path: path, rawQuery: q.Encode(), headers: map[string]string{
		"accept":          "*/*",
		"user-agent":      "curl/8.5.0",
		"x-forwarded-for": "203.0.113.7",
	}}
	if len(q) > 0 {
		h.query = map[string]string{}
		for k, v := range q {
			h.query[k] = v[0]
		}
	}
	if o.Body != "" {
		h.headers["content-type"] = "application/json"
		h.headers["content-length"] = strconv.Itoa(len(o.Body))
	}
	return h
}

func apigwV1(o Options, _ int, msg string) any {
	h := newHTTP(o, msg)
	multiQ := map[string][]string(nil)
	for k, v := range h.query {
		if multiQ == nil {
			multiQ = map[string][]string{}
		}
		multiQ[k] = []string{v}
	}
	multiH := map[string][]string{}
	for k, v := range h.headers {
		multiH[k] = []string{v}
	}
	return events.APIGatewayProxyRequest{
		Resource:                        "/{proxy+}",
		Path:                            h.path,
		HTTPMethod:                      o.Method,
		Headers:                         h.headers,
		MultiValueHeaders:               multiH,
		QueryStringParameters:           h.query,
		MultiValueQueryStringParameters: multiQ,
		PathParameters:                  map[string]string{"proxy": strings.TrimPrefix(h.path, "/")},
		RequestContext: events.APIGatewayProxyRequestContext{
			AccountID:         Account,
			ResourceID:        "abc123",
			Stage:             "prod",
			DomainName:        "1234567890.execute-api." + o.Region + ".amazonaws.com",
			DomainPrefix:      "1234567890",
			RequestID:         uuid.NewString(),
			ExtendedRequestID: "Ab1cDEFgHIJKLmN=",
			Protocol:          "HTTP/1.1",
			Identity:          events.APIGatewayRequestIdentity{SourceIP: "203.0.113.7", UserAgent: "curl/8.5.0"},
			ResourcePath:      "/{proxy+}",
			Path:              "/prod" + h.path,
			HTTPMethod:        o.Method,
			RequestTime:       o.Now.Format("02/Jan/2006:15:04:05 -0700"),
			RequestTimeEpoch:  o.Now.UnixMilli(),
			APIID:             "1234567890",
		},
		Body: o.Body,
	}
}

func apigwV2(o Options, _ int, msg string) any {
	h := newHTTP(o, msg)
	return events.APIGatewayV2HTTPRequest{
		Version:               "2.0",
		RouteKey:              "$default",
		RawPath:               h.path,
		RawQueryString:        h.rawQuery,
		Headers:               h.headers,
		QueryStringParameters: h.query,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey:     "$default",
			AccountID:    Account,
			Stage:        "$default",
			RequestID:    requestID(o.Now),
			APIID:        "r3pmxmplak",
			DomainName:   "r3pmxmplak.execute-api." + o.Region + ".amazonaws.com",
			DomainPrefix: "r3pmxmplak",
			Time:         o.Now.Format("02/Jan/2006:15:04:05 -0700"),
			TimeEpoch:    o.Now.UnixMilli(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method: o.Method, Path: h.path, Protocol: "HTTP/1.1", SourceIP: "203.0.113.7", UserAgent: "curl/8.5.0",
			},
		},
		Body: o.Body,
	}
}

func alb(o Options, _ int, msg string) any {
	h := newHTTP(o, msg)
	h.headers["host"] = "lambda-alb-123578498." + o.Region + ".elb.amazonaws.com"
	h.headers["x-amzn-trace-id"] = "Root=1-" + strconv.FormatInt(o.Now.Unix(), 16) + "-" + strings.ReplaceAll(uuid.NewString(), "-", "")[:24]
	return events.ALBTargetGroupRequest{
		HTTPMethod:            o.Method,
		Path:                  h.path,
		QueryStringParameters: h.query,
		Headers:               h.headers,
		RequestContext: events.ALBTargetGroupRequestContext{ELB: events.ELBContext{
			TargetGroupArn: "arn:aws:elasticloadbalancing:" + o.Region + ":" + Account + ":targetgroup/lambda-279XGJDqGZ5rsrHC2Fjr/49e9d65c45c6791a",
		}},
		Body: o.Body,
	}
}

func functionURL(o Options, _ int, msg string) any {
	h := newHTTP(o, msg)
	id := "a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6"
	return events.LambdaFunctionURLRequest{
		Version:               "2.0",
		RawPath:               h.path,
		RawQueryString:        h.rawQuery,
		Headers:               h.headers,
		QueryStringParameters: h.query,
		RequestContext: events.LambdaFunctionURLRequestContext{
			AccountID:    "anonymous",
			RequestID:    uuid.NewString(),
			APIID:        id,
			DomainName:   id + ".lambda-url." + o.Region + ".on.aws",
			DomainPrefix: id,
			Time:         o.Now.Format("02/Jan/2006:15:04:05 -0700"),
			TimeEpoch:    o.Now.UnixMilli(),
			HTTP: events.LambdaFunctionURLRequestContextHTTPDescription{
				Method: o.Method, Path: h.path, Protocol: "HTTP/1.1", SourceIP: "203.0.113.7", UserAgent: "curl/8.5.0",
			},
		},
		Body: o.Body,
	}
}

func sqs(o Options, msgs []string) any {
	ev := events.SQSEvent{Records: []events.SQSMessage{}}
	for _, m := range msgs {
		sum := md5.Sum([]byte(m))
		ev.Records = append(ev.Records, events.SQSMessage{
			MessageId:     uuid.NewString(),
			ReceiptHandle: "AQEB" + strings.ReplaceAll(uuid.NewString(), "-", ""),
			Body:          m,
			Md5OfBody:     hex.EncodeToString(sum[:]),
			Attributes: map[string]string{
				"ApproximateReceiveCount":          "1",
				"SentTimestamp":                    strconv.FormatInt(o.Now.UnixMilli(), 10),
				"SenderId":                         "AIDAIENQZJOLO23YVJ4VO",
				"ApproximateFirstReceiveTimestamp": strconv.FormatInt(o.Now.UnixMilli(), 10),
			},
			MessageAttributes: map[string]events.SQSMessageAttribute{},
			EventSourceARN:    "arn:aws:sqs:" + o.Region + ":" + Account + ":my-queue",
			EventSource:       "aws:sqs",
			AWSRegion:         o.Region,
		})
	}
	return ev
}

func sns(o Options, _ int, msg string) any {
	topic := "arn:aws:sns:" + o.Region + ":" + Account + ":my-topic"
	return events.SNSEvent{Records: []events.SNSEventRecord{{
		EventVersion:         "1.0",
		EventSubscriptionArn: topic + ":" + uuid.NewString(),
		EventSource:          "aws:sns",
		SNS: events.SNSEntity{
			Signature:         "tcc6faL2yUC6dgZdmrwh1Y4cGa/ebXEkAi6RibDsvpi+tE/1+82j...65r==",
			MessageID:         uuid.NewString(),
			Type:              "Notification",
			TopicArn:          topic,
			MessageAttributes: map[string]any{},
			SignatureVersion:  "1",
			Timestamp:         o.Now,
			SigningCertURL:    "https://sns." + o.Region + ".amazonaws.com/SimpleNotificationService-0000000000000000000000.pem",
			Message:           msg,
			UnsubscribeURL:    "https://sns." + o.Region + ".amazonaws.com/?Action=Unsubscribe&SubscriptionArn=" + topic,
			Subject:           "example subject",
		},
	}}}
}

func eventBridge(o Options, _ int, msg string) any {
	detail, _ := json.Marshal(map[string]string{"message": msg})
	return events.EventBridgeEvent{
		Version:    "0",
		ID:         uuid.NewString(),
		DetailType: "message posted",
		Source:     "com.example.app",
		AccountID:  Account,
		Time:       o.Now.Truncate(time.Second),
		Region:     o.Region,
		Resources:  []string{},
		Detail:     detail,
	}
}

func schedule(o Options, _ int, _ string) any {
	return events.EventBridgeEvent{
		Version:    "0",
		ID:         uuid.NewString(),
		DetailType: "Scheduled Event",
		Source:     "aws.events",
		AccountID:  Account,
		Time:       o.Now.Truncate(time.Second),
		Region:     o.Region,
		Resources:  []string{"arn:aws:events:" + o.Region + ":" + Account + ":rule/my-schedule"},
		Detail:     json.RawMessage(`{}`),
	}
}

func s3(o Options, i int, msg string) any {
	key := strings.TrimPrefix(o.Path, "/")
	if o.Path == "/hello" { // the HTTP default: an S3 key of its own
		key = "uploads/object-" + strconv.Itoa(i+1) + ".txt"
	}
	size := int64(len(msg))
	if size == 0 {
		size = 1024
	}
	return events.S3Event{Records: []events.S3EventRecord{{
		EventVersion:      "2.1",
		EventSource:       "aws:s3",
		AWSRegion:         o.Region,
		EventTime:         o.Now,
		EventName:         "ObjectCreated:Put",
		PrincipalID:       events.S3UserIdentity{PrincipalID: "AWS:AIDAINPONIXQXHT3IKHL2"},
		RequestParameters: events.S3RequestParameters{SourceIPAddress: "203.0.113.7"},
		ResponseElements: map[string]string{
			"x-amz-request-id": "D82B88E5F771F645",
			"x-amz-id-2":       "vlR7PnpV2Ce81l0PRw6jlUpck7Jo5ZsQjryTjKlc5aLWGVHPZLj5NeC6qMa0emYBDXOo6QBU0Wo=",
		},
		S3: events.S3Entity{
			SchemaVersion:   "1.0",
			ConfigurationID: "my-upload-trigger",
			Bucket: events.S3Bucket{
				Name:          "my-bucket",
				OwnerIdentity: events.S3UserIdentity{PrincipalID: "A3I5XTEXAMAI3E"},
				Arn:           "arn:aws:s3:::my-bucket",
			},
			Object: events.S3Object{
				Key:           s3Key(key),
				URLDecodedKey: key, // aws-lambda-go fills it in when it decodes, and writes it out
				Size:          size,
				ETag:          "0123456789abcdef0123456789abcdef",
				Sequencer:     strings.ToUpper(strconv.FormatInt(o.Now.UnixNano(), 16)),
			},
		},
	}}}
}

func dynamoDB(o Options, msgs []string) any {
	ev := events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{}}
	stream := "arn:aws:dynamodb:" + o.Region + ":" + Account + ":table/my-table/stream/" + o.Now.Format("2006-01-02T15:04:05.000")
	for i, m := range msgs {
		id := events.NewStringAttribute(uuid.NewString())
		ev.Records = append(ev.Records, events.DynamoDBEventRecord{
			AWSRegion: o.Region,
			Change: events.DynamoDBStreamRecord{
				ApproximateCreationDateTime: events.SecondsEpochTime{Time: o.Now.Truncate(time.Second)},
				Keys:                        map[string]events.DynamoDBAttributeValue{"id": id},
				NewImage:                    map[string]events.DynamoDBAttributeValue{"id": id, "message": events.NewStringAttribute(m)},
				SequenceNumber:              strconv.Itoa(111 + i),
				SizeBytes:                   int64(26 + len(m)),
				StreamViewType:              "NEW_AND_OLD_IMAGES",
			},
			EventID:        strings.ReplaceAll(uuid.NewString(), "-", ""),
			EventName:      "INSERT",
			EventSource:    "aws:dynamodb",
			EventVersion:   "1.1",
			EventSourceArn: stream,
		})
	}
	return ev
}

func kinesis(o Options, msgs []string) any {
	ev := events.KinesisEvent{Records: []events.KinesisEventRecord{}}
	for i, m := range msgs {
		seq := fmt.Sprintf("49590338271490256608559692538361571095921575989136588%03d", i)
		ev.Records = append(ev.Records, events.KinesisEventRecord{
			AwsRegion:         o.Region,
			EventID:           "shardId-000000000006:" + seq,
			EventName:         "aws:kinesis:record",
			EventSource:       "aws:kinesis",
			EventSourceArn:    "arn:aws:kinesis:" + o.Region + ":" + Account + ":stream/my-stream",
			EventVersion:      "1.0",
			InvokeIdentityArn: "arn:aws:iam::" + Account + ":role/my-function-role",
			Kinesis: events.KinesisRecord{
				ApproximateArrivalTimestamp: events.SecondsEpochTime{Time: o.Now.Truncate(time.Second)},
				Data:                        []byte(m),
				PartitionKey:                "partition-" + strconv.Itoa(i+1),
				SequenceNumber:              seq,
				KinesisSchemaVersion:        "1.0",
			},
		})
	}
	return ev
}

// s3Key encodes a key as S3 notifications do: each segment form-encoded (a space is +),
// the slashes kept.
func s3Key(key string) string {
	parts := strings.Split(key, "/")
	for i, p := range parts {
		parts[i] = url.QueryEscape(p)
	}
	return strings.Join(parts, "/")
}

// requestID is an API Gateway HTTP API request id ("JKJaXmPLvHcESHA=" style).
func requestID(now time.Time) string {
	return strings.ToUpper(strconv.FormatInt(now.UnixNano()%(1<<40), 36)) + "EXMPL="
}
