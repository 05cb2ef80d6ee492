package addrspace_test

import (
	"errors"
	"fmt"

	"github.com/hubedge/hubedge/addrspace"
)

func ExampleParse() {
	a, err := addrspace.Parse("Local:SMTP:*.Contoso.com;3")
	if err != nil {
		panic(err)
	}
	fmt.Println(a.Scope, a.Type, a.Value, a.Cost)
	fmt.Println(a)
	fmt.Println(a.MatchDomain("marketing.contoso.com"))
	// Output:
	// Local SMTP *.contoso.com 3
	// Local:SMTP:*.contoso.com;3
	// true
}

func ExampleParse_error() {
	_, err := addrspace.Parse("contoso.com;x")
	fmt.Println(err)
	var pe *addrspace.ParseError
	if errors.As(err, &pe) {
		fmt.Println(pe.Offset, pe.Msg)
	}
	// Output:
	// addrspace: parse "contoso.com;x": bad cost (at ";x")
	// 11 bad cost
}

func ExampleParse_idna() {
	a := addrspace.MustParse("*.bücher.example")
	fmt.Println(a.Value)
	fmt.Println(a.MatchDomain("shop.Bücher.example"))
	// Output:
	// *.xn--bcher-kva.example
	// true
}

func ExampleParseList() {
	spaces, err := addrspace.ParseList(`"contoso.com;2","Local:fabrikam.com;3",X400:o=MySite;p=MyOrg;a=adatum;c=us;5`)
	if err != nil {
		panic(err)
	}
	for _, a := range spaces {
		fmt.Println(a)
	}
	fmt.Println(addrspace.FormatList(spaces[:2]))
	// Output:
	// SMTP:contoso.com;2
	// Local:SMTP:fabrikam.com;3
	// X400:o=MySite;p=MyOrg;a=adatum;c=us;5
	// "SMTP:contoso.com;2","Local:SMTP:fabrikam.com;3"
}

func ExampleAddressSpace_Match() {
	x := addrspace.MustParse("X400:o=MySite;p=MyOrg;a=adatum;c=us;5")
	fmt.Println(x.Match("X400", "c=US;a=adatum;p=MyOrg;o=MySite;s=Smith;g=Ann"))
	fmt.Println(x.Match("X400", "c=US;a=adatum;p=MyOrg;o=Elsewhere;s=Smith"))
	fmt.Println(addrspace.MustParse("contoso.com").Match("SMTP", "julia@Contoso.com"))
	// Output:
	// true
	// false
	// true
}

func ExampleCanonicalDomain() {
	for _, s := range []string{"Contoso.COM.", "Bücher.example", "contoso..com"} {
		d, err := addrspace.CanonicalDomain(s)
		fmt.Printf("%q %v\n", d, err)
	}
	// Output:
	// "contoso.com" <nil>
	// "xn--bcher-kva.example" <nil>
	// "" addrspace: parse "contoso..com": empty label in domain (at "..com")
}
