// Package connectionfilter is the Connection Filtering agent of an Edge
// transport: it judges the connecting IP address against the IP Allow
// list, the IP Block list (single addresses or ranges, with expiry), IP
// Allow list providers and IP Block list providers (DNSBLs, queried in
// order with miekg/dns and matched on their 127.0.0.x answers by any
// answer, exact addresses or a bitmask).
//
// Like the reference system it decides at connect but answers at RCPT TO,
// so that the protocol log records the sender and recipients: each
// recipient gets 550 5.7.1 with the list's or the provider's rejection
// text (BypassedRecipients such as postmaster are still accepted), and a
// block-listed client that reaches DATA is disconnected. Allow-listed
// addresses are marked with Bypass so the other anti-spam agents let them
// through; internal servers and authenticated sessions are never judged.
//
// Start with:
//
//	f, err := connectionfilter.New(connectionfilter.Config{
//		BlockListProviders: []connectionfilter.Provider{{
//			Name: "Spamhaus", LookupDomain: "zen.spamhaus.org", AnyMatch: true,
//		}},
//	})
//	err = chain.Register(connectionfilter.Name, f, agent.Priority(connectionfilter.Priority))
package connectionfilter
