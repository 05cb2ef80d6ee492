package miltertest

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"testing"

	gm "github.com/d--j/go-milter"
)

// Script says what a Filter answers at each stage and what it changes at
// end of message. Stages are "connect", "helo", "mail", "rcpt", "data",
// "header", "eoh", "body" and "eom"; a stage without a reply continues.
type Script struct {
	Replies map[string]*gm.Response
	// EndOfMessage makes the filter's modifications (AddHeader,
	// ChangeHeader, InsertHeader, ReplaceBody, AddRecipient,
	// DeleteRecipient, Quarantine) before its "eom" reply.
	EndOfMessage func(m gm.Modifier) error
}

// Filter is a milter filter on 127.0.0.1 built with go-milter's server,
// following a Script and recording what it was told.
type Filter struct {
	Addr string

	mu     sync.Mutex
	events []string
}

// NewFilter starts a filter; t.Cleanup stops it.
func NewFilter(t testing.TB, s Script) *Filter {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &Filter{Addr: l.Addr().String()}
	srv := gm.NewServer(
		gm.WithMilter(func() gm.Milter { return &scripted{f: f, s: s} }),
		gm.WithActions(gm.OptAddHeader|gm.OptChangeBody|gm.OptAddRcpt|gm.OptRemoveRcpt|gm.OptChangeHeader|gm.OptQuarantine),
	)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	t.Cleanup(func() {
		srv.Close()
		if err := <-done; err != nil && !errors.Is(err, gm.ErrServerClosed) {
			t.Errorf("miltertest: filter: %v", err)
		}
	})
	return f
}

// Events returns what the filter was told, in order: "connect <addr>
// j=<macro>", "helo <name>", "mail <from> mail_addr=<macro>", "rcpt <to>
// rcpt_addr=<macro>", "data", "header <name>:<value>", "eoh", "body
// <bytes>", "eom i=<macro>", "abort".
func (f *Filter) Events() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.events...)
}

func (f *Filter) note(format string, a ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.events = append(f.events, fmt.Sprintf(format, a...))
}

// scripted is one milter connection of a Filter.
type scripted struct {
	f    *Filter
	s    Script
	body int
}

func (m *scripted) reply(stage string) (*gm.Response, error) {
	if r, ok := m.s.Replies[stage]; ok {
		return r, nil
	}
	return gm.RespContinue, nil
}

func (m *scripted) NewConnection(gm.Modifier) error { return nil }

func (m *scripted) Connect(host, family string, port uint16, addr string, mod gm.Modifier) (*gm.Response, error) {
	m.f.note("connect %s j=%s", addr, mod.Get(gm.MacroMTAFQDN))
	return m.reply("connect")
}

func (m *scripted) Helo(name string, _ gm.Modifier) (*gm.Response, error) {
	m.f.note("helo %s", name)
	return m.reply("helo")
}

func (m *scripted) MailFrom(from, _ string, mod gm.Modifier) (*gm.Response, error) {
	m.f.note("mail %s mail_addr=%s", from, mod.Get(gm.MacroMailAddr))
	return m.reply("mail")
}

func (m *scripted) RcptTo(to, _ string, mod gm.Modifier) (*gm.Response, error) {
	m.f.note("rcpt %s rcpt_addr=%s", to, mod.Get(gm.MacroRcptAddr))
	return m.reply("rcpt")
}

func (m *scripted) Data(gm.Modifier) (*gm.Response, error) {
	m.f.note("data")
	return m.reply("data")
}

func (m *scripted) Header(name, value string, _ gm.Modifier) (*gm.Response, error) {
	m.f.note("header %s:%s", name, value)
	return m.reply("header")
}

func (m *scripted) Headers(gm.Modifier) (*gm.Response, error) {
	m.f.note("eoh")
	return m.reply("eoh")
}

func (m *scripted) BodyChunk(chunk []byte, _ gm.Modifier) (*gm.Response, error) {
	m.body += len(chunk)
	return m.reply("body")
}

func (m *scripted) EndOfMessage(mod gm.Modifier) (*gm.Response, error) {
	m.f.note("body %d", m.body)
	m.f.note("eom i=%s", mod.Get(gm.MacroQueueId))
	m.body = 0
	if m.s.EndOfMessage != nil {
		if err := m.s.EndOfMessage(mod); err != nil {
			return nil, err
		}
	}
	return m.reply("eom")
}

func (m *scripted) Abort(gm.Modifier) error {
	m.f.note("abort")
	return nil
}

func (m *scripted) Unknown(string, gm.Modifier) (*gm.Response, error) { return gm.RespContinue, nil }

func (m *scripted) Cleanup(gm.Modifier) {}
