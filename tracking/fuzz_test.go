package tracking

import (
	"bytes"
	"testing"
)

// FuzzParse: the reader never panics, and what it reads writes back to a
// line that reads back the same (the writer's output is a fixed point).
func FuzzParse(f *testing.F) {
	r := full()
	f.Add(string(appendRecord(nil, &r, true)))
	f.Add("#Fields: date-time,recipient-address,recipient-status\r\n2026-01-02T03:04:05.678Z,a@x;b@x,250;550 x\r\n")
	f.Add(`2026-01-02T03:04:05.678Z,"a,""b""",,` + "\n")
	f.Add("#Fields: x,date-time\n1,2026-01-02T03:04:05.678Z\n")
	f.Fuzz(func(t *testing.T, in string) {
		rd := NewReader(bytes.NewReader([]byte(in)))
		for range 1000 {
			rec, err := rd.Next()
			if err != nil {
				if _, ok := err.(*ParseError); ok {
					continue
				}
				return
			}
			line := appendRecord(nil, &rec, true)
			again, err := Parse(bytes.NewReader(line))
			if err != nil || len(again) != 1 {
				t.Fatalf("%q: re-read %v %v", line, again, err)
			}
			if got := appendRecord(nil, &again[0], true); !bytes.Equal(got, line) {
				t.Fatalf("not a fixed point:\n%q\n%q", line, got)
			}
		}
	})
}
