package events_test

import (
	"fmt"

	"github.com/lambdaguard/lambdaguard/cmd/lambdaguard/internal/events"
)

func ExampleParse() {
	evs, err := events.Parse("events.jsonl", []byte("{\"id\":1}\n{\"id\":2}\n"))
	fmt.Println(len(evs), evs[1].Source, string(evs[1].Payload), err)

	_, err = events.Parse("events.jsonl", []byte("{\"id\":1}\n{\"id\":2,}\n"))
	fmt.Println(err)
	// Output:
	// 2 events.jsonl:2 {"id":2} <nil>
	// events: events.jsonl:2:9: malformed JSON: invalid character '}' looking for beginning of object key string
}
