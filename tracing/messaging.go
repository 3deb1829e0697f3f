package tracing

import (
	"maps"
	"slices"
	"strconv"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// messagingSystemKinesis names Kinesis in messaging.system: the conventions
// list no value for it, and this follows their spelling of aws_sqs.
var messagingSystemKinesis = semconv.MessagingSystemKey.String("aws_kinesis")

// consumer is a batch that the function processes, as the messaging
// conventions have it: a CONSUMER span of operation "process", named
// "process <destination>", linked to the context of every message's
// producer; a batch of one names its message, a batch of several its count.
type consumer struct {
	s source
}

func newConsumer(system attribute.KeyValue, n int) *consumer {
	c := &consumer{s: source{
		trigger: semconv.FaaSTriggerPubSub,
		kind:    trace.SpanKindConsumer,
		name:    "process",
		records: make([]record, 0, n),
	}}
	c.s.attrs.add(system)
	c.s.attrs.add(semconv.MessagingOperationTypeProcess)
	c.s.attrs.add(semconv.MessagingOperationName("process"))
	if n != 1 {
		c.s.attrs.add(semconv.MessagingBatchMessageCount(n))
	}
	return c
}

// destination names the queue, topic or stream.
func (c *consumer) destination(name string) {
	if name != "" {
		c.s.name = "process " + name
		c.s.attrs.add(semconv.MessagingDestinationName(name))
	}
}

// done returns the source, with the message id of a batch of one.
func (c *consumer) done() source {
	if len(c.s.records) == 1 && c.s.records[0].id != "" {
		c.s.attrs.add(semconv.MessagingMessageID(c.s.records[0].id))
	}
	return c.s
}

// lastField returns what follows the last sep in s, or "".
func lastField(s string, sep byte) string {
	if i := strings.LastIndexByte(s, sep); i >= 0 {
		return s[i+1:]
	}
	return ""
}

func sqsSource(recs []rawRecord) source {
	c := newConsumer(semconv.MessagingSystemAWSSQS, len(recs))
	arn := recs[0].EventSourceARN
	c.destination(lastField(arn, ':'))
	c.s.attrs.addString(semconv.AWSSQSQueueURLKey, queueURL(arn))
	for i := range recs {
		r := &recs[i]
		carrier := sqsCarrier{attrs: r.MessageAttributes, envelope: r.Body.envelope}
		c.s.records = append(c.s.records, record{id: r.MessageID, carrier: carrier, traceHeader: r.Attributes.AWSTraceHeader})
	}
	return c.done()
}

// queueURL returns the URL of the SQS queue arn names
// (arn:aws:sqs:REGION:ACCOUNT:NAME), in the aws partition; "" otherwise.
// The event names the queue by its ARN only.
func queueURL(arn string) string {
	parts := strings.Split(arn, ":")
	if len(parts) != 6 || parts[0] != "arn" || parts[1] != "aws" || parts[2] != "sqs" || parts[3] == "" || parts[4] == "" || parts[5] == "" {
		return ""
	}
	return "https://sqs." + parts[3] + ".amazonaws.com/" + parts[4] + "/" + parts[5]
}

func snsSource(recs []rawRecord) source {
	c := newConsumer(semconv.MessagingSystemAWSSNS, len(recs))
	topic := recs[0].SNS.TopicArn
	c.destination(lastField(topic, ':'))
	c.s.attrs.addString(semconv.AWSSNSTopicARNKey, topic)
	for i := range recs {
		r := &recs[i].SNS
		c.s.records = append(c.s.records, record{id: r.MessageID, carrier: r.MessageAttributes})
	}
	return c.done()
}

// kinesisSource reads a Kinesis batch (a time-window one too). Records carry
// no context of their producer, only the shard they came from.
func kinesisSource(recs []rawRecord) source {
	c := newConsumer(messagingSystemKinesis, len(recs))
	stream := lastField(recs[0].EventSourceARN, '/')
	c.destination(stream)
	c.s.attrs.addString(semconv.AWSKinesisStreamNameKey, stream)
	if shard, _, ok := strings.Cut(recs[0].EventID, ":"); ok {
		c.s.attrs.addString(semconv.MessagingDestinationPartitionIDKey, shard)
	}
	for i := range recs {
		c.s.records = append(c.s.records, record{id: recs[i].Kinesis.SequenceNumber})
	}
	return c.done()
}

// kafkaSource reads a Kafka batch from MSK or a self-managed cluster: its
// records grouped by topic and partition, each with headers that may carry
// its producer's context. The partition is named when the batch has one.
func kafkaSource(p *payload) source {
	keys := slices.Sorted(maps.Keys(p.KafkaRecords))
	n := 0
	for _, k := range keys {
		n += len(p.KafkaRecords[k])
	}
	c := newConsumer(semconv.MessagingSystemKafka, n)
	var first *kafkaRecord
	onePartition := true
	for _, k := range keys {
		for i := range p.KafkaRecords[k] {
			r := &p.KafkaRecords[k][i]
			if first == nil {
				first = r
			}
			onePartition = onePartition && r.Topic == first.Topic && r.Partition == first.Partition
			c.s.records = append(c.s.records, record{carrier: kafkaHeaders(r.Headers)})
		}
	}
	if first != nil {
		c.destination(first.Topic)
		if onePartition {
			c.s.attrs.add(semconv.MessagingDestinationPartitionID(strconv.FormatInt(first.Partition, 10)))
		}
		if n == 1 {
			c.s.attrs.add(semconv.MessagingKafkaOffset(int(first.Offset)))
		}
	}
	return c.done()
}

// activeMQSource reads an Amazon MQ for ActiveMQ batch, whose messages'
// properties may carry their producer's context.
func activeMQSource(msgs []activeMQMessage) source {
	c := newConsumer(semconv.MessagingSystemActiveMQ, len(msgs))
	c.destination(msgs[0].Destination.PhysicalName)
	for i := range msgs {
		c.s.records = append(c.s.records, record{id: msgs[i].MessageID, carrier: Carrier(msgs[i].Properties)})
	}
	return c.done()
}

// rabbitMQSource reads an Amazon MQ for RabbitMQ batch, grouped by
// "queue::virtual host"; the messages' headers may carry their producer's
// context.
func rabbitMQSource(byQueue map[string][]rabbitMsg) source {
	keys := slices.Sorted(maps.Keys(byQueue))
	n := 0
	for _, k := range keys {
		n += len(byQueue[k])
	}
	c := newConsumer(semconv.MessagingSystemRabbitMQ, n)
	queue, _, _ := strings.Cut(keys[0], "::")
	c.destination(queue)
	for _, k := range keys {
		for i := range byQueue[k] {
			bp := &byQueue[k][i].BasicProperties
			id := ""
			if bp.MessageID != nil {
				id = *bp.MessageID
			}
			c.s.records = append(c.s.records, record{id: id, carrier: rabbitHeaders(bp.Headers)})
		}
	}
	return c.done()
}
