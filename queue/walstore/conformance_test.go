package walstore_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/queue/queuetest"
	"github.com/hubedge/hubedge/queue/walstore"
)

// The engine keeps the Store contract; a crash is the engine stopped
// without Close (nothing drained, nothing invalidated) and opened again.
func TestConformance(t *testing.T) {
	dirs := map[queue.Store]string{}
	open := func(t *testing.T, dir string) queue.Store {
		s, err := walstore.Open(dir, nil)
		if err != nil {
			t.Fatal(err)
		}
		dirs[s] = dir
		return s
	}
	queuetest.TestStore(t, queuetest.StoreOpener{
		Open: func(t *testing.T) queue.Store { return open(t, t.TempDir()) },
		Crash: func(t *testing.T, s queue.Store) queue.Store {
			walstore.Crash(s)
			return open(t, dirs[s])
		},
	})
}

// A second Open of a directory in use fails at once with ErrDirInUse, and
// the directory opens again once the first store is closed.
func TestOpenDirInUse(t *testing.T) {
	dir := t.TempDir()
	s, err := walstore.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.(fmt.Stringer).String(); got != dir {
		t.Errorf("String() = %q, want the directory %q", got, dir)
	}
	if s2, err := walstore.Open(dir, nil); !errors.Is(err, walstore.ErrDirInUse) || err.Error() != "queue directory in use by another process: "+dir {
		if err == nil {
			s2.Close()
		}
		t.Fatalf("second Open = %v, want ErrDirInUse", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = walstore.Open(dir, nil)
	if err != nil {
		t.Fatalf("Open after Close: %v", err)
	}
	s.Close()
}
