package tracking

import (
	"io"
	"testing"
)

// BenchmarkTrack measures the write path: formatting one record into the
// buffer and the buffered writes, to a discarding writer and to files.
func BenchmarkTrack(b *testing.B) {
	r := full()
	b.Run("stream", func(b *testing.B) {
		l := New(io.Discard)
		defer l.Close()
		b.ReportAllocs()
		for b.Loop() {
			l.Track(r)
		}
	})
	b.Run("files", func(b *testing.B) {
		l, err := Open(b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		defer l.Close()
		b.ReportAllocs()
		for b.Loop() {
			l.Track(r)
		}
	})
	b.Run("files parallel", func(b *testing.B) {
		l, err := Open(b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		defer l.Close()
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				l.Track(r)
			}
		})
	})
}
