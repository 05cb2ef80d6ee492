package smtptest

// TB is the subset of testing.TB the harness needs. *testing.T,
// *testing.B and *testing.F satisfy it; a demo program can pass its own
// implementation (Fatalf exits, Cleanup runs at shutdown).
//
// Fatalf is only called from the goroutine that called the constructor
// or method, never from the harness's server goroutines, so the
// testing.T rule about FailNow holds.
type TB interface {
	Helper()
	Cleanup(func())
	Fatalf(format string, args ...any)
	Logf(format string, args ...any)
}

// tbLogger adapts a TB to go-smtp's Logger so server-side errors show up
// in the test log instead of on stderr.
type tbLogger struct{ t TB }

func (l tbLogger) Printf(format string, v ...any) { l.t.Logf("smtptest: "+format, v...) }
func (l tbLogger) Println(v ...any)               { l.t.Logf("smtptest: %v", v) }
