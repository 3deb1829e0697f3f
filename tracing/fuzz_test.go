package tracing

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.opentelemetry.io/contrib/propagators/aws/xray"
	"go.opentelemetry.io/otel/trace"
)

func FuzzXRayHeader(f *testing.F) {
	for _, s := range []string{
		"Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
		"Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0;Lineage=a87bd80c:1",
		"Root=1-5759e988-bd862e3fe1be46a994272793; Parent=53995c3f42cd8ad8; Sampled=1",
		"Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8",
		"Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=?",
		"Root=1-67891233-abcdef012345678912345678",
		"Root=1-67891233-abcdef012345678912345678;Sampled=0",
		" Root=1-67891233-abcdef012345678912345678 ; Self=1-67891233-12456789abcdef012345678",
		"Self=1-67891233-12456789abcdef012345678;Root=1-67891233-000000000000000000000000",
		"Root=1-00000000-000000000000000000000000",
		"Root=;Parent=;Sampled=",
		";;;",
		"Root=1-67891233-abcdef01234567891234567g",
		"",
	} {
		f.Add(s)
	}
	cfg := newConfig([]Option{WithPropagator(DefaultPropagator())})
	f.Fuzz(func(t *testing.T, header string) {
		x, ok := parseXRay(header)
		lower := strings.ToLower(header)
		if ok {
			tid := x.trace.String()
			if !x.trace.IsValid() || !strings.Contains(lower, "1-"+tid[:8]+"-"+tid[8:]) {
				t.Fatalf("%q: trace id %s not the header's", header, tid)
			}
			if x.parent.IsValid() && !strings.Contains(lower, x.parent.String()) {
				t.Fatalf("%q: parent %s not the header's", header, x.parent)
			}
			if x.decision == decisionSampled && !strings.Contains(header, "1") {
				t.Fatalf("%q: sampled, and no 1 in the header", header)
			}
		}
		ctx, found := cfg.extract(context.Background(), Carrier{xrayHeader: header})
		if found != ok {
			t.Fatalf("%q: parsed %v, extracted %v", header, ok, found)
		}
		sc := trace.SpanContextFromContext(ctx)
		if want := ok && x.parent.IsValid() && x.decision != decisionUnknown; sc.IsValid() != want {
			t.Fatalf("%q: a parent %v, want %v (%+v)", header, sc, want, x)
		}
		// Where contrib's propagator reads a header, with its decision
		// stated, this one reads the same.
		csc := trace.SpanContextFromContext(xray.Propagator{}.Extract(context.Background(), Carrier{xrayHeader: header}))
		if csc.IsValid() && statedDecision(header) && exactKeys(header) && !strings.Contains(header, " ") {
			if !sc.Equal(csc) {
				t.Fatalf("%q: %v, contrib's %v", header, sc, csc)
			}
		}
	})
}

// statedDecision reports whether header has one Sampled field, 0 or 1
// (contrib's propagator reads any other value as 0).
func statedDecision(header string) bool {
	n, ok := 0, false
	for _, f := range strings.Split(header, ";") {
		if strings.HasPrefix(f, "Sampled=") {
			n++
			ok = f == "Sampled=0" || f == "Sampled=1"
		}
	}
	return n == 1 && ok
}

// exactKeys reports whether no field of header has a key that merely
// starts with Root, Parent or Sampled ("Root0="): contrib's propagator
// matches keys by prefix and reads such a field as the one named; this one
// matches keys exactly, as the X-Ray header defines them, and ignores it.
func exactKeys(header string) bool {
	for _, f := range strings.Split(header, ";") {
		k, _, _ := strings.Cut(f, "=")
		for _, known := range []string{"Root", "Parent", "Sampled"} {
			if strings.HasPrefix(k, known) && k != known {
				return false
			}
		}
	}
	return true
}

func FuzzPropagators(f *testing.F) {
	for _, s := range []string{"", "tracecontext,baggage", "xray-lambda", "xray, tracecontext", "none", "b3,b3multi,jaeger,ottrace", "nosuch", "tracecontext,,nosuch", " , "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, list string) {
		p, lambdaFirst, err := envPropagators(list)
		names := strings.Split(list, ",")
		for i := range names {
			names[i] = strings.TrimSpace(names[i])
		}
		if lambdaFirst != slices.Contains(names, "xray-lambda") && p != nil {
			t.Fatalf("%q: lambdaFirst %v", list, lambdaFirst)
		}
		if err != nil && !strings.HasPrefix(err.Error(), "tracing: ") {
			t.Fatalf("%q: error %q without the package's prefix", list, err)
		}
		if p != nil {
			for _, f := range p.Fields() {
				if f == "" {
					t.Fatalf("%q: an empty field", list)
				}
			}
			c := Carrier{}
			p.Inject(context.Background(), c)
			p.Extract(context.Background(), Carrier{"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"})
		}
	})
}

func FuzzKafkaHeaders(f *testing.F) {
	f.Add([]byte(`[{"headerKey":[118,-36,0,127,-128]},{"traceparent":[48,48,45]}]`), "traceparent")
	f.Add([]byte(`[{"TraceParent":[97]},{"traceparent":[98]}]`), "traceparent")
	f.Add([]byte(`[]`), "")
	f.Fuzz(func(t *testing.T, raw []byte, key string) {
		var h kafkaHeaders
		if json.Unmarshal(raw, &h) != nil {
			return
		}
		v := h.Get(key)
		keys := h.Keys()
		if v != "" && !slices.ContainsFunc(keys, func(k string) bool { return strings.EqualFold(k, key) }) {
			t.Fatalf("%s: %q = %q, not among the keys %q", raw, key, v, keys)
		}
		for _, m := range h {
			if b, ok := m[key]; ok {
				if v != string(b) {
					t.Fatalf("%s: %q = %q, the first header with it holds %q", raw, key, v, b)
				}
				break
			}
		}
	})
}

func FuzzSNSEnvelope(f *testing.F) {
	f.Add(`{"Type":"Notification","MessageId":"m","TopicArn":"arn:aws:sns:eu-west-1:1:t","Message":"hi","MessageAttributes":{"traceparent":{"Type":"String","Value":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}}}`)
	f.Add(`{"Type":"Notification","TopicArn":"x","MessageAttributes":{"a":{"Type":"Binary","Value":"b"}}}`)
	f.Add(`{"TopicArn":"x","MessageAttributes":[]}`)
	f.Add(`hello`)
	f.Fuzz(func(t *testing.T, body string) {
		attrs, ok := snsEnvelope(body)
		if !ok {
			if attrs != nil {
				t.Fatalf("%q: not a notification, yet %v", body, attrs)
			}
			return
		}
		if len(attrs) == 0 || !strings.Contains(body, "Notification") {
			t.Fatalf("%q: read as a notification with %v", body, attrs)
		}
		for k, a := range attrs {
			if v := attrs.Get(k); v != "" && v != a.Value {
				t.Fatalf("%q: %q = %q, want %q", body, k, v, a.Value)
			}
		}
	})
}

func FuzzClassifyRaw(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.json"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"Records":[{"eventSource":"aws:sqs","messageAttributes":{"traceparent":{"dataType":"String"}}}]}`))
	f.Add([]byte(`{"Records":[{"EventSource":"aws:sns","Sns":{"MessageAttributes":{"traceparent":{"Type":"Binary","Value":"x"}}}}]}`))
	f.Add([]byte(`{"headers":"not a map","httpMethod":"GET","requestContext":{"elb":{}}}`))
	f.Add([]byte(`{"statusCode":"500"}`))
	f.Add([]byte(`[1,2,3]`))
	f.Add([]byte(`"just a string"`))
	f.Add([]byte{})
	cfg := newConfig(nil)
	f.Fuzz(func(t *testing.T, payload []byte) {
		keep := string(payload)
		s := classifyRaw(payload)
		if s.trigger.Key == "" {
			t.Fatalf("no trigger for %q", payload)
		}
		if s.carrier != nil {
			cfg.extract(context.Background(), s.carrier)
			for _, k := range s.carrier.Keys() {
				s.carrier.Get(k)
			}
		}
		for _, r := range s.records {
			if r.carrier != nil {
				cfg.extractLink(r.carrier)
			}
		}
		rawStatusCode(payload)
		if string(payload) != keep {
			t.Fatal("the payload was changed")
		}
	})
}

func FuzzHeaderCarrier(f *testing.F) {
	f.Add("Traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	f.Add("X-AMZN-TRACE-ID", "Root=1-67891233-abcdef012345678912345678")
	f.Add("baggage", "tenant=acme")
	f.Fuzz(func(t *testing.T, key, value string) {
		for _, h := range []headerCarrier{
			{single: map[string]string{key: value}},
			{multi: map[string][]string{key: {value, "second"}}},
		} {
			if got := h.Get(key); got != value {
				t.Fatalf("Get(%q) = %q, want %q", key, got, value)
			}
			if got := h.Get(strings.ToUpper(key)); got != value && strings.EqualFold(strings.ToUpper(key), key) {
				t.Fatalf("Get(%q) = %q, want %q", strings.ToUpper(key), got, value)
			}
			if len(h.Keys()) != 1 {
				t.Fatalf("keys %v", h.Keys())
			}
		}
	})
}
