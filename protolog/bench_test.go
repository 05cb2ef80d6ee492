package protolog

import (
	"io"
	"testing"
)

// BenchmarkCommand is the cost of one logged command and its reply (two
// records) through the SMTP-aware path into a buffered Log.
func BenchmarkCommand(b *testing.B) {
	l := New(io.Discard)
	defer l.Close()
	s := l.Session(`HUB1\Default HUB1`, "08D675E58CA1DA38", "10.0.0.1:25", "10.0.0.9:50123")
	cmd := []byte("RCPT TO:<someone@contoso.com>\r\n")
	reply := []byte("250 2.1.5 Recipient OK\r\n")
	b.ReportAllocs()
	for b.Loop() {
		s.Client(cmd)
		s.Server(reply)
	}
}

// BenchmarkParallelSessions logs from many sessions at once into files.
func BenchmarkParallelSessions(b *testing.B) {
	l, err := Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		s := l.Session(`HUB1\Default HUB1`, NewSessionID(), "10.0.0.1:25", "10.0.0.9:50123")
		for pb.Next() {
			s.Sent("250 2.1.5 Recipient OK", "")
		}
	})
}
