// Command lambdaguard-vet is lambdaguard's static check as a stand-alone
// analysis tool: it runs on packages like any singlechecker, and under go
// vet as its vet tool.
//
//	go build -o /tmp/lambdaguard-vet github.com/lambdaguard/lambdaguard/vet/cmd/lambdaguard-vet
//	go vet -vettool=/tmp/lambdaguard-vet ./...
//
// lambdaguard vet runs the same analyzer with the exit status CI wants (3
// for findings); see package github.com/lambdaguard/lambdaguard/vet for what
// it reports.
package main

import (
	"golang.org/x/tools/go/analysis/singlechecker"

	"github.com/lambdaguard/lambdaguard/vet"
)

func main() { singlechecker.Main(vet.Analyzer) }
