package deliver

import (
	"crypto/tls"
	"net"
	"sync"
	"time"
)

// conn is one SMTP session ready for MAIL FROM.
type conn struct {
	key      string // next-hop key the session belongs to
	host     string // host name or IP literal (RemoteMTA, TLS name)
	addr     string // "ip:port" dialled
	raw      net.Conn
	nc       net.Conn // what the session speaks on: raw, or the TLS connection over it
	ext      ext      // the EHLO extensions the transaction uses
	tls      bool
	tlsState tls.ConnectionState
	verified bool // the policy's certificate checks passed
	// policyAuth names the DANE or MTA-STS policy that authenticated the
	// server ("" if none); mxSecure: its MX and address records were
	// DNSSEC-validated. REQUIRETLS looks at both.
	policyAuth string
	mxSecure   bool
	// pkixChecked and pkixOK remember pkixValid's answer: the chain does
	// not change during the session, so REQUIRETLS checks it once per
	// connection, not once per message.
	pkixChecked, pkixOK bool
	messages            int  // messages carried
	reused              bool // taken from the pool for the current delivery
	broken              bool // must not be reused

	timer *time.Timer // idle timer while pooled
}

// quit ends the session politely within a short deadline and closes it.
func (cn *conn) quit(timeout time.Duration) {
	if !cn.broken {
		_ = cn.raw.SetDeadline(time.Now().Add(timeout))
		quit(cn.nc)
	}
	_ = cn.nc.Close()
}

// pool keeps idle sessions per next hop. Each idle session has a timer that
// closes it after the connector's inactivity timeout; timers are counted in
// wg so Close can wait for callbacks already running.
type pool struct {
	mu      sync.Mutex
	idle    map[string][]*conn
	closed  bool
	maxIdle int
	quitTO  time.Duration
	onClose func(*conn, error)
	wg      sync.WaitGroup
}

func newPool(maxIdle int, quitTimeout time.Duration, onClose func(*conn, error)) *pool {
	return &pool{idle: map[string][]*conn{}, maxIdle: maxIdle, quitTO: quitTimeout, onClose: onClose}
}

// get returns the most recently used idle session for key, or nil.
func (p *pool) get(key string) *conn {
	p.mu.Lock()
	defer p.mu.Unlock()
	list := p.idle[key]
	if len(list) == 0 {
		return nil
	}
	cn := list[len(list)-1]
	p.idle[key] = list[:len(list)-1]
	if len(p.idle[key]) == 0 {
		delete(p.idle, key)
	}
	p.stopTimer(cn)
	return cn
}

// put parks cn for reuse, or closes it when it is broken, has carried
// maxMessages, or the hop already has enough idle sessions.
func (p *pool) put(cn *conn, maxMessages int, idleTimeout time.Duration) {
	cn.reused = false
	p.mu.Lock()
	if cn.broken || p.closed || cn.messages >= maxMessages || len(p.idle[cn.key]) >= p.maxIdle || idleTimeout <= 0 {
		p.mu.Unlock()
		p.close(cn, nil)
		return
	}
	p.idle[cn.key] = append(p.idle[cn.key], cn)
	p.wg.Add(1)
	cn.timer = time.AfterFunc(idleTimeout, func() { p.expire(cn) })
	p.mu.Unlock()
}

// expire is the idle timer's callback.
func (p *pool) expire(cn *conn) {
	defer p.wg.Done()
	p.mu.Lock()
	list := p.idle[cn.key]
	found := false
	for i, x := range list {
		if x == cn {
			p.idle[cn.key] = append(list[:i], list[i+1:]...)
			found = true
			break
		}
	}
	if len(p.idle[cn.key]) == 0 {
		delete(p.idle, cn.key)
	}
	p.mu.Unlock()
	if found { // else get took it first and owns it now
		p.close(cn, nil)
	}
}

// stopTimer cancels cn's idle timer; p.mu is held. When the timer already
// fired, its callback finds cn gone and only releases wg.
func (p *pool) stopTimer(cn *conn) {
	if cn.timer != nil && cn.timer.Stop() {
		p.wg.Done()
	}
	cn.timer = nil
}

func (p *pool) close(cn *conn, err error) {
	cn.quit(p.quitTO)
	if p.onClose != nil {
		p.onClose(cn, err)
	}
}

// shutdown closes every idle session, refuses new ones and waits for idle
// timers that were already running (they only close sockets).
func (p *pool) shutdown() {
	p.mu.Lock()
	p.closed = true
	var all []*conn
	for k, list := range p.idle {
		for _, cn := range list {
			p.stopTimer(cn)
			all = append(all, cn)
		}
		delete(p.idle, k)
	}
	p.mu.Unlock()
	for _, cn := range all {
		p.close(cn, nil)
	}
	p.wg.Wait()
}
