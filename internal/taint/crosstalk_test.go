package taint

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestFindCrosstalk(t *testing.T) {
	alice := NewRequest(1, []byte(`{"message":"alice-secret"}`), "req-1")
	bob := NewRequest(2, []byte(`{"message":"bob-secret"}`), "req-2")
	type greeting struct{ Name string }
	carol := NewRequest(3, greeting{Name: "carol-secret"}, "req-3")
	echo := NewRequest(4, greeting{Name: "alice-secret"}, "req-4")

	tests := []struct {
		name     string
		response string
		own      Request
		others   []Request
		want     []Crosstalk
	}{
		{name: "clean", response: `"hello bob-secret"`, own: bob, others: []Request{alice}},
		{
			name: "a previous caller's value", response: `"warmstart, message=alice-secret"`, own: bob, others: []Request{alice},
			want: []Crosstalk{{From: 1, T: T{From: "message", Value: "alice-secret"}}},
		},
		{
			name: "a previous caller's request id", response: `"served req-1"`, own: carol, others: []Request{alice, bob},
			want: []Crosstalk{{From: 1, T: T{From: "request id", Value: "req-1"}}},
		},
		{
			name: "one per request", response: `"alice-secret, bob-secret"`, own: carol, others: []Request{alice, bob},
			want: []Crosstalk{
				{From: 1, T: T{From: "message", Value: "alice-secret"}},
				{From: 2, T: T{From: "message", Value: "bob-secret"}},
			},
		},
		{name: "its own value too", response: `"hello alice-secret"`, own: echo, others: []Request{alice}},
		{name: "a typed event's text", response: `{"Name":"carol-secret"}`, own: carol, others: []Request{NewRequest(9, []byte(`"carol-secret"`), "")}},
		{name: "no others", response: `"alice-secret"`, own: bob},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, FindCrosstalk([]byte(tt.response), tt.own, tt.others))
		})
	}
}

func TestCrosstalkDetailIsRedacted(t *testing.T) {
	c := Crosstalk{From: 2, T: T{From: "queryStringParameters.message", Value: "hoge-secret"}}
	assert.Equal(t, "carries request data of invocation 2 (queryStringParameters.message, string(len=11)): a warm start served a previous caller's value", c.Detail())
}
