package walstore

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/hubedge/hubedge/queue/storage"
)

// residentKiB sums the Rss of the process's mappings of path.
func residentKiB(t *testing.T, path string) int {
	t.Helper()
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Skip(err)
	}
	defer f.Close()
	kib, in := 0, false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if fields := strings.Fields(line); len(fields) >= 5 && strings.Contains(fields[0], "-") && !strings.HasSuffix(fields[0], ":") {
			in = len(fields) >= 6 && fields[5] == path
			continue
		}
		if in && strings.HasPrefix(line, "Rss:") {
			n, _ := strconv.Atoi(strings.Fields(line)[1])
			kib += n
		}
	}
	return kib
}

// Body chunks bbolt wrote, rewrote or read back through its mapping do not
// stay in the process's resident set (issue 22: at 1 MiB a lagging
// delivery put the gateway's peak RSS over 100 MiB, half of it pages of
// queue.db).
func TestBoltPagesNotResident(t *testing.T) {
	dir := t.TempDir()
	db, err := openBolt(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	chunk := bytes.Repeat([]byte("x"), storage.ChunkSize)
	const msgs, chunks = 8, 4 // 8 MiB
	for m := range msgs {
		var ops []storage.Op
		for c := range chunks {
			data := make([]byte, len(chunk), len(chunk)+storage.ChunkRoom)
			copy(data, chunk)
			ops = append(ops, storage.Op{Kind: storage.OpPutChunk, ID: storage.ID(fmt.Sprint("M", m)), Seq: uint32(c), Data: data})
		}
		ops = append(ops, storage.Op{Kind: storage.OpPutRecord, ID: storage.ID(fmt.Sprint("M", m)), Data: []byte("rec")})
		if err := db.Apply(ops); err != nil {
			t.Fatal(err)
		}
	}
	for m := range msgs {
		rc, err := db.OpenBody(storage.ID(fmt.Sprint("M", m)))
		if err != nil {
			t.Fatal(err)
		}
		n, err := io.Copy(io.Discard, rc)
		rc.Close()
		if err != nil || n != chunks*storage.ChunkSize {
			t.Fatalf("body M%d: %d bytes, %v", m, n, err)
		}
	}
	for m := 0; m < msgs; m += 2 {
		if err := db.Apply([]storage.Op{{Kind: storage.OpDelete, ID: storage.ID(fmt.Sprint("M", m))}}); err != nil {
			t.Fatal(err)
		}
	}
	if kib := residentKiB(t, db.path); kib > 1024 {
		t.Errorf("%d KiB of %s resident after writing, reading and deleting 8 MiB of chunks, want at most 1 MiB", kib, db.path)
	}
}
