package deliver

import "github.com/hubedge/hubedge/queue"

// IdleConns lets the external tests watch the connection pool, which the
// API does not show: how many idle connections are kept for hop.
func (d *Deliverer) IdleConns(hop queue.NextHop) int {
	d.pool.mu.Lock()
	defer d.pool.mu.Unlock()
	return len(d.pool.idle[hop.Key()])
}
