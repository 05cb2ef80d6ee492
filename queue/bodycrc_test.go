package queue_test

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/hubedge/hubedge/queue"
)

// damageChunks flips a byte in every stored body chunk of dir's store.
func damageChunks(t *testing.T, dir string) {
	t.Helper()
	db, err := bolt.Open(filepath.Join(dir, queue.StoreFile), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("chunks"))
		var keys, vals [][]byte
		b.ForEach(func(k, v []byte) error {
			keys, vals = append(keys, append([]byte(nil), k...)), append(vals, append([]byte(nil), v...))
			return nil
		})
		for i, k := range keys {
			vals[i][len(vals[i])/2] ^= 0x20
			if err := b.Put(k, vals[i]); err != nil {
				return err
			}
		}
		if len(keys) == 0 {
			return errors.New("no chunks stored")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A body damaged in the store is never delivered: the reader fails with
// ErrCorrupt (a *queue.CorruptError), and the message moves to Poison,
// suspended, with the damage as its last error, even when the Deliverer
// ignores the error and claims success. Export refuses it the same way.
func TestCorruptBodyNeverDelivered(t *testing.T) {
	for _, tc := range []struct {
		name  string
		reply func(err error) ([]queue.Result, error)
	}{
		{"deliverer fails on the read error", func(err error) ([]queue.Result, error) { return nil, err }},
		{"deliverer ignores it and claims success", func(error) ([]queue.Result, error) {
			return []queue.Result{{Code: 250, Enhanced: "2.0.0", Text: "ok"}}, nil
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			q, err := queue.Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			env := queue.Envelope{From: "a@contoso.com", Recipients: []queue.Recipient{{Address: "b@fabrikam.com"}}}
			id, err := q.Enqueue(context.Background(), env, strings.NewReader(strings.Repeat("a body line\r\n", 30000)))
			if err != nil {
				t.Fatal(err)
			}
			if err := q.Close(context.Background()); err != nil {
				t.Fatal(err)
			}
			damageChunks(t, dir)

			rec := newRecorder()
			readErr := make(chan error, 1)
			d := queue.DelivererFunc(func(_ context.Context, _ queue.NextHop, msg *queue.Message, _ []queue.Recipient) ([]queue.Result, error) {
				rc, err := msg.Open()
				if err == nil {
					_, err = io.Copy(io.Discard, rc)
					rc.Close()
				}
				readErr <- err
				return tc.reply(err)
			})
			q, err = queue.Open(dir, queue.WithRouter(hopByDomain()), queue.WithDeliverer(d), queue.WithEventHook(rec.hook))
			if err != nil {
				t.Fatal(err)
			}
			defer q.Close(context.Background())
			pos := 0
			rec.next(t, &pos, is(queue.EventPoison, id))
			var ce *queue.CorruptError
			if err := <-readErr; !errors.As(err, &ce) || ce.ID != id || !errors.Is(err, queue.ErrCorrupt) {
				t.Errorf("body read: %v, want a *CorruptError for %s", err, id)
			}
			if n := rec.count(queue.EventDeliver); n != 0 {
				t.Errorf("%d deliveries of a damaged body", n)
			}
			ms := q.Messages(queue.Filter{})
			if len(ms) != 1 || ms[0].Status != queue.MessageSuspended || !strings.Contains(ms[0].LastError, "checksum") ||
				!strings.Contains(strings.Join(ms[0].Queues, ","), queue.QueuePoison) {
				t.Fatalf("after the damaged read: %+v", ms)
			}
			if err := q.Export(id, io.Discard); !errors.Is(err, queue.ErrCorrupt) {
				t.Errorf("Export = %v, want ErrCorrupt", err)
			}
		})
	}
}
