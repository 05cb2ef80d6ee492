// Command bench is hubedge's end-to-end relay benchmark: it measures how many
// messages per second a relay moves from Postfix's smtp-source load generator
// to Postfix's smtp-sink, on loopback, side by side with the smtp-sink
// ceiling and a throwaway Postfix relay in the same run.
//
// Run it from the repository root (as root, so it can install Postfix and run
// a private Postfix instance):
//
//	go run ./bench            # compare: sink, postfix, hubedge; 3 rounds
//	REUSE=1 go run ./bench    # the same with connection reuse (smtp-source -d)
//	go run ./bench latency    # "." to 250 latency at 1 and 20 sessions
//	TLS=1 go run ./bench      # STARTTLS on both hops, the bench's Go load tools
//
// Topology, everything on 127.0.0.1:
//
//	smtp-source --SESSIONS--> relay :LISTEN_PORT --> smtp-sink :NEXTHOP_PORT
//	smtp-source --SESSIONS--> smtp-sink :SINK_PORT        (the ceiling)
//
// The rate is end to end: messages counted by the downstream smtp-sink
// divided by the seconds from the start of injection until the sink has seen
// the last one, so a relay that only queues fast does not score well. Each
// run is preceded by an untimed warm-up; a run gives up when the sink makes
// no progress for STALL_TIMEOUT seconds. The relay runs in its own session
// and process group, which is signalled (TERM, then KILL) when the run ends;
// its CPU is the user+system time of every process in that session during
// the timed window, and its peak memory the sum of VmHWM over those
// processes.
//
// With TLS=1 every hop runs STARTTLS with certificates from a throwaway
// PKI written to WORKDIR (ECDSA P-256 by default, KEY=rsa for RSA 2048).
// smtp-source and smtp-sink cannot do STARTTLS, so the bench then uses its
// own load generator and sink, which it runs as processes of its own
// ("_gosource", "_gosink" modes of this program); TOOLS=go picks them in
// plaintext too, and VARIANTS="tools=postfix tools=go" measures both sets
// in one command, which is how the Go tools are checked against Postfix's.
//
// VARIANTS="cmd=a cmd=b" compares relay configurations the same way: each
// round runs the command of RELAY_CMD_a, then that of RELAY_CMD_b (scripts/
// has hubedge run configurations with and without message tracking, the
// management API, the Edge's agents); scrape=/metrics fetches the relay's
// management listener once a second during the timed window, and
// milter=rspamd runs rspamd beside the relay, its CPU reported apart.
//
// Every knob is an environment variable; see README.md beside this file, or
// run "go run ./bench help".
package main
