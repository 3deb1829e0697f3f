package main

import (
	"strings"
	"testing"
)

// FuzzParseRunArgs feeds the run command's flag parser arbitrary arguments
// (separated by NUL in the fuzz input): it never panics, and what it accepts
// is a usable configuration.
func FuzzParseRunArgs(f *testing.F) {
	f.Add("./examples/basic")
	f.Add("--events\x00events.jsonl\x00--repeat\x003\x00--freeze\x002s\x00./examples/basic")
	f.Add("--concurrency=8\x00--timeout\x001s\x00bootstrap\x00--debug=false")
	f.Add("--repeat\x00-1\x00x")
	f.Add("--events\x00a\x00--sample\x00sqs\x00x")
	f.Add("--\x00-rf")
	f.Fuzz(func(t *testing.T, joined string) {
		args := splitArgs(joined)
		o, err := parseRunArgs(args)
		if err != nil {
			return
		}
		switch {
		case o.target == "":
			t.Fatalf("%q: accepted without a target", args)
		case o.repeat < 1, o.concurrency < 1, o.timeout <= 0, o.freeze < 0, o.memory < 1:
			t.Fatalf("%q: accepted %+v", args, o)
		case o.events != "" && o.sample != "":
			t.Fatalf("%q: accepted --events with --sample", args)
		}
	})
}

// FuzzStatusCode reads the status of any response payload without panicking.
func FuzzStatusCode(f *testing.F) {
	f.Add([]byte(`{"statusCode":200,"body":"ok"}`))
	f.Add([]byte(`{"statusCode":"500"}`))
	f.Add([]byte(`{"statusCode":1e100}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, payload []byte) {
		if code, ok := statusCode(payload); !ok && code != 0 {
			t.Fatalf("%q: no status, yet %d", payload, code)
		}
	})
}

// FuzzParseVetArgs feeds the vet command's flag parser arbitrary arguments
// (separated by NUL): it never panics, and what it accepts names packages,
// none of them a flag.
func FuzzParseVetArgs(f *testing.F) {
	f.Add("./...")
	f.Add("-json\x00-C\x00examples/leaky\x00.")
	f.Add(".\x00-json")
	f.Add("-C")
	f.Add("--\x00-x")
	f.Fuzz(func(t *testing.T, joined string) {
		args := splitArgs(joined)
		o, err := parseVetArgs(args)
		if err != nil {
			return
		}
		if len(o.patterns) == 0 {
			t.Fatalf("%q: accepted with no packages", args)
		}
		for _, p := range o.patterns {
			if strings.HasPrefix(p, "-") {
				t.Fatalf("%q: accepted the flag %q as a package", args, p)
			}
		}
	})
}

// splitArgs is the command line a fuzz input stands for: arguments
// separated by NUL, none for "".
func splitArgs(joined string) []string {
	if joined == "" {
		return nil
	}
	return strings.Split(joined, "\x00")
}
