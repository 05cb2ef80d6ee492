// Package mtasts is an SMTP client's side of MTA-STS (RFC 8461): it finds
// a recipient domain's "_mta-sts" TXT record, fetches and parses the policy
// it announces over HTTPS with certificate validation, caches it for its
// max_age, and says which mail exchangers the policy allows.
//
// How to start: give New a TXT lookup (mx.Resolver.LookupTXT) and the
// http.Client to fetch with; its transport must validate certificates,
// as the Internet's WebPKI does for https://mta-sts.<domain>/. Then ask
// for each delivery:
//
//	c, _ := mtasts.New(resolver.LookupTXT, mtasts.WithHTTPClient(client))
//	res := c.Lookup(ctx, "fabrikam.com")
//	switch {
//	case res.Policy == nil:             // no policy: deliver as configured (res.Err says why, for TLS-RPT)
//	case res.Policy.Mode == mtasts.ModeEnforce:
//		// only hosts with res.Policy.Match(host), over TLS with a valid certificate for that host
//	case res.Policy.Mode == mtasts.ModeTesting:
//		// deliver anyway; report what would have failed
//	}
//
// Following RFC 8461 §5.1, a cached policy is used until it expires while
// the TXT record's id is unchanged; a changed id triggers a fetch, and a
// failed fetch keeps the cached policy. A policy in mode "none" is cached
// like the others but reported as no policy. Call Refresh periodically
// (hourly, say) to renew the policies used recently before they expire,
// off the delivery path, and to forget the expired ones nobody uses.
package mtasts
