package local

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/hubedge/hubedge/queue"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// body returns a body opener for s.
func body(s string) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(s)), nil }
}

func rcptList(addrs ...string) []queue.Recipient {
	rs := make([]queue.Recipient, len(addrs))
	for i, a := range addrs {
		rs[i] = queue.Recipient{Address: a}
	}
	return rs
}

func TestHop(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"contoso.com", "contoso.com"},
		{"Contoso.COM.", "contoso.com"},
		{"bücher.example", "xn--bcher-kva.example"},
		{"[192.0.2.1]", "[192.0.2.1]"}, // not a domain: kept as given
	} {
		h := Hop(tc.in)
		if h.Kind != KindMailbox || h.Domain != tc.want || h.Connector != "" {
			t.Errorf("Hop(%q) = %+v, want Kind %q Domain %q", tc.in, h, KindMailbox, tc.want)
		}
	}
}

// TestDelivererThroughQueue runs a Maildir behind a real (in-memory) queue:
// Router → KindMailbox hop → Maildir → files in new/.
func TestDelivererThroughQueue(t *testing.T) {
	md, err := NewMaildir(t.TempDir(), WithRequireExisting(), WithHostname("hub01"))
	if err != nil {
		t.Fatal(err)
	}
	// Only bob exists: carol is refused with 5.1.1 and bounced by the queue.
	if err := ensureMaildir(mustPath(t, md, "bob@contoso.com"), md.Root()); err != nil {
		t.Fatal(err)
	}
	events := make(chan queue.Event, 16)
	q, err := queue.OpenMemory(
		queue.WithRouter(queue.RouterFunc(func(_ context.Context, _ *queue.Envelope, r queue.Recipient) (queue.NextHop, error) {
			_, d, _ := splitAddress(r.Address)
			return Hop(d), nil
		})),
		queue.WithDeliverer(md),
		queue.WithEventHook(func(e queue.Event) {
			if e.Type == queue.EventDeliver || e.Type == queue.EventFail {
				events <- e
			}
		}))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := q.Close(ctx); err != nil {
			t.Error(err)
		}
	}()
	env := queue.Envelope{From: "alice@fabrikam.com", Recipients: rcptList("Bob@Contoso.com", "carol@contoso.com")}
	if _, err := q.Enqueue(t.Context(), env, strings.NewReader("Subject: hi\r\n\r\nHello\r\n")); err != nil {
		t.Fatal(err)
	}
	got := map[queue.EventType]string{}
	for len(got) < 2 {
		select {
		case e := <-events:
			got[e.Type] = strings.Join(e.Recipients, ",") + " " + e.Result.String()
		case <-time.After(10 * time.Second):
			t.Fatalf("timed out; events so far %v", got)
		}
	}
	if want := "Bob@Contoso.com 250 2.0.0 Delivered to mailbox"; got[queue.EventDeliver] != want {
		t.Errorf("DELIVER = %q, want %q", got[queue.EventDeliver], want)
	}
	if want := "carol@contoso.com 550 5.1.1 RESOLVER.ADR.ExRecipNotFound; not found"; got[queue.EventFail] != want {
		t.Errorf("FAIL = %q, want %q", got[queue.EventFail], want)
	}
	files, err := md.Messages("bob@contoso.com")
	if err != nil || len(files) != 1 {
		t.Fatalf("Messages = %v, %v; want one file", files, err)
	}
}

func TestStaticDirectory(t *testing.T) {
	d, err := NewStaticDirectory("bob@contoso.com", "Carol@Fabrikam.COM")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewStaticDirectory("../x@contoso.com"); !errors.Is(err, ErrBadAddress) {
		t.Errorf("NewStaticDirectory(bad) error = %v, want ErrBadAddress", err)
	}
	for _, tc := range []struct {
		addr string
		want bool
	}{
		{"bob@contoso.com", true},
		{"BOB@CONTOSO.COM.", true},
		{"carol@fabrikam.com", true},
		{"dave@contoso.com", false},
		{"bob@fabrikam.com", false},
		{"../bob@contoso.com", false},
		{"", false},
	} {
		if got, err := d.Lookup(t.Context(), tc.addr); got != tc.want || err != nil {
			t.Errorf("Lookup(%q) = %v, %v; want %v", tc.addr, got, err, tc.want)
		}
	}
	d.Remove("Bob@contoso.com")
	if ok, _ := d.Lookup(t.Context(), "bob@contoso.com"); ok {
		t.Error("bob still found after Remove")
	}
	var zero StaticDirectory
	if ok, _ := zero.Lookup(t.Context(), "bob@contoso.com"); ok {
		t.Error("zero StaticDirectory found bob")
	}
	if err := zero.Add("bob@contoso.com"); err != nil {
		t.Fatal(err)
	}
	var dir Directory = DirectoryFunc(zero.Lookup)
	if ok, _ := dir.Lookup(t.Context(), "Bob@Contoso.com"); !ok {
		t.Error("DirectoryFunc lost bob")
	}
}

func TestFailureResult(t *testing.T) {
	custom := &queue.Result{Code: 550, Enhanced: "5.2.1", Text: "disabled"}
	for _, tc := range []struct {
		err  error
		want string
	}{
		{&AddressError{Address: "x", Reason: "y"}, "550 5.1.3 STOREDRV.Deliver; invalid recipient address"},
		{ErrUnknownMailbox, "550 5.1.1 RESOLVER.ADR.ExRecipNotFound; not found"},
		{custom, "550 5.2.1 disabled"},
		{errors.New("ldap down"), "451 4.3.0 Local delivery failed"},
	} {
		if got := failureResult(tc.err).String(); got != tc.want {
			t.Errorf("failureResult(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}

func mustPath(t testing.TB, md *Maildir, addr string) string {
	t.Helper()
	p, err := md.Path(addr)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
