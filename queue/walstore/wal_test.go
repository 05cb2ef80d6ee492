package walstore

import (
	"bytes"
	"testing"

	"github.com/hubedge/hubedge/queue/storage"
)

func TestWALRecordRoundTrip(t *testing.T) {
	ops := []storage.Op{
		{Kind: storage.OpPutChunk, ID: "A", Seq: 7, Data: []byte("body")},
		{Kind: storage.OpPutRecord, ID: "A", Data: []byte(`{"v":1}`)},
		{Kind: storage.OpDelete, ID: "B"},
	}
	rec := encodeRecord(nil, 42, ops)
	got, err := decodeOps(rec[walHeader:])
	if err != nil || len(got) != 3 || got[0].Seq != 7 || !bytes.Equal(got[1].Data, ops[1].Data) || got[2].Kind != storage.OpDelete {
		t.Fatalf("decodeOps = %+v, %v", got, err)
	}
}

func FuzzDecodeOps(f *testing.F) {
	f.Add(encodeRecord(nil, 1, []storage.Op{{Kind: storage.OpPutChunk, ID: "X", Data: []byte("abc")}})[walHeader:])
	f.Add([]byte{})
	f.Add([]byte{1, 0, 0, 0, 1, 255, 255})
	f.Fuzz(func(t *testing.T, p []byte) {
		ops, err := decodeOps(p)
		if err != nil {
			return
		}
		// What decodes re-encodes to the same payload.
		if re := encodeRecord(nil, 0, ops)[walHeader:]; !bytes.Equal(re, p) {
			t.Fatalf("re-encoding differs:\n%x\n%x", re, p)
		}
	})
}
