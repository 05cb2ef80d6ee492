package main

import (
	"flag"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hubedge/hubedge/agent"
	"github.com/hubedge/hubedge/agent/contentfilter"
	"github.com/hubedge/hubedge/agent/milter"
)

// milterPriority runs milters after the connection filter and before the
// content filter, whose thresholds act on the SCL a filter's score sets.
const milterPriority = contentfilter.Priority - 1

// milterFlags name the milters (rspamd, OpenDKIM, clamav-milter ...) every
// receive connector's sessions are shown to, in order, as Postfix's
// smtpd_milters are. The reference system has no cmdlet for them, so they
// come from flags.
type milterFlags struct {
	addrs    []string
	timeout  time.Duration
	failOpen bool
}

func (m *milterFlags) register(fs *flag.FlagSet) {
	fs.Func("milter", "ask the milter at `address` (host:port, or unix:PATH) about every session and message; repeat for several, asked in order. "+
		"Where the content filter runs (an Edge's Set-ContentFilterConfig), the filter's verdict and score (rspamd's) become the SCL it acts on; elsewhere its verdict is enforced",
		func(s string) error {
			if err := checkMilterAddr(s); err != nil {
				return err
			}
			m.addrs = append(m.addrs, s)
			return nil
		})
	fs.DurationVar(&m.timeout, "milter-timeout", milter.DefaultTimeout, "bound on connecting to a milter and on each exchange with it")
	fs.BoolVar(&m.failOpen, "milter-fail-open", false, "let mail through when a milter fails or overruns -milter-timeout (default: answer 451 4.7.0)")
}

// checkMilterAddr refuses at start an address no session could dial: with
// the filter failing closed by default, every session would get 451.
func checkMilterAddr(s string) error {
	if path, ok := strings.CutPrefix(s, "unix:"); ok {
		if path == "" {
			return fmt.Errorf("unix: needs a socket path")
		}
		return nil
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return fmt.Errorf("want host:port or unix:PATH: %w", err)
	}
	if n, err := strconv.Atoi(port); host == "" || err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("want host:port with a host and a port from 1 to 65535, or unix:PATH")
	}
	return nil
}

// add registers the milters on chain, starting a chain where the role has
// none; without -milter it returns chain as it is.
func (m *milterFlags) add(log *slog.Logger, chain *agent.Chain, fqdn string) (*agent.Chain, error) {
	if len(m.addrs) == 0 {
		return chain, nil
	}
	if chain == nil {
		chain = agent.New(agent.WithLogger(log))
	}
	scoreOnly := slices.Contains(chain.Agents(), contentfilter.Name)
	for _, a := range m.addrs {
		network, addr := "tcp", a
		if path, ok := strings.CutPrefix(a, "unix:"); ok {
			network, addr = "unix", path
		}
		f, err := milter.New(milter.Config{Name: "milter " + a, Network: network, Address: addr, Timeout: m.timeout,
			FailOpen: m.failOpen, Hostname: fqdn, ScoreOnly: scoreOnly, Logger: log})
		if err != nil {
			return nil, fmt.Errorf("-milter %s: %w", a, err)
		}
		if err := milter.Register(chain, f, agent.Priority(milterPriority)); err != nil {
			return nil, fmt.Errorf("-milter %s: %w", a, err)
		}
	}
	return chain, nil
}
