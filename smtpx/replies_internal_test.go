package smtpx

import (
	"testing"

	"github.com/emersion/go-smtp"
)

// BenchmarkServeSetup measures what serving each connection on its own
// go-smtp server allocates beyond the shared-server design: the copy of
// the connector's server (with its channel and connection map), the Debug
// writer and the one-shot listener. Serve then adds one listener entry and
// one map entry; go-smtp's per-connection state is the same either way.
func BenchmarkServeSetup(b *testing.B) {
	src := smtp.NewServer(backend{})
	src.ErrorLog = slogPrinter{}
	c := &conn{}
	b.ReportAllocs()
	for b.Loop() {
		srv := cloneServer(src)
		srv.Debug = &replyWatch{c: c}
		_ = &oneConn{c: c}
	}
}
