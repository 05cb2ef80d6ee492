package deliver

import (
	"crypto/tls"
	"testing"
)

// forget drops exactly the session the failed handshake looked up, and
// hops never see each other's sessions.
func TestHopSessionsForget(t *testing.T) {
	d := &Deliverer{tlsSessions: tls.NewLRUClientSessionCache(8)}
	cs, err := tls.NewResumptionState(nil, &tls.SessionState{})
	if err != nil {
		t.Fatal(err)
	}
	a, b := d.sessionCacheFor("smarthost:A:"), d.sessionCacheFor("smarthost:B:")
	a.Put("mx.example", cs)
	a.Put("other.example", cs)
	if _, ok := b.Get("mx.example"); ok {
		t.Fatal("hop B sees hop A's session")
	}
	if got, ok := a.Get("mx.example"); !ok || got != cs {
		t.Fatal("hop A lost its session")
	}
	a.forget()
	if _, ok := a.Get("mx.example"); ok {
		t.Error("forget kept the failed session")
	}
	if _, ok := a.Get("other.example"); !ok {
		t.Error("forget dropped another host's session")
	}
	var off *hopSessions
	off.forget() // resumption off: nothing to forget, no panic
	if (&Deliverer{}).sessionCacheFor("k") != nil {
		t.Error("a Deliverer without a cache made one")
	}
}
