package main

import (
	"testing"
)

// BenchmarkVetRepository is "lambdaguard vet ./..." on this repository: the
// packages loaded with their syntax and types (go list, parsing and
// type-checking every dependency, which is most of the time), SSA built and
// every handler's calls followed. It reports the findings per run too (the
// leaky example's).
func BenchmarkVetRepository(b *testing.B) {
	b.ReportAllocs()
	findings := 0
	for b.Loop() {
		acts, err := analyze(repoRoot, []string{"./..."})
		if err != nil {
			b.Fatal(err)
		}
		findings = 0
		for _, act := range acts {
			findings += len(act.Diagnostics)
		}
	}
	b.ReportMetric(float64(findings), "findings")
}
