package tracking_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/hubedge/hubedge/tracking"
)

// A message's life in the log, then found again by its Message-ID.
func Example() {
	dir, err := os.MkdirTemp("", "tracking")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	clock := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	l, err := tracking.Open(dir, tracking.WithClock(func() time.Time { return clock }))
	if err != nil {
		panic(err)
	}
	defer l.Close()

	msg := tracking.Record{InternalMessageID: "01JGZ3", MessageID: "<1@contoso.com>",
		Sender: "alice@contoso.com", ReturnPath: "alice@contoso.com",
		Recipients: []string{"bob@fabrikam.com"}, RecipientCount: 1, TotalBytes: 4096}
	receive := msg
	receive.EventID, receive.Source = tracking.Receive, tracking.SourceSMTP
	receive.ClientIP, receive.ConnectorID = "192.0.2.7", `HUB01\From Internet`
	l.Track(receive)
	deferred := msg
	deferred.EventID, deferred.Source = tracking.Defer, tracking.SourceSMTP
	deferred.RecipientStatus = []string{"451 4.4.0 Primary target IP address responded with: \"421 4.3.2 busy\""}
	l.Track(deferred)
	sent := msg
	sent.EventID, sent.Source = tracking.Send, tracking.SourceSMTP
	sent.ServerIP, sent.ServerHostname = "198.51.100.25", "mx.fabrikam.com"
	sent.RecipientStatus = []string{"250 2.0.0 OK"}
	l.Track(sent)

	recs, err := l.Search(context.Background(), tracking.Query{MessageID: "1@contoso.com"})
	if err != nil {
		panic(err)
	}
	for _, r := range recs {
		fmt.Println(r.EventID, r.Source, r.Recipients, r.RecipientStatus)
	}
	// Output:
	// RECEIVE SMTP [bob@fabrikam.com] []
	// DEFER SMTP [bob@fabrikam.com] [451 4.4.0 Primary target IP address responded with: "421 4.3.2 busy"]
	// SEND SMTP [bob@fabrikam.com] [250 2.0.0 OK]
}
