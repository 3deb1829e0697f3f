package tracing

import (
	"bytes"
	"encoding/json"
	"errors"

	"github.com/aws/aws-lambda-go/events"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// rawEvent is the little of every trigger's payload that tracing reads. A
// raw payload (WrapHandler) is decoded into it, and only into it: the
// payload the handler gets is untouched, never re-encoded (numbers keep
// their precision), and fields not named here are skipped by the decoder.
//
// encoding/json matches names without regard to case, so eventSource (SQS,
// Kinesis, DynamoDB, S3) and EventSource (SNS) share a field.
type rawEvent struct {
	// API Gateway REST (v1), HTTP (v2), ALB, function URLs.
	Version           string              `json:"version"`
	HTTPMethod        string              `json:"httpMethod"`
	Resource          string              `json:"resource"`
	Path              string              `json:"path"`
	RouteKey          string              `json:"routeKey"`
	RawPath           string              `json:"rawPath"`
	Headers           map[string]string   `json:"headers"`
	MultiValueHeaders map[string][]string `json:"multiValueHeaders"`
	RequestContext    struct {
		HTTP struct {
			Method string `json:"method"`
		} `json:"http"`
		ELB *struct{} `json:"elb"`
	} `json:"requestContext"`

	// SQS, SNS and the streams.
	Records []rawRecord `json:"Records"`

	// EventBridge.
	Source     string       `json:"source"`
	DetailType string       `json:"detail-type"`
	Detail     TraceContext `json:"detail"`

	// A direct invocation whose payload embeds TraceContext.
	TraceContext
}

type rawRecord struct {
	EventSource       string                                `json:"eventSource"`
	EventSourceARN    string                                `json:"eventSourceARN"`
	MessageID         string                                `json:"messageId"`
	Attributes        struct{ AWSTraceHeader string }       `json:"attributes"`
	MessageAttributes map[string]events.SQSMessageAttribute `json:"messageAttributes"`
	SNS               struct {
		MessageID         string             `json:"MessageId"`
		TopicArn          string             `json:"TopicArn"`
		MessageAttributes map[string]snsAttr `json:"MessageAttributes"`
	} `json:"Sns"`
}

// classifyRaw reads a raw payload. A payload that is not a JSON object, or
// does not look like any trigger, is "other" with no carrier.
func classifyRaw(payload []byte) source {
	p := bytes.TrimLeft(payload, " \t\r\n")
	if len(p) == 0 || p[0] != '{' {
		return otherSource
	}
	var e rawEvent
	if err := json.Unmarshal(p, &e); err != nil {
		// A field of an unexpected type (a user's own "headers" or
		// "records") is skipped, the rest decoded: keep what was read.
		var te *json.UnmarshalTypeError
		if !errors.As(err, &te) {
			return otherSource
		}
	}
	switch {
	case len(e.Records) > 0:
		return rawRecords(e.Records)
	case e.Version == "2.0" && e.RequestContext.HTTP.Method != "":
		return httpSource(e.RequestContext.HTTP.Method, routeOf(e.RouteKey), e.RawPath, headerCarrier{single: e.Headers})
	case e.HTTPMethod != "" && (e.Headers != nil || e.MultiValueHeaders != nil || e.RequestContext.ELB != nil):
		return httpSource(e.HTTPMethod, e.Resource, e.Path, headerCarrier{single: e.Headers, multi: e.MultiValueHeaders})
	case e.Source != "" && e.DetailType != "":
		return eventBridge(e.Source, e.DetailType, e.Detail.Carrier)
	case len(e.TraceContext.Carrier) > 0:
		s := otherSource
		s.carrier = e.TraceContext.Carrier
		return s
	}
	return otherSource
}

func rawRecords(recs []rawRecord) source {
	switch recs[0].EventSource {
	case "aws:sqs":
		s := messagingSource(semconv.MessagingSystemAWSSQS, len(recs))
		s.setDestination(recs[0].EventSourceARN)
		for i := range recs {
			r := &recs[i]
			s.records = append(s.records, record{id: r.MessageID, carrier: sqsCarrier{attrs: r.MessageAttributes, traceHeader: r.Attributes.AWSTraceHeader}})
		}
		return s.withMessageID()
	case "aws:sns":
		s := messagingSource(semconv.MessagingSystemAWSSNS, len(recs))
		s.setDestination(recs[0].SNS.TopicArn)
		for i := range recs {
			r := &recs[i].SNS
			s.records = append(s.records, record{id: r.MessageID, carrier: snsRawCarrier(r.MessageAttributes)})
		}
		return s.withMessageID()
	case "aws:kinesis":
		return source{trigger: semconv.FaaSTriggerPubSub, kind: trace.SpanKindConsumer}
	case "aws:dynamodb", "aws:s3":
		return source{trigger: semconv.FaaSTriggerDatasource, kind: trace.SpanKindServer}
	}
	return otherSource
}

// rawStatusCode returns the statusCode of a raw HTTP response payload
// (API Gateway, ALB, function URL), or 0.
func rawStatusCode(payload []byte) int {
	if !bytes.Contains(payload, []byte(`"statusCode"`)) {
		return 0
	}
	var r struct {
		StatusCode int `json:"statusCode"`
	}
	_ = json.Unmarshal(payload, &r)
	return r.StatusCode
}
