package mtasts_test

import (
	"fmt"

	"github.com/hubedge/hubedge/mtasts"
)

func ExampleParsePolicy() {
	p, err := mtasts.ParsePolicy([]byte("version: STSv1\nmode: enforce\nmx: *.fabrikam.com\nmax_age: 604800\n"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p.Mode, p.MaxAge)
	for _, h := range []string{"mx1.fabrikam.com", "mx.woodgrove.com", "a.b.fabrikam.com"} {
		fmt.Println(h, p.Match(h))
	}
	// Output:
	// enforce 168h0m0s
	// mx1.fabrikam.com true
	// mx.woodgrove.com false
	// a.b.fabrikam.com false
}
