package dsn_test

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/hubedge/hubedge/dsn"
)

func ExampleParseStatus() {
	st, err := dsn.ParseStatus("4.4.7")
	if err != nil {
		panic(err)
	}
	fmt.Println(st, st.Temporary(), st.Permanent())
	_, err = dsn.ParseStatus("6.0.0")
	fmt.Println(err)
	// Output:
	// 4.4.7 true false
	// dsn: parse status "6.0.0": class must be 2, 4 or 5
}

func ExampleParseNotify() {
	n, _ := dsn.ParseNotify("delay,failure")
	fmt.Println(n, n.WantFailure(), n.WantSuccess())
	var unset dsn.Notify
	fmt.Println(unset.WantFailure(), unset.WantDelay())
	_, err := dsn.ParseNotify("NEVER,SUCCESS")
	fmt.Println(err)
	// Output:
	// FAILURE,DELAY true false
	// true true
	// dsn: parse notify "NEVER,SUCCESS": NEVER combined with other keywords
}

func ExampleParseORCPT() {
	typ, addr, _ := dsn.ParseORCPT("rfc822;bob+2Bsales@fabrikam.com")
	fmt.Println(typ, addr)
	fmt.Println(dsn.FormatORCPT("rfc822", "a=b c@fabrikam.com"))
	// Output:
	// rfc822 bob+sales@fabrikam.com
	// rfc822;a+3Db+20c@fabrikam.com
}

func ExampleReport_WriteTo() {
	r := dsn.Report{
		ReportingMTA: "mx1.contoso.com",
		ArrivalDate:  time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC),
		Recipients: []dsn.RecipientReport{{
			FinalRecipient: "bob@fabrikam.com",
			Action:         dsn.Failed,
			Status:         dsn.MustParseStatus("5.1.1"),
			RemoteMTA:      "mx.fabrikam.com",
			DiagnosticCode: "550 5.1.1 User unknown",
		}},
	}
	var buf bytes.Buffer
	if _, err := r.WriteTo(&buf); err != nil {
		panic(err)
	}
	fmt.Print(strings.ReplaceAll(buf.String(), "\r\n", "\n"))
	// Output:
	// Reporting-MTA: dns; mx1.contoso.com
	// Arrival-Date: Fri, 14 Mar 2025 09:00:00 +0000
	//
	// Final-Recipient: rfc822; bob@fabrikam.com
	// Action: failed
	// Status: 5.1.1
	// Remote-MTA: dns; mx.fabrikam.com
	// Diagnostic-Code: smtp; 550 5.1.1 User unknown
}

func ExampleWrite() {
	original := "From: alice@contoso.com\r\nTo: bob@fabrikam.com\r\n" +
		"Received: from client by mx1.contoso.com\r\nSubject: Lunch\r\n\r\nNoon?\r\n"
	n := &dsn.Notification{
		From:      "postmaster@contoso.com",
		To:        "alice@contoso.com",
		Date:      time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC),
		MessageID: "<ndr-1@mx1.contoso.com>",
		Boundary:  "b1",
		Report: dsn.Report{
			ReportingMTA: "mx1.contoso.com",
			Recipients: []dsn.RecipientReport{{
				FinalRecipient: "bob@fabrikam.com",
				Action:         dsn.Failed,
				Status:         dsn.MustParseStatus("5.1.1"),
			}},
		},
		Original: strings.NewReader(original),
	}
	var buf bytes.Buffer
	if err := dsn.Write(&buf, n); err != nil {
		panic(err)
	}
	rep, err := dsn.Parse(&buf)
	if err != nil {
		panic(err)
	}
	rr := rep.Recipients[0]
	fmt.Println(rep.ReportingMTA, rr.FinalRecipient, rr.Action, rr.Status)

	n.Original = strings.NewReader(original)
	buf.Reset()
	_ = dsn.Write(&buf, n)
	tail := buf.String()[strings.Index(buf.String(), "Content-Type: text/rfc822-headers"):]
	fmt.Fprint(os.Stdout, strings.ReplaceAll(tail, "\r\n", "\n"))
	// Output:
	// mx1.contoso.com rfc822;bob@fabrikam.com failed 5.1.1
	// Content-Type: text/rfc822-headers
	//
	// From: alice@contoso.com
	// To: bob@fabrikam.com
	// Subject: Lunch
	//
	// --b1--
}
