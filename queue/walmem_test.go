package queue

import (
	"io"
	"slices"
	"testing"
)

func TestCoalesce(t *testing.T) {
	rec := func(id ID, d string) Op { return Op{Kind: OpPutRecord, ID: id, Data: []byte(d)} }
	chunk := func(id ID, seq uint32) Op { return Op{Kind: OpPutChunk, ID: id, Seq: seq, Data: []byte("x")} }
	del := func(id ID) Op { return Op{Kind: OpDelete, ID: id} }
	delBody := func(id ID) Op { return Op{Kind: OpDeleteBody, ID: id} }
	tests := []struct {
		name     string
		in, want []Op
	}{
		{"delivered within the batch", []Op{chunk("a", 0), rec("a", "1"), rec("a", "2"), del("a")}, []Op{del("a")}},
		{"newest record wins", []Op{rec("a", "1"), chunk("b", 0), rec("a", "2")}, []Op{chunk("b", 0), rec("a", "2")}},
		{"chunks before DeleteBody", []Op{chunk("a", 0), chunk("a", 1), delBody("a"), rec("a", "1")}, []Op{delBody("a"), rec("a", "1")}},
		{"puts after a delete stay", []Op{del("a"), rec("a", "1"), chunk("a", 0)}, []Op{del("a"), rec("a", "1"), chunk("a", 0)}},
		{"other IDs untouched", []Op{chunk("a", 0), rec("b", "1"), del("a")}, []Op{rec("b", "1"), del("a")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := coalesce(slices.Clone(tt.in))
			if !slices.EqualFunc(got, tt.want, func(a, b Op) bool {
				return a.Kind == b.Kind && a.ID == b.ID && a.Seq == b.Seq && string(a.Data) == string(b.Data)
			}) {
				t.Fatalf("coalesce = %v, want %v", got, tt.want)
			}
		})
	}
}

// A body is readable at once from memory, before bbolt has it, and from
// bbolt after the applier ran; a deleted body is gone from both.
func TestWALOpenBodyBeforeApply(t *testing.T) {
	s, err := openWAL(t.TempDir(), SystemClock{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ops := []Op{{Kind: OpPutChunk, ID: "m1", Seq: 0, Data: []byte("hello, ")},
		{Kind: OpPutChunk, ID: "m1", Seq: 1, Data: []byte("world")},
		{Kind: OpPutRecord, ID: "m1", Data: []byte("rec")}}
	if err := s.Apply(ops); err != nil {
		t.Fatal(err)
	}
	read := func() string {
		t.Helper()
		rc, err := s.OpenBody("m1")
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		b, err := io.ReadAll(rc)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if got := read(); got != "hello, world" {
		t.Fatalf("from memory: %q", got)
	}
	if err := s.sync(); err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	n := len(s.mem)
	s.mu.Unlock()
	if n != 0 {
		t.Fatalf("%d bodies still indexed in memory after apply", n)
	}
	if got := read(); got != "hello, world" {
		t.Fatalf("from bbolt: %q", got)
	}
	if err := s.Apply([]Op{{Kind: OpDelete, ID: "m1"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.OpenBody("m1"); err != ErrNotFound {
		t.Fatalf("deleted body: err %v, want ErrNotFound", err)
	}
}
