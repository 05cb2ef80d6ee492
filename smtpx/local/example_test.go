package local_test

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/hubedge/hubedge/addrspace"
	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/smtpx/local"
)

// A queue whose Router sends every recipient to local delivery, backed by
// a Maildir: the message ends up in new/ with Return-Path and Delivered-To.
func ExampleMaildir() {
	root, err := os.MkdirTemp("", "maildir")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(root)
	md, err := local.NewMaildir(root)
	if err != nil {
		panic(err)
	}

	delivered := make(chan queue.Event, 1)
	q, err := queue.OpenMemory(
		queue.WithRouter(queue.RouterFunc(func(_ context.Context, _ *queue.Envelope, r queue.Recipient) (queue.NextHop, error) {
			domain, err := addrspace.RecipientDomain(r.Address)
			return local.Hop(domain), err
		})),
		queue.WithDeliverer(md),
		queue.WithEventHook(func(e queue.Event) {
			if e.Type == queue.EventDeliver {
				delivered <- e
			}
		}))
	if err != nil {
		panic(err)
	}
	defer q.Close(context.Background())

	env := queue.Envelope{From: "alice@fabrikam.com", Recipients: []queue.Recipient{{Address: "Bob@Contoso.com"}}}
	if _, err := q.Enqueue(context.Background(), env, strings.NewReader("Subject: Hello\r\n\r\nHi Bob.\r\n")); err != nil {
		panic(err)
	}
	e := <-delivered
	fmt.Println(e.Queue, e.Recipients, e.Result)

	files, _ := md.Messages("bob@contoso.com")
	b, _ := os.ReadFile(files[0])
	fmt.Print(strings.ReplaceAll(string(b), "\r\n", "\n"))
	// Output:
	// MailboxDelivery::contoso.com [Bob@Contoso.com] 250 2.0.0 Delivered to mailbox
	// Return-Path: <alice@fabrikam.com>
	// Delivered-To: bob@contoso.com
	// Subject: Hello
	//
	// Hi Bob.
}

// A StaticDirectory answers the receive side's "is this a local mailbox?"
// at RCPT time, ignoring case as mailbox stores do.
func ExampleStaticDirectory() {
	dir, err := local.NewStaticDirectory("bob@contoso.com", "carol@contoso.com")
	if err != nil {
		panic(err)
	}
	for _, rcpt := range []string{"Bob@CONTOSO.com", "mallory@contoso.com"} {
		ok, _ := dir.Lookup(context.Background(), rcpt)
		fmt.Println(rcpt, ok)
	}
	// Output:
	// Bob@CONTOSO.com true
	// mallory@contoso.com false
}

// CanonicalAddress is the form that names a mailbox; addresses that could
// escape the Maildir root are refused.
func ExampleCanonicalAddress() {
	for _, a := range []string{"Bob@Bücher.Example.", "../../etc@contoso.com"} {
		c, err := local.CanonicalAddress(a)
		fmt.Printf("%q %v\n", c, err)
	}
	// Output:
	// "bob@xn--bcher-kva.example" <nil>
	// "" local: bad mailbox address "../../etc@contoso.com": ".." in local part
}

// A users file doubles as the recipient directory: each user name is a
// mailbox in the accepted domains given, and a line with an '@' is a
// mailbox address of its own. Handed to smtpx.WithDirectory, it makes the
// receive side answer unknown users 550 5.1.1 at RCPT time.
func ExampleParseDirectory() {
	users := "alice:$2a$10$...:MS Exchange\\Hub Transport Servers\n# a comment\npostmaster@fabrikam.com\n"
	dir, err := local.ParseDirectory(strings.NewReader(users), "contoso.com")
	if err != nil {
		panic(err)
	}
	for _, a := range []string{"Alice@contoso.com", "postmaster@fabrikam.com", "mallory@contoso.com"} {
		ok, _ := dir.Lookup(context.Background(), a)
		fmt.Println(a, ok)
	}
	// Output:
	// Alice@contoso.com true
	// postmaster@fabrikam.com true
	// mallory@contoso.com false
}

// A Maildir refuses local parts that cannot name a mailbox before any
// message exists: the receive side asks it at RCPT time (Checker) and
// answers 550 5.1.3 instead of accepting mail it would bounce.
func ExampleMaildir_CheckRecipient() {
	root, err := os.MkdirTemp("", "maildir")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(root)
	md, err := local.NewMaildir(root)
	if err != nil {
		panic(err)
	}
	for _, a := range []string{"bob@contoso.com", "a/b@contoso.com", `".hidden"@contoso.com`} {
		fmt.Println(a, md.CheckRecipient(context.Background(), a) == nil)
	}
	// Output:
	// bob@contoso.com true
	// a/b@contoso.com false
	// ".hidden"@contoso.com false
}
