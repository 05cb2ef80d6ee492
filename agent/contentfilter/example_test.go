package contentfilter_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/hubedge/hubedge/agent"
	"github.com/hubedge/hubedge/agent/contentfilter"
)

// phrases is a user's own content filter: it rates a message by its
// subject.
type phrases struct{}

func (phrases) Score(_ context.Context, e *agent.MessageEvent) (int, error) {
	if s, _ := agent.HeaderValue(e.Header, "Subject"); strings.Contains(strings.ToLower(s), "viagra") {
		return 8, nil
	}
	return 0, nil
}

func Example() {
	cfg := contentfilter.DefaultConfig() // reject at SCL 7 and above
	cfg.Scorer = phrases{}
	f, err := contentfilter.New(cfg)
	if err != nil {
		panic(err)
	}
	chain := agent.New()
	if err := chain.Register(contentfilter.Name, f, agent.Priority(contentfilter.Priority)); err != nil {
		panic(err)
	}
	m := agent.NewMessage([]agent.Field{{Name: "Subject", Value: " Cheap VIAGRA"}}, "bob@contoso.com")
	r := chain.Open(agent.Session{}).EndOfData(context.Background(), m)
	fmt.Println(r.String(), "/ SCL", m.SCL)
	// Output: 550 5.7.1 Message rejected due to content restrictions / SCL 8
}
