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
