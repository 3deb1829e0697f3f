package vet_test

import (
	"testing"

	"golang.org/x/tools/go/analysis/analysistest"

	"github.com/lambdaguard/lambdaguard/vet"
)

// TestAnalyzer checks every class of finding, and what must not be
// reported, against the // want comments of the packages under
// testdata/src.
func TestAnalyzer(t *testing.T) {
	// One run over all of them: loading the standard library they import
	// is most of the time.
	analysistest.Run(t, analysistest.TestData(), vet.Analyzer,
		"writes", "env", "tmp", "goroutines", "clients", "entries", "clean", "generic", "example.com/fn/app")
}
