package snapshot_test

import (
	"fmt"

	"github.com/lambdaguard/lambdaguard/internal/snapshot"
)

func Example() {
	type config struct {
		Token string
		Tags  []string
	}
	cache := map[string]*config{"user:1": {Token: "a"}}
	before := snapshot.Take(&cache, snapshot.Limits{})

	cache["user:42"] = &config{Token: "b"}
	cache["user:1"].Tags = append(cache["user:1"].Tags, "admin")

	changes, _ := snapshot.Diff(before, snapshot.Take(&cache, snapshot.Limits{}), 0)
	for _, c := range changes {
		fmt.Println(c.Op, c.Path)
	}
	// Unordered output:
	// added ["user:42"]
	// changed ["user:1"].Tags
}

// Same answers whether a value still holds what a snapshot recorded,
// without taking another: a second snapshot and a diff are needed only
// when it does not.
func ExampleSnapshot_Same() {
	sessions := map[string][]string{"user:1": {"reader"}}
	before := snapshot.Take(&sessions, snapshot.Limits{})
	fmt.Println(before.Same(&sessions))

	sessions["user:1"][0] = "admin"
	fmt.Println(before.Same(&sessions))
	changes, _ := snapshot.Diff(before, snapshot.Take(&sessions, snapshot.Limits{}), 0)
	fmt.Println(changes[0].Op, changes[0].Path)
	// Output:
	// true
	// false
	// changed ["user:1"][0]
}
