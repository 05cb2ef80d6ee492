package suggest_test

import (
	"fmt"

	"github.com/hubedge/hubedge/internal/suggest"
)

func ExampleClosest() {
	params := []string{"Identity", "Status", "NextHopDomain"}
	fmt.Println(suggest.Closest("Statsu", params))
	fmt.Printf("%q\n", suggest.Closest("Recipients", params))
	// Output:
	// Status
	// ""
}
