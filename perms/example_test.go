package perms_test

import (
	"bufio"
	"fmt"
	"strings"

	"github.com/hubedge/hubedge/perms"
)

func ExampleParseRights() {
	r, err := perms.ParseRights("ms-exch-smtp-submit, MS-EXCH-ACCEPT-HEADERS-ROUTING")
	fmt.Println(r, err)
	fmt.Println(r.Has(perms.Submit), r.Has(perms.AcceptAnyRecipient))

	_, err = perms.ParseRight("ms-Exch-SMTP-Relay")
	fmt.Println(err != nil, strings.HasPrefix(err.Error(), `perms: unknown right "ms-Exch-SMTP-Relay" (valid: Ms-Exch-SMTP-Submit,`))
	// Output:
	// Ms-Exch-SMTP-Submit, Ms-Exch-Accept-Headers-Routing <nil>
	// true false
	// true true
}

func ExampleGroup_Grants() {
	g, _ := perms.ParseGroups("AnonymousUsers, Partners")
	for _, gr := range g.Grants() {
		fmt.Printf("%s: %v\n", gr.Principal, gr.Rights)
	}
	// Output:
	// NT AUTHORITY\ANONYMOUS LOGON: Ms-Exch-SMTP-Submit, Ms-Exch-SMTP-Accept-Any-Sender, Ms-Exch-SMTP-Accept-Authoritative-Domain-Sender, Ms-Exch-Accept-Headers-Routing
	// MS Exchange\Partner Servers: Ms-Exch-SMTP-Submit, Ms-Exch-Accept-Headers-Routing
}

func ExampleACL() {
	var acl perms.ACL
	acl.AddGroups(perms.ExchangeUsers)
	// Add-ADPermission -User CONTOSO\scanner -ExtendedRights ms-Exch-Bypass-Message-Size-Limit
	acl.Add(`CONTOSO\scanner`, perms.BypassMessageSizeLimit)
	// Add-ADPermission -User CONTOSO\intern -Deny -ExtendedRights ms-Exch-SMTP-Accept-Any-Recipient
	acl.Deny(`CONTOSO\intern`, perms.AcceptAnyRecipient)

	scanner := acl.Rights(`contoso\SCANNER`, perms.AuthenticatedUsers)
	intern := acl.Rights(`CONTOSO\intern`, perms.AuthenticatedUsers)
	fmt.Println(scanner.Has(perms.BypassMessageSizeLimit), scanner.Has(perms.AcceptAnyRecipient))
	fmt.Println(intern.Has(perms.Submit), intern.Has(perms.AcceptAnyRecipient))
	for _, g := range acl.Grants() {
		fmt.Printf("%s: %v\n", g.Principal, g.Rights)
	}
	// Output:
	// true true
	// true false
	// NT AUTHORITY\Authenticated Users: Ms-Exch-SMTP-Submit, Ms-Exch-SMTP-Accept-Any-Recipient, Ms-Exch-Accept-Headers-Routing, Ms-Exch-Bypass-Anti-Spam
	// CONTOSO\scanner: Ms-Exch-Bypass-Message-Size-Limit
}

func ExampleFirewall_Filter() {
	const msg = "Received: by hub1.contoso.com; Mon, 1 Jan 2024 10:00:00 +0000\r\n" +
		"X-Contoso-Org-Tag: internal\r\n" +
		"Subject: report\r\n" +
		"\r\n" +
		"X-Contoso-Org-Tag: in the body, untouched\r\n"
	fw := perms.Firewall{OrganizationPrefix: "X-Contoso-Org-", MaxHeaderBytes: 64 << 10}

	// A Custom send connector grants no send rights: everything classed goes.
	var out strings.Builder
	removed, err := fw.Filter(&out, strings.NewReader(msg), perms.Send, 0)
	fmt.Println(len(removed), err)
	fmt.Print(strings.ReplaceAll(out.String(), "\r\n", "\n"))
	// Output:
	// 2 <nil>
	// Subject: report
	//
	// X-Contoso-Org-Tag: in the body, untouched
}

func ExampleFirewall_ScanHeader() {
	const msg = "Received: from a by hub1.contoso.com; Mon, 1 Jan 2024 10:00:00 +0000\r\n" +
		"x-ms-exchange-organization-scl\t: -1\r\n" +
		"Subject: report\n" +
		"\n" +
		"body\r\n"
	var fw perms.Firewall
	br := bufio.NewReader(strings.NewReader(msg))
	hops := 0
	// An anonymous session accepts routing fields only. Reuse buf (or pool
	// it) and scanning allocates nothing unless a field is removed.
	buf := make([]byte, 0, 4096)
	buf, removed, err := fw.ScanHeader(buf, br, perms.Allowed(perms.Receive, perms.AcceptRoutingHeaders),
		func(f perms.Field) {
			if f.Class == perms.Routing && len(f.Name) == len("Received") {
				hops++
			}
		})
	fmt.Println(hops, removed, err)
	fmt.Printf("%q\n", buf)
	// Output:
	// 1 [{Organization X-Ms-Exchange-Organization-Scl -1}] <nil>
	// "Received: from a by hub1.contoso.com; Mon, 1 Jan 2024 10:00:00 +0000\r\nSubject: report\r\n"
}
