package tracing

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/trace"
)

// xrayRootHex turns an X-Ray root ("1-5759e988-bd862e3fe1be46a994272793")
// into the trace id it names, in hex.
func xrayRootHex(root string) string {
	return strings.ToLower(strings.ReplaceAll(strings.TrimPrefix(root, "1-"), "-", ""))
}

func FuzzXRayHeader(f *testing.F) {
	for _, s := range []string{
		"Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
		"Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0;Lineage=a87bd80c:1",
		"Root=1-67891233-abcdef012345678912345678",
		"Root=1-67891233-abcdef012345678912345678;Sampled=0",
		"Root=1-67891233-abcdef012345678912345678;Sampled=?",
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
	cfg := newConfig(nil)
	f.Fuzz(func(t *testing.T, header string) {
		sc, ok := xrayRootOnly(header)
		if ok {
			if !sc.IsValid() || !sc.IsRemote() {
				t.Fatalf("%q: root-only context not valid: %v", header, sc)
			}
			root, _ := xrayField(header, "Root")
			if got := sc.TraceID().String(); got != xrayRootHex(root) {
				t.Fatalf("%q: trace id %s, root %s", header, got, root)
			}
			if _, hasParent := xrayField(header, "Parent"); hasParent {
				t.Fatalf("%q: a header with a parent is not root-only", header)
			}
		}
		ctx, found := cfg.extract(context.Background(), Carrier{xrayHeader: header})
		got := trace.SpanContextFromContext(ctx)
		if found != got.IsValid() {
			t.Fatalf("%q: found %v, context %v", header, found, got)
		}
		if found {
			root, _ := xrayField(header, "Root")
			if !strings.Contains(header, got.TraceID().String()[:8]) {
				t.Fatalf("%q: trace id %s not from the header (root %q)", header, got.TraceID(), root)
			}
		}
	})
}

func FuzzXRayField(f *testing.F) {
	f.Add("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1", "Parent")
	f.Add("a=b;;c=d=e; f = g", "c")
	f.Add("", "Root")
	f.Fuzz(func(t *testing.T, header, key string) {
		v, ok := xrayField(header, key)
		if !ok {
			if v != "" {
				t.Fatalf("not found, yet %q", v)
			}
			return
		}
		if !strings.Contains(header, key+"="+v) && !strings.Contains(header, v) {
			t.Fatalf("%q[%q] = %q: not in the header", header, key, v)
		}
		if strings.Contains(v, ";") {
			t.Fatalf("%q[%q] = %q: crosses a field", header, key, v)
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
			cfg.extractLink(r.carrier)
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
