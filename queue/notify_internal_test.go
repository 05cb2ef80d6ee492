package queue

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/hubedge/hubedge/dsn"
	"github.com/hubedge/hubedge/queue/memstore"
)

// A failure DSN still goes out when the original cannot be read back (a
// short body): without the original part, which RFC 3464 §2 allows.
func TestDSNWithoutUnreadableOriginal(t *testing.T) {
	store := memstore.New()
	route := RouterFunc(func(_ context.Context, _ *Envelope, r Recipient) (NextHop, error) {
		return NextHop{Kind: "DnsConnectorDelivery", Connector: "Internet", Domain: "fabrikam.com"}, nil
	})
	dsns := make(chan string, 1)
	deliver := DelivererFunc(func(_ context.Context, _ NextHop, m *Message, rcpts []Recipient) ([]Result, error) {
		if m.Envelope.From == "" { // the DSN itself
			rc, err := m.Open()
			if err != nil {
				return nil, err
			}
			b, err := io.ReadAll(rc)
			rc.Close()
			if err != nil {
				return nil, err
			}
			dsns <- string(b)
			return []Result{{Code: 250, Enhanced: "2.0.0", Text: "OK"}}, nil
		}
		// The stored body loses its chunks: reading it back comes up short.
		if err := store.Apply([]Op{{Kind: OpDeleteBody, ID: m.ID}}); err != nil {
			return nil, err
		}
		return []Result{{Code: 550, Enhanced: "5.1.1", Text: "User unknown"}}, nil
	})
	q, err := OpenStore(store, WithRouter(route), WithDeliverer(deliver), WithReportingMTA("hub1.contoso.com"))
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close(context.Background())
	env := Envelope{From: "a@contoso.com", Ret: dsn.RetFull, Recipients: []Recipient{{Address: "b@fabrikam.com"}}}
	if _, err := q.Enqueue(context.Background(), env, strings.NewReader("Subject: hi\r\n\r\nbody\r\n")); err != nil {
		t.Fatal(err)
	}
	select {
	case b := <-dsns:
		if !strings.Contains(b, "Action: failed") || strings.Contains(b, "Subject: hi") {
			t.Errorf("DSN without the original:\n%s", b)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no DSN for a message whose body could not be read back")
	}
}
