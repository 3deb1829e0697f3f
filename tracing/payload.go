package tracing

import (
	"bytes"
	"encoding/json"
	"errors"

	"github.com/aws/aws-lambda-go/events"
)

// payload is the little of every trigger's event that tracing reads, and
// the one thing the classifier looks at: a raw payload (WrapHandler) is
// decoded into it, a typed event (Wrap) is copied or, for the rarer types of
// aws-lambda-go's events package, encoded and decoded into it. Either way
// one event gets one answer. The payload the handler gets is untouched and
// never re-encoded; fields not named here are skipped by the decoder.
//
// encoding/json matches names without regard to case, preferring an exact
// match: eventSource (SQS, Kinesis, DynamoDB, S3, Kafka, MQ) and EventSource
// (SNS) share a field; Records (an array) and records (Kafka's object) do not.
type payload struct {
	// API Gateway REST (v1), HTTP (v2), websockets and authorizers, ALB,
	// function URLs.
	Version           string              `json:"version"`
	Type              string              `json:"type"` // an authorizer's: TOKEN, REQUEST
	HTTPMethod        string              `json:"httpMethod"`
	Resource          string              `json:"resource"`
	Path              string              `json:"path"`
	RouteKey          string              `json:"routeKey"`
	RawPath           string              `json:"rawPath"`
	RawQueryString    string              `json:"rawQueryString"`
	Headers           map[string]string   `json:"headers"`
	MultiValueHeaders map[string][]string `json:"multiValueHeaders"`
	RequestContext    struct {
		HTTP struct {
			Method    string `json:"method"`
			Protocol  string `json:"protocol"`
			SourceIP  string `json:"sourceIp"`
			UserAgent string `json:"userAgent"`
		} `json:"http"`
		ELB        *struct{} `json:"elb"`
		Protocol   string    `json:"protocol"`
		DomainName string    `json:"domainName"`
		Identity   struct {
			SourceIP  string `json:"sourceIp"`
			UserAgent string `json:"userAgent"`
		} `json:"identity"`
	} `json:"requestContext"`

	// SQS, SNS, Kinesis, DynamoDB streams, S3.
	Records []rawRecord `json:"Records"`

	// Kafka (MSK, self-managed), Amazon MQ (ActiveMQ, RabbitMQ).
	EventSource    string                   `json:"eventSource"`
	EventSourceARN string                   `json:"eventSourceArn"`
	KafkaRecords   map[string][]kafkaRecord `json:"records"`
	Messages       []activeMQMessage        `json:"messages"`
	RabbitMessages map[string][]rabbitMsg   `json:"rmqMessagesByQueue"`

	// EventBridge.
	Source     string       `json:"source"`
	DetailType string       `json:"detail-type"`
	Time       string       `json:"time"`
	Detail     TraceContext `json:"detail"`

	// A direct invocation whose payload embeds TraceContext.
	TraceContext
}

type rawRecord struct {
	EventSource       string                                `json:"eventSource"`
	EventSourceARN    string                                `json:"eventSourceARN"`
	EventID           string                                `json:"eventID"`
	EventName         string                                `json:"eventName"`
	EventTime         string                                `json:"eventTime"`
	MessageID         string                                `json:"messageId"`
	Body              sqsBody                               `json:"body"`
	Attributes        struct{ AWSTraceHeader string }       `json:"attributes"`
	MessageAttributes map[string]events.SQSMessageAttribute `json:"messageAttributes"`
	SNS               struct {
		MessageID         string     `json:"MessageId"`
		TopicArn          string     `json:"TopicArn"`
		MessageAttributes snsRawAttr `json:"MessageAttributes"`
	} `json:"Sns"`
	Kinesis struct {
		SequenceNumber string `json:"sequenceNumber"`
	} `json:"kinesis"`
	DynamoDB struct {
		ApproximateCreationDateTime events.SecondsEpochTime `json:"ApproximateCreationDateTime"`
	} `json:"dynamodb"`
	S3 struct {
		Bucket struct {
			Name string `json:"name"`
		} `json:"bucket"`
		Object struct {
			Key string `json:"key"`
		} `json:"object"`
	} `json:"s3"`
}

// sqsBody is what tracing reads of an SQS message's body: the message
// attributes of an SNS notification it holds (a subscription without raw
// message delivery). Decoded from a raw payload, a body that cannot be one
// is skipped without being copied.
type sqsBody struct {
	envelope snsRawAttr
}

func (b *sqsBody) UnmarshalJSON(raw []byte) error {
	if !bytes.Contains(raw, []byte("TopicArn")) || !bytes.Contains(raw, []byte("MessageAttributes")) {
		return nil
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return nil // not a string: not a body SQS delivers
	}
	b.envelope, _ = snsEnvelope(s)
	return nil
}

// kafkaRecord is one record of a Kafka batch; its headers are byte arrays
// that Lambda writes as JSON arrays of signed numbers.
type kafkaRecord struct {
	Topic     string                              `json:"topic"`
	Partition int64                               `json:"partition"`
	Offset    int64                               `json:"offset"`
	Headers   []map[string]events.JSONNumberBytes `json:"headers"`
}

// activeMQMessage is one message of an Amazon MQ for ActiveMQ batch.
type activeMQMessage struct {
	MessageID   string `json:"messageID"`
	Destination struct {
		PhysicalName string `json:"physicalName"`
	} `json:"destination"`
	Properties map[string]string `json:"properties"`
}

// rabbitMsg is one message of an Amazon MQ for RabbitMQ batch.
type rabbitMsg struct {
	BasicProperties struct {
		MessageID *string                    `json:"messageId"`
		Headers   map[string]json.RawMessage `json:"headers"`
	} `json:"basicProperties"`
}

// decodePayload decodes a raw payload into p. It reports false for a
// payload that is not a JSON object.
func decodePayload(raw []byte, p *payload) bool {
	b := bytes.TrimLeft(raw, " \t\r\n")
	if len(b) == 0 || b[0] != '{' {
		return false
	}
	if err := json.Unmarshal(b, p); err != nil {
		// A field of an unexpected type (a user's own "headers" or
		// "records") is skipped, the rest decoded: keep what was read.
		var te *json.UnmarshalTypeError
		if !errors.As(err, &te) {
			return false
		}
	}
	return true
}

// classifyRaw reads a raw payload. A payload that is not a JSON object, or
// does not look like any trigger, is "other" with no carrier.
func classifyRaw(raw []byte) source {
	var p payload
	if !decodePayload(raw, &p) {
		return otherSource
	}
	return p.source()
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
