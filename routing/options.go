package routing

// Option configures NewTable.
type Option interface{ apply(*options) }

type options struct {
	siteCost func(from, to string) int
}

// defaultOptions: no site-link costs, so only address-space costs count.
func defaultOptions() options { return options{} }

type funcOption func(*options)

func (f funcOption) apply(o *options) { f(o) }

// WithSiteCost sets the cost of reaching a connector's site from the routing
// server's site; it is added to the address-space cost when ranking equally
// specific entries. It is called as fn(Origin.Site, Entry.Site), during
// lookups, and must be safe for concurrent use, fast and non-negative.
// The default (or nil) counts every site as cost 0.
func WithSiteCost(fn func(from, to string) int) Option {
	return funcOption(func(o *options) { o.siteCost = fn })
}
