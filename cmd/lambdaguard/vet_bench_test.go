package main

import (
	"path/filepath"
	"testing"
)

// BenchmarkVetRepository is "lambdaguard vet ./..." on this repository, in
// its two modules: the library's (commands and tests' helpers included) and
// examples/. The packages are loaded with their syntax and types (go list,
// parsing and type-checking every dependency, which is most of the time),
// SSA built and every handler's calls followed. It reports the findings per
// run too (the leaky example's).
func BenchmarkVetRepository(b *testing.B) {
	b.ReportAllocs()
	findings := 0
	for b.Loop() {
		findings = 0
		for _, dir := range []string{repoRoot, filepath.Join(repoRoot, "examples")} {
			acts, err := analyze(dir, []string{"./..."})
			if err != nil {
				b.Fatal(err)
			}
			for _, act := range acts {
				findings += len(act.Diagnostics)
			}
		}
	}
	b.ReportMetric(float64(findings), "findings")
}
