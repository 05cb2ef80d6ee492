package perms

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestACLZero(t *testing.T) {
	var a ACL
	assert.Zero(t, a.Rights(Anonymous))
	assert.Zero(t, a.Rights())
	assert.Nil(t, a.Grants())
	assert.Nil(t, a.Denials())
	assert.Zero(t, a.Clone().Rights(Anonymous))
}

func TestACLRights(t *testing.T) {
	const alice Principal = `CONTOSO\Alice`
	tests := []struct {
		name  string
		setup func(a *ACL)
		who   []Principal
		want  Right
	}{
		{"add", func(a *ACL) { a.Add(alice, Submit) }, []Principal{alice}, Submit},
		{"case-insensitive", func(a *ACL) { a.Add(alice, Submit) }, []Principal{`contoso\ALICE`}, Submit},
		{"other principal", func(a *ACL) { a.Add(alice, Submit) }, []Principal{`CONTOSO\Bob`}, 0},
		{"union", func(a *ACL) {
			a.Add(alice, AcceptAnyRecipient)
			a.AddGroups(ExchangeUsers)
		}, []Principal{alice, AuthenticatedUsers},
			AcceptAnyRecipient | Submit | BypassAntiSpam | AcceptRoutingHeaders},
		{"remove", func(a *ACL) {
			a.Add(alice, Submit|AcceptAnyRecipient)
			a.Remove(alice, AcceptAnyRecipient|BypassAntiSpam)
		}, []Principal{alice}, Submit},
		{"remove group right", func(a *ACL) {
			a.AddGroups(AnonymousUsers)
			a.Remove(Anonymous, AcceptAuthoritativeDomainSender) // the common hardening
		}, []Principal{Anonymous}, Submit | AcceptAnySender | AcceptRoutingHeaders},
		{"deny wins across principals", func(a *ACL) {
			a.AddGroups(ExchangeUsers)
			a.Deny(alice, AcceptAnyRecipient)
		}, []Principal{alice, AuthenticatedUsers}, Submit | BypassAntiSpam | AcceptRoutingHeaders},
		{"deny wins on same principal", func(a *ACL) {
			a.Add(alice, Submit|AcceptAnyRecipient)
			a.Deny(alice, Submit)
		}, []Principal{alice}, AcceptAnyRecipient},
		{"undeny", func(a *ACL) {
			a.Add(alice, Submit)
			a.Deny(alice, Submit)
			a.Undeny(alice, Submit)
		}, []Principal{alice}, Submit},
		{"deny does not grant", func(a *ACL) { a.Deny(alice, Submit) }, []Principal{alice}, 0},
		{"groups", func(a *ACL) { a.AddGroups(ExchangeServers) },
			[]Principal{ExternallySecuredServers}, ReceiveRights &^ (AcceptOrganizationHeaders | AcceptForestHeaders)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var a ACL
			tt.setup(&a)
			assert.Equal(t, tt.want, a.Rights(tt.who...))
		})
	}
}

func TestACLGrants(t *testing.T) {
	var a ACL
	a.Add(`contoso\zed`, Submit)
	a.Add(`CONTOSO\alice`, Submit)
	a.Add(`Contoso\Alice`, AcceptAnyRecipient) // same principal, first spelling kept
	a.AddGroups(Partners | AnonymousUsers)
	a.Add(`ms exchange\partner servers`, SendRoutingHeaders)
	a.Deny(`CONTOSO\Mallory`, Submit)
	a.Add(`CONTOSO\Gone`, Submit)
	a.Remove(`contoso\gone`, Submit) // empty entries disappear

	assert.Equal(t, []Grant{
		{Anonymous, Submit | AcceptAnySender | AcceptAuthoritativeDomainSender | AcceptRoutingHeaders},
		{PartnerServers, Submit | AcceptRoutingHeaders | SendRoutingHeaders},
		{`CONTOSO\alice`, Submit | AcceptAnyRecipient},
		{`contoso\zed`, Submit},
	}, a.Grants())
	assert.Equal(t, []Grant{{`CONTOSO\Mallory`, Submit}}, a.Denials())
}

func TestACLClone(t *testing.T) {
	var a ACL
	a.Add(Anonymous, Submit)
	c := a.Clone()
	c.Add(Anonymous, AcceptAnySender)
	a.Remove(Anonymous, Submit)
	assert.Zero(t, a.Rights(Anonymous))
	assert.Equal(t, Submit|AcceptAnySender, c.Rights(Anonymous))
}

func TestACLRightsNoAlloc(t *testing.T) {
	var a ACL
	a.AddGroups(AnonymousUsers | ExchangeUsers | ExchangeServers)
	a.Add(`CONTOSO\Ärger`, Submit)
	var got Right
	allocs := testing.AllocsPerRun(100, func() {
		got = a.Rights(`contoso\ärger`, AuthenticatedUsers, `CONTOSO\nobody`)
	})
	assert.Zero(t, allocs)
	assert.True(t, got.Has(Submit|AcceptAnyRecipient))
}

// TestACLConcurrent is meant for -race: readers see whole snapshots while a
// writer flips rights.
func TestACLConcurrent(t *testing.T) {
	var a ACL
	a.AddGroups(AnonymousUsers)
	want := AnonymousUsers.Grants()[0].Rights
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				r := a.Rights(Anonymous, `x\y`)
				if r != want && r != want|BypassAntiSpam {
					t.Errorf("torn read: %v", r)
					return
				}
				_ = a.Grants()
			}
		})
	}
	for range 500 {
		a.Add(Anonymous, BypassAntiSpam)
		a.Add(`x\y`, 0)
		a.Remove(Anonymous, BypassAntiSpam)
	}
	close(stop)
	wg.Wait()
}
