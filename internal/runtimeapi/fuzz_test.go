package runtimeapi

import (
	"encoding/json"
	"testing"
)

// FuzzParseFunctionError reads what a function posts to .../error: any body,
// any Lambda-Runtime-Function-Error-Type. It never panics, always names a
// type, and keeps a body that is not an error document as the message.
func FuzzParseFunctionError(f *testing.F) {
	f.Add("", []byte(`{"errorType":"string","errorMessage":"boom","stackTrace":[]}`))
	f.Add("Runtime.Unknown", []byte(`not json`))
	f.Add("", []byte(`{"errorType":"","errorMessage":""}`))
	f.Add("X", []byte(`{"stackTrace":{"deep":[[[[1]]]]}}`))
	f.Fuzz(func(t *testing.T, typ string, body []byte) {
		fe := parseFunctionError(typ, body)
		if fe == nil || fe.Type == "" {
			t.Fatalf("no type for %q, %q: %+v", typ, body, fe)
		}
		var doc FunctionError
		if json.Unmarshal(body, &doc) != nil || (doc.Type == "" && doc.Message == "") {
			if fe.Message != string(body) {
				t.Fatalf("body %q not kept as the message: %q", body, fe.Message)
			}
		}
		if _, err := json.Marshal(fe); err != nil && len(fe.StackTrace) == 0 {
			t.Fatalf("cannot encode %+v: %v", fe, err)
		}
	})
}
