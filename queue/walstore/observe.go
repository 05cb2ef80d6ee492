package walstore

import (
	"time"

	"github.com/hubedge/hubedge/queue/storage"
)

// Option configures Open.
type Option interface{ apply(*walStore) }

type funcOption func(*walStore)

func (f funcOption) apply(s *walStore) { f(s) }

// CommitObserver learns of each commit once it is durable: how many
// message records it wrote or deleted (body chunks are not counted: they
// measure a message's size, not how many writers shared the commit) and
// how long the log's fdatasync took.
type CommitObserver func(records int, sync time.Duration)

// WithCommitObserver has f called after each successful commit, by the
// goroutine that commits, so f must return at once (a metric update): the
// next commit waits for it. Without an observer a commit does not read the
// clock. Default: none.
func WithCommitObserver(f CommitObserver) Option {
	return funcOption(func(s *walStore) { s.observe = f })
}

// records counts the ops of a commit that write or delete a message's
// record, for the CommitObserver.
func records(ops []storage.Op) int {
	n := 0
	for _, op := range ops {
		if op.Kind != storage.OpPutChunk {
			n++
		}
	}
	return n
}
