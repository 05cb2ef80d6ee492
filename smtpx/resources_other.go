//go:build !linux

package smtpx

import "errors"

// errNoProbe: this platform has no built-in resource reading; give
// BackPressure a Probe of your own.
var errNoProbe = errors.New("smtpx: no resource probe on this platform (set BackPressure.Probe)")

func diskSpace(string) (uint64, uint64, error) { return 0, 0, errNoProbe }

func physicalMemory() (uint64, error) { return 0, errNoProbe }
