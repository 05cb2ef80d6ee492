package transport_test

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/hubedge/hubedge/routing"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const serverName = "hub01.contoso.com"

var contoso = []routing.AcceptedDomain{
	{Domain: "contoso.com", Type: routing.Authoritative},
	{Domain: "relay.contoso.com", Type: routing.InternalRelay},
}
