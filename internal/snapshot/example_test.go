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
	cache := map[string]*config{"user:1": {Token: "a"}, "user:7": {Token: "c"}}
	before := snapshot.Take(&cache, snapshot.Options{})

	cache["user:42"] = &config{Token: "b", Tags: []string{"x"}}
	cache["user:1"].Tags = append(cache["user:1"].Tags, "admin")
	cache["user:7"].Token = "d"

	changes, _ := snapshot.Diff(before, snapshot.Take(&cache, snapshot.Options{}), 0)
	for _, c := range changes {
		fmt.Printf("%s %s: %s %q → %s %q\n", c.Op, c.Path, c.Old.Kind, c.Old.Text, c.New.Kind, c.New.Text)
	}
	// A report that must not print the keys:
	fmt.Println(changes[0].Path.Format(func(snapshot.Seg) string { return "…" }))
	// Output:
	// changed ["user:1"].Tags: nil "" → slice ""
	// added ["user:42"]:  "" → struct ""
	// changed ["user:7"].Token: string "c" → string "d"
	// […].Tags
}
