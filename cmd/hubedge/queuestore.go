package main

import (
	"github.com/hubedge/hubedge/queue/storage"
	"github.com/hubedge/hubedge/queue/walstore"
	"github.com/hubedge/hubedge/transport"
)

// localQueue is the -queue directory's store when metrics are exported:
// opened here rather than by the transport, so that each group commit
// feeds the batch-size and fsync metrics. Until the transport has started
// on it, it is ours to close; then its queue closes it.
type localQueue struct {
	s     storage.Store
	owned bool // by the transport's queue
}

// openLocalQueue opens dir's store with obs as its commit observer, or
// returns a nil *localQueue (the transport opens the queue itself) when
// nothing exports metrics or the queue is not in a directory.
func openLocalQueue(dir string, metrics bool, obs *observer) (*localQueue, error) {
	if dir == "" || !metrics {
		return nil, nil
	}
	s, err := walstore.Open(dir, nil, walstore.WithCommitObserver(obs.commit))
	if err != nil {
		return nil, err
	}
	return &localQueue{s: s}, nil
}

// options hand the store to the transport.
func (l *localQueue) options() []transport.Option {
	if l == nil {
		return nil
	}
	return []transport.Option{transport.WithQueueStore(l.s)}
}

// started records that the transport's queue owns the store.
func (l *localQueue) started() {
	if l != nil {
		l.owned = true
	}
}

// close closes the store if the transport never started on it.
func (l *localQueue) close() {
	if l != nil && !l.owned {
		l.s.Close()
	}
}
