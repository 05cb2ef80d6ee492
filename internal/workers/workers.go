// Package workers runs short jobs on goroutines kept between them.
//
// A goroutine that serves an SMTP session or makes a delivery attempt
// grows its stack to the depth of that work (the command loop, TLS, the
// header firewall, the body stream). Started afresh for every job, it
// grows and copies its stack again each time: 3 to 4 % of the relay's
// CPU in the profile of a new connection per message. A Pool hands a job
// to a goroutine an earlier job left idle, or starts one:
//
//	p := workers.New(64)
//	p.Go(func() { serve(conn) })
//	...
//	p.Close() // after the last Go: ends the idle goroutines, waits for the busy ones
package workers

import (
	"sync"
	"sync/atomic"
)

// Pool runs jobs on its goroutines. At most its maxIdle goroutines wait
// for a job; the others end when theirs returns, so a burst leaves no
// more than that behind.
type Pool struct {
	jobs    chan func() // unbuffered: a send succeeds only into an idle goroutine
	stop    chan struct{}
	idle    atomic.Int32
	maxIdle int32
	wg      sync.WaitGroup
	once    sync.Once
}

// New returns a pool that keeps at most maxIdle goroutines waiting; with
// maxIdle ≤ 0 every job gets a goroutine of its own, as the go statement
// would give it.
func New(maxIdle int) *Pool {
	return &Pool{jobs: make(chan func()), stop: make(chan struct{}), maxIdle: int32(max(maxIdle, 0))}
}

// Go runs job on an idle goroutine of the pool, or on a new one. It does
// not wait for job, and must not be called once Close has been.
func (p *Pool) Go(job func()) {
	select {
	case p.jobs <- job:
		return
	default:
	}
	p.wg.Add(1)
	go p.work(job)
}

func (p *Pool) work(job func()) {
	defer p.wg.Done()
	for {
		job()
		if p.idle.Add(1) > p.maxIdle {
			p.idle.Add(-1)
			return
		}
		select {
		case job = <-p.jobs:
			p.idle.Add(-1)
		case <-p.stop:
			p.idle.Add(-1)
			return
		}
	}
}

// Idle is the number of goroutines waiting for a job.
func (p *Pool) Idle() int { return int(p.idle.Load()) }

// Close ends the idle goroutines and waits until the jobs running have
// returned. Calling it again is a no-op.
func (p *Pool) Close() {
	p.once.Do(func() { close(p.stop) })
	p.wg.Wait()
}
