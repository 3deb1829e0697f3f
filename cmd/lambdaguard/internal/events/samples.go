package events

import (
	"embed"
	"fmt"
	"slices"
	"strings"
)

//go:embed testdata/samples/*.json
var sampleFS embed.FS

// samples maps each built-in sample to its files, sent in order.
var samples = map[string]struct {
	files []string
	doc   string
}{
	"apigw-v2": {
		files: []string{"apigw-v2-hoge.json", "apigw-v2-fuga.json"},
		doc:   "two API Gateway HTTP API (payload 2.0) requests, GET /hello?message=hoge then ?message=fuga",
	},
	"sqs": {
		files: []string{"sqs.json"},
		doc:   "one SQS batch of two messages",
	},
	"eventbridge": {
		files: []string{"eventbridge.json"},
		doc:   "one EventBridge scheduled event",
	},
}

// DefaultSample is the sample sent when no events are given: the warm-start demo, two
// callers one after the other.
const DefaultSample = "apigw-v2"

// Sample returns the events of the built-in sample name.
func Sample(name string) ([]Event, error) {
	s, ok := samples[name]
	if !ok {
		return nil, fmt.Errorf("events: no sample %q (have %s)", name, strings.Join(SampleNames(), ", "))
	}
	var out []Event
	for i, f := range s.files {
		data, err := sampleFS.ReadFile("testdata/samples/" + f)
		if err != nil {
			return nil, fmt.Errorf("events: sample %s: %w", name, err)
		}
		out = append(out, Event{Source: fmt.Sprintf("sample %s #%d", name, i+1), Payload: data})
	}
	return out, nil
}

// SampleNames lists the built-in samples, sorted.
func SampleNames() []string {
	names := make([]string, 0, len(samples))
	for n := range samples {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// SampleDoc describes the sample name in a few words.
func SampleDoc(name string) string { return samples[name].doc }
