// Command triggers is a function for the lambdaguard command's tests: it decodes each event
// strictly (no unknown field) into the aws-lambda-go type of the trigger named by TRIGGER,
// and answers the type and whether the event encoded again from it is the one it got (as
// JSON values), or fails when it does not fit.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"reflect"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/lambdaguard/lambdaguard/cmd/lambdaguard/internal/trigger"
)

type reply struct {
	Type   string `json:"type"`
	Intact bool   `json:"intact"`
}

func handle(_ context.Context, raw json.RawMessage) (reply, error) {
	name := os.Getenv("TRIGGER")
	v := trigger.Type(name)
	if v == nil {
		return reply{}, fmt.Errorf("no trigger %q", name)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return reply{}, fmt.Errorf("not a %T: %w", v, err)
	}
	again, err := json.Marshal(v)
	if err != nil {
		return reply{}, err
	}
	var got, back any
	if err := json.Unmarshal(raw, &got); err != nil {
		return reply{}, err
	}
	if err := json.Unmarshal(again, &back); err != nil {
		return reply{}, err
	}
	return reply{Type: reflect.TypeOf(v).Elem().String(), Intact: reflect.DeepEqual(got, back)}, nil
}

func main() { lambda.Start(handle) }
