package cmdlet

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkLoad10000SendConnectors parses and applies a script of 10 000
// New-SendConnector lines, each with its own address space and two smart
// hosts.
func BenchmarkLoad10000SendConnectors(b *testing.B) {
	var sb strings.Builder
	for i := range 10000 {
		fmt.Fprintf(&sb, "New-SendConnector -Name \"Out %d\" -Usage Internal -AddressSpaces d%d.contoso.com -SmartHosts hub1.contoso.com, hub2.contoso.com -DNSRoutingEnabled $false\n", i, i)
	}
	src := []byte(sb.String())
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		c, err := Load("bench.ps1", src, nil, Options{})
		if err != nil || len(c.SendConnectors) != 10000 {
			b.Fatal(err)
		}
	}
}
