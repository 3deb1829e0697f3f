package guard

import (
	"os"

	"github.com/lambdaguard/lambdaguard/internal/detect"
)

// newDetector resolves the debug-mode part of cfg for the detector, whose
// machinery lives in internal/detect.
func newDetector(cfg *config) *detect.Detector {
	report := cfg.reporter
	if report == nil {
		report = func(r Report) { writeReport(os.Stderr, r) }
	}
	return detect.New(detect.Config{
		TempBase:   cfg.tempBase,
		Logger:     cfg.logger,
		ShowValues: cfg.debugCfg.ShowValues,
		Sample:     cfg.debugCfg.Sample,
		Reporter: func(r detect.Report) {
			out := Report{InvocationID: r.InvocationID, Findings: make([]Finding, len(r.Findings))}
			for i, f := range r.Findings {
				out.Findings[i] = Finding{Kind: Kind(f.Kind), Name: f.Name, Path: f.Path, Detail: f.Detail, InFlight: f.InFlight, Record: f.Record}
			}
			report(out)
		},
		IgnoreGoroutines: cfg.debugCfg.IgnoreGoroutines,
		IgnoreEnv:        cfg.debugCfg.IgnoreEnv,
		IgnoreFD:         cfg.debugCfg.IgnoreFD,
	})
}
