package smtptest

import "github.com/hubedge/hubedge/mx/mxtest"

// TB is the subset of testing.TB the harness needs, the one mxtest's DNS
// server takes too. *testing.T, *testing.B and *testing.F satisfy it.
type TB = mxtest.TB

// Standalone is a TB for programs and examples that run the harness
// outside go test (see mxtest.Standalone).
type Standalone = mxtest.Standalone

// tbLogger adapts a TB to go-smtp's Logger so server-side errors show up
// in the test log instead of on stderr.
type tbLogger struct{ t TB }

func (l tbLogger) Printf(format string, v ...any) { l.t.Logf("smtptest: "+format, v...) }
func (l tbLogger) Println(v ...any)               { l.t.Logf("smtptest: %v", v) }
