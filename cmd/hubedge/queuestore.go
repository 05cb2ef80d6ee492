package main

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/hubedge/hubedge/manage"
	"github.com/hubedge/hubedge/queue/pgstore"
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

// poolStats is what a PostgreSQL queue counts of its commits;
// *pgstore.Store has it.
type poolStats interface{ Stats() pgstore.Stats }

// exportPoolCommits adds a PostgreSQL queue's commit counts to m, read at
// each scrape: their ratio is the mean group-commit batch. Each commit's
// size and round trip reach the histograms through the observer's
// poolCommit; the WAL flush alone is timed only inside PostgreSQL, for
// the whole server (pg_stat_wal, pg_stat_io), which a PostgreSQL exporter
// reports, not each hub of the pool.
func exportPoolCommits(m *manage.Metrics, s poolStats) {
	if m == nil {
		return
	}
	counter := func(name, help string, read func(pgstore.Stats) uint64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: "hubedge", Name: name, Help: help},
			func() float64 { return float64(read(s.Stats())) })
	}
	m.Registry().MustRegister(
		counter("queue_commits_total", "Transactions the PostgreSQL queue committed.",
			func(st pgstore.Stats) uint64 { return st.Commits }),
		counter("queue_commit_records_total", "Message records those transactions wrote.",
			func(st pgstore.Stats) uint64 { return st.Records }))
}
