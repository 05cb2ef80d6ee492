package workers_test

import (
	"fmt"
	"sync"

	"github.com/hubedge/hubedge/internal/workers"
)

func ExamplePool() {
	p := workers.New(16)
	var wg sync.WaitGroup
	results := make([]int, 4)
	for i := range results {
		wg.Add(1)
		p.Go(func() { defer wg.Done(); results[i] = i * i })
	}
	wg.Wait()
	p.Close()
	fmt.Println(results)
	// Output: [0 1 4 9]
}
