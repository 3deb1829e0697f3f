package events

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		sources []string
	}{
		{name: "one document", in: "{\n  \"a\": 1\n}\n", sources: []string{"f:1"}},
		{name: "json lines", in: "{\"a\":1}\n{\"a\":2}\n\n[3]\n", sources: []string{"f:1", "f:2", "f:4"}},
		{name: "scalars", in: `"x" 1 null`, sources: []string{"f:1", "f:1", "f:1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, err := Parse("f", []byte(tt.in))
			require.NoError(t, err)
			var got []string
			for _, e := range evs {
				got = append(got, e.Source)
				assert.True(t, json.Valid(e.Payload))
			}
			assert.Equal(t, tt.sources, got)
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{name: "empty", in: " \n", want: "no events in bad.jsonl"},
		{name: "stray brace", in: "{\"a\":1}\n{\"b\":2}}\n", want: "bad.jsonl:2:8: malformed JSON: invalid character '}' looking for beginning of value"},
		{name: "bad value", in: "{\"a\":1}\n{\"b\": x}\n", want: "bad.jsonl:2:7: malformed JSON: invalid character 'x' looking for beginning of value"},
		{name: "cut short", in: "{\"a\":1}\n\n  {\"b\":\n", want: "bad.jsonl:3:3: malformed JSON: the document that starts here is cut short"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("bad.jsonl", []byte(tt.in))
			assert.ErrorContains(t, err, tt.want)
		})
	}
}

func TestLoad(t *testing.T) {
	path := filepath.Join(t.TempDir(), "e.json")
	require.NoError(t, os.WriteFile(path, []byte(`{"x":1}`), 0o600))
	evs, err := Load(path, nil)
	require.NoError(t, err)
	assert.Equal(t, path+":1", evs[0].Source)

	evs, err = Load("-", strings.NewReader("1\n2\n"))
	require.NoError(t, err)
	assert.Len(t, evs, 2)
	assert.Equal(t, "stdin:2", evs[1].Source)

	_, err = Load(filepath.Join(t.TempDir(), "missing.json"), nil)
	assert.ErrorContains(t, err, "no such file")
}

func TestSamplesAreRealEvents(t *testing.T) {
	evs, err := Sample(DefaultSample)
	require.NoError(t, err)
	require.Len(t, evs, 2)
	for i, want := range []string{"hoge", "fuga"} {
		var req events.APIGatewayV2HTTPRequest
		require.NoError(t, json.Unmarshal(evs[i].Payload, &req))
		assert.Equal(t, want, req.QueryStringParameters["message"])
		assert.Equal(t, "message="+want, req.RawQueryString)
		assert.Equal(t, "GET", req.RequestContext.HTTP.Method)
	}

	evs, err = Sample("sqs")
	require.NoError(t, err)
	var sqs events.SQSEvent
	require.NoError(t, json.Unmarshal(evs[0].Payload, &sqs))
	assert.Len(t, sqs.Records, 2)

	evs, err = Sample("eventbridge")
	require.NoError(t, err)
	var eb events.EventBridgeEvent
	require.NoError(t, json.Unmarshal(evs[0].Payload, &eb))
	assert.Equal(t, "Scheduled Event", eb.DetailType)

	for _, n := range SampleNames() {
		assert.NotEmpty(t, SampleDoc(n), n)
	}
	_, err = Sample("nope")
	assert.ErrorContains(t, err, `no sample "nope"`)
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("{\"a\":1}\n{\"b\":2}"))
	f.Add([]byte("{\"a\":"))
	f.Add([]byte("\n\n}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		evs, err := Parse("fuzz", data)
		if err == nil {
			for _, e := range evs {
				if !json.Valid(e.Payload) {
					t.Fatalf("invalid payload %q", e.Payload)
				}
			}
		}
	})
}
