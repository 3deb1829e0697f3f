package tracing

import (
	"bytes"
	"encoding/json"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// The event types most functions take are copied into a payload field by
// field, the maps shared rather than copied: cheaper than encoding them.

func (p *payload) fromAPIGatewayV1(e *events.APIGatewayProxyRequest) {
	p.HTTPMethod, p.Resource, p.Path = e.HTTPMethod, e.Resource, e.Path
	p.Headers, p.MultiValueHeaders = e.Headers, e.MultiValueHeaders
	if p.Headers == nil && p.MultiValueHeaders == nil {
		p.Headers = map[string]string{} // the event is HTTP whatever its headers
	}
	rc := &p.RequestContext
	rc.Protocol, rc.DomainName = e.RequestContext.Protocol, e.RequestContext.DomainName
	rc.Identity.SourceIP, rc.Identity.UserAgent = e.RequestContext.Identity.SourceIP, e.RequestContext.Identity.UserAgent
}

func (p *payload) fromAPIGatewayV2(e *events.APIGatewayV2HTTPRequest) {
	p.Version, p.RouteKey, p.RawPath, p.RawQueryString, p.Headers = "2.0", e.RouteKey, e.RawPath, e.RawQueryString, e.Headers
	h := &p.RequestContext.HTTP
	h.Method, h.Protocol, h.SourceIP, h.UserAgent = e.RequestContext.HTTP.Method, e.RequestContext.HTTP.Protocol, e.RequestContext.HTTP.SourceIP, e.RequestContext.HTTP.UserAgent
	p.RequestContext.DomainName = e.RequestContext.DomainName
}

func (p *payload) fromFunctionURL(e *events.LambdaFunctionURLRequest) {
	p.Version, p.RawPath, p.RawQueryString, p.Headers = "2.0", e.RawPath, e.RawQueryString, e.Headers
	h := &p.RequestContext.HTTP
	h.Method, h.Protocol, h.SourceIP, h.UserAgent = e.RequestContext.HTTP.Method, e.RequestContext.HTTP.Protocol, e.RequestContext.HTTP.SourceIP, e.RequestContext.HTTP.UserAgent
	p.RequestContext.DomainName = e.RequestContext.DomainName
}

func (p *payload) fromALB(e *events.ALBTargetGroupRequest) {
	p.HTTPMethod, p.Path = e.HTTPMethod, e.Path
	p.Headers, p.MultiValueHeaders = e.Headers, e.MultiValueHeaders
	p.RequestContext.ELB = &struct{}{}
}

func (p *payload) fromSQS(recs []events.SQSMessage) {
	p.Records = make([]rawRecord, len(recs))
	for i := range recs {
		r, m := &p.Records[i], &recs[i]
		r.EventSource, r.EventSourceARN, r.MessageID = m.EventSource, m.EventSourceARN, m.MessageId
		r.Body.envelope, _ = snsEnvelope(m.Body)
		r.Attributes.AWSTraceHeader = m.Attributes["AWSTraceHeader"]
		r.MessageAttributes = m.MessageAttributes
	}
}

func (p *payload) fromSNS(recs []events.SNSEventRecord) {
	p.Records = make([]rawRecord, len(recs))
	for i := range recs {
		r, n := &p.Records[i], &recs[i].SNS
		r.EventSource = recs[i].EventSource
		r.SNS.MessageID, r.SNS.TopicArn = n.MessageID, n.TopicArn
		r.SNS.MessageAttributes = snsTypedAttrs(n.MessageAttributes)
	}
}

// snsTypedAttrs reads the message attributes of a typed SNS event,
// {"Type": "String", "Value": "..."} decoded into map[string]any.
func snsTypedAttrs(m map[string]any) snsRawAttr {
	if len(m) == 0 {
		return nil
	}
	out := make(snsRawAttr, len(m))
	for k, v := range m {
		if a, ok := v.(map[string]any); ok {
			t, _ := a["Type"].(string)
			val, _ := a["Value"].(string)
			out[k] = snsAttr{Type: t, Value: val}
		}
	}
	return out
}

func (p *payload) fromEventBridge(e *events.EventBridgeEvent) {
	p.Source, p.DetailType = e.Source, e.DetailType
	if !e.Time.IsZero() {
		p.Time = e.Time.Format(time.RFC3339Nano)
	}
	if !isScheduled(e.Source, e.DetailType) && bytes.Contains(e.Detail, []byte(CarrierField)) {
		_ = json.Unmarshal(e.Detail, &p.Detail)
	}
}

// Streams, S3, Kafka and ActiveMQ batches can be large (a Kinesis batch
// holds up to 10,000 records): they are copied too, rather than encoded.

func (p *payload) fromKinesis(recs []events.KinesisEventRecord) {
	p.Records = make([]rawRecord, len(recs))
	for i := range recs {
		r, k := &p.Records[i], &recs[i]
		r.EventSource, r.EventSourceARN, r.EventID = k.EventSource, k.EventSourceArn, k.EventID
		r.Kinesis.SequenceNumber = k.Kinesis.SequenceNumber
	}
}

func (p *payload) fromDynamoDB(recs []events.DynamoDBEventRecord) {
	p.Records = make([]rawRecord, len(recs))
	for i := range recs {
		r, d := &p.Records[i], &recs[i]
		r.EventSource, r.EventSourceARN, r.EventID, r.EventName = d.EventSource, d.EventSourceArn, d.EventID, d.EventName
		r.DynamoDB.ApproximateCreationDateTime = d.Change.ApproximateCreationDateTime
	}
}

func (p *payload) fromS3(recs []events.S3EventRecord) {
	p.Records = make([]rawRecord, len(recs))
	for i := range recs {
		r, s := &p.Records[i], &recs[i]
		r.EventSource, r.EventName = s.EventSource, s.EventName
		if !s.EventTime.IsZero() {
			r.EventTime = s.EventTime.Format(time.RFC3339Nano)
		}
		r.S3.Bucket.Name, r.S3.Object.Key = s.S3.Bucket.Name, s.S3.Object.Key
	}
}

func (p *payload) fromKafka(e *events.KafkaEvent) {
	p.EventSource, p.EventSourceARN = e.EventSource, e.EventSourceARN
	p.KafkaRecords = make(map[string][]kafkaRecord, len(e.Records))
	for k, recs := range e.Records {
		out := make([]kafkaRecord, len(recs))
		for i := range recs {
			out[i] = kafkaRecord{Topic: recs[i].Topic, Partition: recs[i].Partition, Offset: recs[i].Offset, Headers: recs[i].Headers}
		}
		p.KafkaRecords[k] = out
	}
}

func (p *payload) fromActiveMQ(e *events.ActiveMQEvent) {
	p.EventSource, p.EventSourceARN = e.EventSource, e.EventSourceARN
	p.Messages = make([]activeMQMessage, len(e.Messages))
	for i := range e.Messages {
		m := &p.Messages[i]
		m.MessageID, m.Destination.PhysicalName, m.Properties = e.Messages[i].MessageID, e.Messages[i].Destination.PhysicalName, e.Messages[i].Properties
	}
}
