package awssdk_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// fakeAWS is a loopback endpoint that answers SQS, SNS and EventBridge as
// far as sending goes, and records what the SDK sent.
type fakeAWS struct {
	*httptest.Server
	mu    sync.Mutex
	calls []call
}

// call is one request the SDK made.
type call struct {
	target  string // X-Amz-Target, or the query protocol's Action
	headers http.Header
	body    []byte
}

func newFakeAWS(t *testing.T) *fakeAWS {
	f := &fakeAWS{}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeAWS) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	target := r.Header.Get("X-Amz-Target")
	if target == "" {
		if v, err := url.ParseQuery(string(body)); err == nil {
			target = v.Get("Action")
		}
	}
	f.mu.Lock()
	f.calls = append(f.calls, call{target: target, headers: r.Header.Clone(), body: body})
	f.mu.Unlock()
	switch {
	case strings.HasSuffix(target, ".SendMessage"):
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		_, _ = io.WriteString(w, `{"MessageId":"5fea7756-0ea4-451a-a703-a558b933e274"}`)
	case strings.HasSuffix(target, ".SendMessageBatch"):
		var in struct{ Entries []struct{ Id string } }
		_ = json.Unmarshal(body, &in)
		type ok struct{ Id, MessageId, MD5OfMessageBody string }
		out := struct{ Successful []ok }{}
		for _, e := range in.Entries {
			out.Successful = append(out.Successful, ok{Id: e.Id, MessageId: "m-" + e.Id})
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		_ = json.NewEncoder(w).Encode(out)
	case target == "Publish":
		w.Header().Set("Content-Type", "text/xml")
		_, _ = io.WriteString(w, `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>94f20ce6-13c5-43a0-9a9e-ca52d816e90b</MessageId></PublishResult><ResponseMetadata><RequestId>f187a3c1</RequestId></ResponseMetadata></PublishResponse>`)
	case target == "PublishBatch":
		w.Header().Set("Content-Type", "text/xml")
		_, _ = io.WriteString(w, `<PublishBatchResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishBatchResult><Successful></Successful><Failed></Failed></PublishBatchResult></PublishBatchResponse>`)
	case strings.HasSuffix(target, ".PutEvents"):
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		_, _ = io.WriteString(w, `{"Entries":[{"EventId":"11710aed-b79e-4468-a20b-bb3c0c3b4860"}],"FailedEntryCount":0}`)
	default:
		http.Error(w, "fakeAWS: no "+target, http.StatusBadRequest)
	}
}

// sent returns the calls made so far.
func (f *fakeAWS) sent() []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]call(nil), f.calls...)
}
