//go:build !linux

package runtimeapi

import "os"

// peakRSS is known on Linux only.
func peakRSS(int) (int64, bool) { return 0, false }

func exitedPeakRSS(*os.ProcessState) int64 { return 0 }
