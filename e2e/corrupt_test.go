package e2e

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/hubedge/hubedge/queue"
)

const storedMessages = 20

// A corrupted store file is never a silent loss: reopening the queue either
// fails with a clear "queue:" error or gives back every acknowledged
// message with its body intact.
func TestCorruptStoreFile(t *testing.T) {
	cases := []struct {
		name    string
		crashed bool // the log still holds records (a crash), else a clean Close
		file    string
		corrupt func(t *testing.T, path string)
	}{
		{"queue.db bytes flipped mid-file", false, queue.StoreFile, func(t *testing.T, p string) {
			flip(t, p, used(t, p)/2)
		}},
		{"queue.db truncated to half its data", false, queue.StoreFile, func(t *testing.T, p string) {
			truncate(t, p, used(t, p)/2)
		}},
		{"queue.db a stored body flipped (every copy)", false, queue.StoreFile, func(t *testing.T, p string) {
			flipAll(t, p, "line 7 of a stored body")
		}},
		{"queue.db every message record flipped", false, queue.StoreFile, func(t *testing.T, p string) {
			flipAll(t, p, `{"v":1,`) // the JSON record's version field
		}},
		{"queue.wal bytes flipped in its first record", true, queue.WALFile, func(t *testing.T, p string) {
			r := walRecords(t, p)[0]
			flip(t, p, (r.off+r.end)/2)
		}},
		{"queue.wal truncated inside its first record", true, queue.WALFile, func(t *testing.T, p string) {
			r := walRecords(t, p)[0]
			truncate(t, p, (r.off+r.end)/2)
		}},
		{"queue.wal truncated inside its last record", true, queue.WALFile, func(t *testing.T, p string) {
			recs := walRecords(t, p)
			truncate(t, p, recs[len(recs)-1].end-3)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var dir string
			var w childResult
			if tc.crashed {
				dir, w = crashedQueue(t, storedMessages)
			} else {
				dir = t.TempDir()
				w = runQueueChild(t, dir, "writeclose "+strconv.Itoa(storedMessages))
				if len(w.order) != storedMessages || len(w.errs) != 0 || w.crash != "" {
					t.Fatalf("writing: %d acks, errors %v %s", len(w.order), w.errs, w.crash)
				}
			}
			tc.corrupt(t, filepath.Join(dir, tc.file))
			r := runQueueChild(t, dir, "open")
			missing := lost(w, r, w.order)
			switch {
			case r.crash != "":
				t.Errorf("open crashed instead of returning an error: %s", r.crash)
			case len(r.errs) > 0:
				for _, e := range r.errs {
					if !strings.Contains(e, "queue:") {
						t.Errorf("unclear error at open: %s", e)
					}
				}
				t.Logf("open refused the corrupt store: %v", r.errs)
			case len(missing) > 0:
				t.Errorf("silent loss: open succeeded without %d of %d acknowledged messages (%v)", len(missing), len(w.order), missing)
			default:
				t.Logf("open recovered all %d acknowledged messages", len(w.order))
			}
		})
	}
}

// A torn final log record was never acknowledged (its write or sync did not
// finish): losing it is acceptable, but every message acknowledged before
// the last one must come back intact. The log's space is allocated (and
// synced) before records are written into it, so a crash leaves the file
// at its full size with stale or zero bytes in the torn record; a file cut
// short is damage, not a crash (TestCorruptStoreFile).
func TestTornWALTail(t *testing.T) {
	cases := []struct {
		name string
		tear func(t *testing.T, p string, last walRecord)
	}{
		{"second half of the last record zeroed", func(t *testing.T, p string, last walRecord) {
			f, err := os.OpenFile(p, os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if _, err := f.WriteAt(make([]byte, (last.end-last.off)/2), (last.off+last.end)/2); err != nil {
				t.Fatal(err)
			}
		}},
		{"last 3 bytes of the last record zeroed", func(t *testing.T, p string, last walRecord) {
			f, err := os.OpenFile(p, os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if _, err := f.WriteAt(make([]byte, 3), last.end-3); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir, w := crashedQueue(t, storedMessages)
			p := filepath.Join(dir, queue.WALFile)
			recs := walRecords(t, p)
			tc.tear(t, p, recs[len(recs)-1])
			r := runQueueChild(t, dir, "open")
			if r.crash != "" || len(r.errs) > 0 {
				t.Fatalf("a torn tail is a normal crash, yet open failed: %v %s", r.errs, r.crash)
			}
			if missing := lost(w, r, w.order[:len(w.order)-1]); len(missing) > 0 {
				t.Errorf("%d messages acknowledged before the torn one are lost: %v", len(missing), missing)
			}
			for id := range r.found {
				if _, ok := w.acked[id]; !ok {
					t.Errorf("unknown message %s after recovery", id)
				}
			}
		})
	}
}

// used is the offset just past the last non-zero byte of p: bbolt grows
// its file ahead of the data, so "the middle" means the middle of the data.
func used(t *testing.T, p string) int64 {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	n := len(b)
	for n > 0 && b[n-1] == 0 {
		n--
	}
	return int64(n)
}

// flipAll corrupts every occurrence of s in p (bbolt copies pages on
// write, so stale copies exist beside the live one).
func flipAll(t *testing.T, p, s string) {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for i := 0; ; n++ {
		j := strings.Index(string(b[i:]), s)
		if j < 0 {
			break
		}
		i += j + len(s)
		b[i-2] ^= 0x5a
	}
	if n == 0 {
		t.Fatalf("%q not in %s", s, p)
	}
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func truncate(t *testing.T, p string, n int64) {
	t.Helper()
	if err := os.Truncate(p, n); err != nil {
		t.Fatal(err)
	}
}
