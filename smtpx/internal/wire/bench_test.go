package wire_test

import (
	"bufio"
	"io"
	"strings"
	"testing"

	"github.com/hubedge/hubedge/smtpx/internal/wire"
)

// BenchmarkDotReader reads a 1 MiB message of 76-octet lines (78 with
// CR LF) through a 32 KiB bufio.Reader, as smtpx does.
func BenchmarkDotReader(b *testing.B) {
	msg, wireForm := benchMessage(1 << 20)
	src := strings.NewReader(wireForm)
	br := bufio.NewReaderSize(src, 32<<10)
	dr := wire.NewDotReader(br, 1000)
	buf := make([]byte, 32<<10)
	b.SetBytes(int64(len(wireForm)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		src.Reset(wireForm)
		br.Reset(src)
		dr.Reset(br, 1000)
		n := 0
		for {
			k, err := dr.Read(buf)
			n += k
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
		if n != len(msg) {
			b.Fatalf("read %d octets, want %d", n, len(msg))
		}
	}
}

func BenchmarkParseMail(b *testing.B) {
	arg := []byte("FROM:<jane.doe@example.org> SIZE=1048576 BODY=8BITMIME SMTPUTF8 RET=HDRS ENVID=QQ314159")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := wire.ParseMail(arg, allExt); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseCommand(b *testing.B) {
	line := []byte("RCPT TO:<john.smith@example.com> NOTIFY=SUCCESS,FAILURE")
	b.ReportAllocs()
	for b.Loop() {
		if v, _ := wire.ParseCommand(line); v != wire.RCPT {
			b.Fatal(v)
		}
	}
}
