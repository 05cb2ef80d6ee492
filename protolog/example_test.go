package protolog_test

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/hubedge/hubedge/protolog"
)

// A receive session logged from the raw bytes of the dialogue: the AUTH
// response and the message body never reach the log.
func Example() {
	var out strings.Builder
	clock := func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }
	l := protolog.New(&out, protolog.WithClock(clock))
	s := l.Session(`HUB1\Default HUB1`, "08D675E58CA1DA38", "10.0.0.1:25", "10.0.0.9:50123")
	s.Connect("")
	s.Server([]byte("220 hub1.contoso.com ready\r\n"))
	s.Client([]byte("EHLO client.contoso.com\r\n"))
	s.Server([]byte("250-hub1.contoso.com Hello\r\n250-AUTH PLAIN\r\n250 SIZE 36700160\r\n"))
	s.Client([]byte("AUTH PLAIN AHVzZXIAc2VjcmV0\r\n"))
	s.Server([]byte("235 2.7.0 Authentication successful\r\n"))
	s.Client([]byte("DATA\r\n"))
	s.Server([]byte("354 Start mail input\r\n"))
	s.Client([]byte("Subject: private\r\n\r\nbody\r\n.\r\n"))
	s.Server([]byte("250 2.6.0 Queued mail for delivery\r\n"))
	s.Disconnect("Remote")
	if err := l.Close(); err != nil {
		fmt.Println(err)
	}
	fmt.Print(strings.ReplaceAll(out.String(), "\r\n", "\n"))

	recs, _ := protolog.Parse(strings.NewReader(out.String()))
	fmt.Println(len(recs), "records")
	// Output:
	// #Software: hubedge
	// #Version: 15.0.0.0
	// #Log-type: SMTP Receive Protocol Log
	// #Date: 2026-01-02T03:04:05.000Z
	// #Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context
	// 2026-01-02T03:04:05.000Z,HUB1\Default HUB1,08D675E58CA1DA38,0,10.0.0.1:25,10.0.0.9:50123,+,,
	// 2026-01-02T03:04:05.000Z,HUB1\Default HUB1,08D675E58CA1DA38,1,10.0.0.1:25,10.0.0.9:50123,>,220 hub1.contoso.com ready,
	// 2026-01-02T03:04:05.000Z,HUB1\Default HUB1,08D675E58CA1DA38,2,10.0.0.1:25,10.0.0.9:50123,<,EHLO client.contoso.com,
	// 2026-01-02T03:04:05.000Z,HUB1\Default HUB1,08D675E58CA1DA38,3,10.0.0.1:25,10.0.0.9:50123,>,250 hub1.contoso.com Hello AUTH PLAIN SIZE 36700160,
	// 2026-01-02T03:04:05.000Z,HUB1\Default HUB1,08D675E58CA1DA38,4,10.0.0.1:25,10.0.0.9:50123,<,AUTH PLAIN <authentication response>,
	// 2026-01-02T03:04:05.000Z,HUB1\Default HUB1,08D675E58CA1DA38,5,10.0.0.1:25,10.0.0.9:50123,>,235 2.7.0 Authentication successful,
	// 2026-01-02T03:04:05.000Z,HUB1\Default HUB1,08D675E58CA1DA38,6,10.0.0.1:25,10.0.0.9:50123,<,DATA,
	// 2026-01-02T03:04:05.000Z,HUB1\Default HUB1,08D675E58CA1DA38,7,10.0.0.1:25,10.0.0.9:50123,>,354 Start mail input,
	// 2026-01-02T03:04:05.000Z,HUB1\Default HUB1,08D675E58CA1DA38,8,10.0.0.1:25,10.0.0.9:50123,>,250 2.6.0 Queued mail for delivery,
	// 2026-01-02T03:04:05.000Z,HUB1\Default HUB1,08D675E58CA1DA38,9,10.0.0.1:25,10.0.0.9:50123,-,,Remote
	// 10 records
}

// Open writes rotating files in a directory, one set per log type.
func ExampleOpen() {
	dir, _ := os.MkdirTemp("", "protolog")
	defer os.RemoveAll(dir)
	clock := func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }
	l, err := protolog.Open(dir, protolog.WithType(protolog.Send), protolog.WithClock(clock))
	if err != nil {
		fmt.Println(err)
		return
	}
	l.Session("Outbound to Internet", protolog.NewSessionID(), "10.0.0.1:50000", "192.0.2.7:25").Connect("")
	l.Close()
	names, _ := os.ReadDir(dir)
	for _, n := range names {
		fmt.Println(n.Name())
	}
	// Output:
	// SEND20260102-1.log
}
