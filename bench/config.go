package main

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// config holds every knob; each comes from the environment variable of the
// same upper-case name (see usage).
type config struct {
	Msgs, SinkMsgs, Sessions, Size, Runs, Warmup, Rcpts int
	Reuse                                               bool

	SinkPort, ListenPort, NexthopPort int

	Relays    []string // kinds to run, in order: sink, postfix, relay
	RelayCmd  string   // custom relay command; empty = hubedge's gateway
	RelayName string
	Gateway   string // prebuilt gateway binary; empty = go build
	// ManagePort is the relay's management listener ({MANAGE}), scraped by
	// variants with scrape=; MilterPort is the filter's ({MILTER}).
	ManagePort, MilterPort int
	GwArgs                 string // extra gateway flags, appended to the fixed command

	ReadyTimeout, StallTimeout time.Duration

	PfConcurrency int
	PfPostconf    []string

	WorkDir, LogDir string

	LatSessions []int
	LatMsgs     int

	IdleConns int

	// RelayCPUs and ToolsCPUs confine the relay under test (the gateway,
	// or Postfix's master and every daemon it starts) and the load tools
	// (generator and sink) to CPU lists in taskset's form ("1", "0,2-3"),
	// so that the relay's rate is not bounded by the tools' share of the
	// same cores; empty leaves placement to the scheduler.
	RelayCPUs, ToolsCPUs string

	// TLS runs STARTTLS on every hop: client to relay (or sink) and relay
	// to the next hop; it needs the Go load tools.
	TLS      bool
	Variants []variant // at least one; each kind runs once per variant per round

	Pool       []poolKind // pool mode's kinds, in order (POOL)
	HubedgeBin string     // pool mode: a prebuilt hubedge; empty = go build
}

// Load tools: Postfix's smtp-source and smtp-sink, or the bench's own.
const (
	toolsPostfix = "postfix"
	toolsGo      = "go"
)

// variant is one setting of what a run is made of besides its kind: the
// load tools, the PKI's key type, the gateway binary or the relay command,
// and what runs beside the relay. VARIANTS lists several to compare them in
// one command (the validation of the Go tools against Postfix's, RSA against
// ECDSA, one gateway build against another, one relay configuration against
// another).
type variant struct {
	Label   string // empty when there is only one variant
	Tools   string
	Key     string
	Gateway string // empty: the gateway of GATEWAY_BIN or the build
	// RelayCmd replaces RELAY_CMD for this variant (cmd=NAME reads
	// RELAY_CMD_NAME); empty: RELAY_CMD or the gateway.
	RelayCmd string
	// Scrape is a URL path fetched from the relay's management listener
	// (MANAGE_PORT) once a second during the timed window, as a metrics
	// scraper would; empty: nothing is fetched.
	Scrape string
	// Milter names a filter the harness starts for each run and hands to
	// the relay as {MILTER}: only "rspamd" for now.
	Milter string
	// Policy is an outbound TLS policy world (policy.go): the relay is
	// hubedge run delivering by MX lookup through a validating resolver,
	// with DANE, MTA-STS or neither published; empty: not such a run.
	Policy string
	// NewConn (newconn=1, with policy=) makes the relay open a connection,
	// and so decide the policy, for every message it delivers
	// (-SmtpMaxMessagesPerConnection 1) instead of up to 20 per connection.
	NewConn bool
	// Groups is the key-exchange groups the Go clients offer (groupsGo or
	// groupsOpenSSL30; see clientGroups).
	Groups string
	// NoVerify (verify=0, TLS_VERIFY=0) makes the Go clients encrypt
	// without checking the server's certificate, as a sending MTA at
	// opportunistic TLS does (Postfix's may and encrypt levels); the
	// default checks it against the PKI's CA.
	NoVerify bool
	// Chunking (chunking=1, TOOLS=go) makes the Go sink offer CHUNKING
	// and take BDAT, as a Postfix or Exchange next hop does.
	Chunking bool
	// Queue is where the gateway keeps its queue: queueDisk (the
	// default, in WORKDIR), queueMemory (no -queue: in memory, nothing
	// fsynced) or queueTmpfs (the same durable store on tmpfs, where a
	// flush reaches no device). Side by side they split what durability
	// costs per message into the store's own work and the disk's.
	Queue string
}

// The queue=... settings.
const (
	queueDisk   = "disk"
	queueMemory = "memory"
	queueTmpfs  = "tmpfs"
)

// tmpfsDir is where queue=tmpfs puts the queue, checked to be a tmpfs.
const tmpfsDir = "/dev/shm"

// milterRspamd is the only filter the harness knows how to start.
const milterRspamd = "rspamd"

// parseVariants reads VARIANTS: space-separated variants, each a
// comma-separated list of tools=postfix|go, key=ecdsa|rsa, gw=PATH,
// cmd=NAME (the relay command in RELAY_CMD_NAME, read through getenv),
// scrape=/PATH, milter=rspamd, policy=off|opportunistic|dane|mtasts,
// newconn=1, groups=go|openssl30, verify=0|1, chunking=1 and
// queue=disk|memory|tmpfs over the defaults def.
func parseVariants(spec string, def variant, tlsOn bool, getenv func(string) string) ([]variant, error) {
	fields := strings.Fields(spec)
	if len(fields) == 0 {
		if tlsOn && def.Tools == toolsPostfix {
			return []variant{def}, errors.New("bench: TLS=1 needs TOOLS=go (smtp-source and smtp-sink have no STARTTLS)")
		}
		return []variant{def}, nil
	}
	var out []variant
	var errs []error
	for _, f := range fields {
		v := def
		v.Label = f
		for _, kv := range strings.Split(f, ",") {
			k, val, _ := strings.Cut(kv, "=")
			switch {
			case k == "tools" && (val == toolsPostfix || val == toolsGo):
				v.Tools = val
			case k == "key" && (val == keyECDSA || val == keyRSA):
				v.Key = val
			case k == "gw" && val != "":
				v.Gateway = val
			case k == "cmd" && val != "":
				if v.RelayCmd = strings.TrimSpace(getenv("RELAY_CMD_" + val)); v.RelayCmd == "" {
					errs = append(errs, fmt.Errorf("bench: VARIANTS %q: RELAY_CMD_%s is empty or unset", f, val))
				}
			case k == "scrape" && strings.HasPrefix(val, "/"):
				v.Scrape = val
			case k == "milter" && val == milterRspamd:
				v.Milter = val
			case k == "policy" && slices.Contains(policyNames, val):
				v.Policy = val
			case k == "newconn" && val == "1":
				v.NewConn = true
			case k == "groups" && slices.Contains(groupNames, val):
				v.Groups = val
			case k == "verify" && (val == "0" || val == "1"):
				v.NoVerify = val == "0"
			case k == "chunking" && val == "1":
				v.Chunking = true
			case k == "queue" && (val == queueDisk || val == queueMemory || val == queueTmpfs):
				v.Queue = val
			default:
				errs = append(errs, fmt.Errorf("bench: VARIANTS: bad setting %q (want tools=postfix|go, key=ecdsa|rsa, gw=PATH, cmd=NAME, scrape=/PATH, milter=rspamd, policy=off|opportunistic|dane|mtasts, newconn=1, groups=go|openssl30, verify=0|1, chunking=1, queue=disk|memory|tmpfs)", kv))
			}
		}
		if v.Chunking && v.Tools != toolsGo {
			errs = append(errs, fmt.Errorf("bench: VARIANTS %q: chunking=1 needs tools=go (smtp-sink has no BDAT)", f))
		}
		if (v.Queue == queueMemory || v.Queue == queueTmpfs) && (v.RelayCmd != "" || v.Policy != "") {
			errs = append(errs, fmt.Errorf("bench: VARIANTS %q: queue=%s applies to the gateway only, not to cmd= or policy=", f, v.Queue))
		}
		if v.NewConn && v.Policy == "" {
			errs = append(errs, fmt.Errorf("bench: VARIANTS %q: newconn=1 needs policy=", f))
		}
		if v.Policy != "" && !tlsOn {
			errs = append(errs, fmt.Errorf("bench: VARIANTS %q: policy= needs TLS=1 (the sink must offer STARTTLS)", f))
		}
		if tlsOn && v.Tools == toolsPostfix {
			errs = append(errs, fmt.Errorf("bench: VARIANTS %q: TLS=1 needs tools=go (smtp-source and smtp-sink have no STARTTLS)", f))
		}
		out = append(out, v)
	}
	if len(out) == 1 {
		out[0].Label = ""
	}
	return out, errors.Join(errs...)
}

const usage = `usage: go run ./bench [compare|sink|postfix|relay|latency|idle|pool|cleanup|help]

  compare  (default) every kind in RELAYS, RUNS rounds, interleaved; medians
  sink | postfix | relay   one kind only, RUNS times
  latency  "." -> 250 latency for each kind in RELAYS at LAT_SESSIONS
  idle     the relay alone: RSS with IDLE_CONNS idle sessions (after EHLO)
  pool     hubedge run on the local queue against 1..3 hubs on one throwaway
           PostgreSQL (POOL kinds), RUNS rounds, interleaved; medians
  cleanup  stop a Postfix instance left in WORKDIR by a killed run; remove WORKDIR

environment (default):
  MSGS (20000)  SINK_MSGS (MSGS)  SESSIONS (20)  SIZE (4096 payload bytes)
  RUNS (3)  WARMUP (500 untimed messages)  REUSE (0; 1 = smtp-source -d)
  RCPTS (1 recipient per message)
  SINK_PORT (2525)  LISTEN_PORT (2526)  NEXTHOP_PORT (2527)
  RELAYS ("sink postfix relay")
  RELAY_CMD ('' = hubedge gateway; else any relay, placeholders {LISTEN}
            {NEXTHOP} {QUEUE} {MANAGE} {MANAGE_TOKEN} {MILTER} {DNS}, run
            with sh -c)  RELAY_NAME (hubedge | custom)
  MANAGE_PORT (2528: {MANAGE}, scraped with scrape=)  MILTER_PORT (2529: {MILTER})
  GATEWAY_BIN ('' = go build ./examples/gateway)  GATEWAY_ARGS (extra flags)
  READY_TIMEOUT (30 s)  STALL_TIMEOUT (60 s)
  PF_CONCURRENCY (20)  PF_POSTCONF ('' "name=value ..." main.cf overrides)
  WORKDIR (/tmp/hubedge-bench)  LOGDIR (WORKDIR/logs)
  LAT_SESSIONS ("1 20")  LAT_MSGS (2000 per session count)
  IDLE_CONNS (10000 idle sessions in idle mode)
  TLS (0; 1 = STARTTLS client->relay and relay->next hop, Go tools, test PKI)
  TOOLS (postfix = smtp-source/smtp-sink; go = the bench's own; TLS=1: go)
  KEY (ecdsa | rsa: key type of the test PKI)
  TLS_GROUPS (go = Go's defaults, X25519MLKEM768 first; openssl30 = X25519,
            P-256, P-521, P-384, as an OpenSSL 3.0 client such as Postfix's
            smtp offers: the key exchanges the Go clients offer)
  TLS_VERIFY (1 = the Go clients check the server's certificate against the
            PKI's CA; 0 = they encrypt without checking, as a sending MTA at
            opportunistic TLS does)
  VARIANTS ('' ; e.g. "tools=postfix tools=go", "key=rsa key=ecdsa",
            "gw=/tmp/old/gateway gw=/tmp/new/gateway", "cmd=a cmd=b" (the
            relay commands in RELAY_CMD_a, RELAY_CMD_b), scrape=/metrics (GET
            once a second during the timed window, bearer {MANAGE_TOKEN}),
            milter=rspamd (started per run on MILTER_PORT),
            policy=off|opportunistic|dane|mtasts (hubedge run delivering by MX
            lookup through unbound, DANE or MTA-STS published; TLS=1; with
            newconn=1 a next-hop connection per message),
            groups=go|openssl30 (TLS_GROUPS for this variant), verify=0|1
            (TLS_VERIFY for this variant), chunking=1 (TOOLS=go: the Go
            sink offers CHUNKING, as Postfix and Exchange do): every
            kind once per variant per round, labelled NAME[variant])
  POOL ("local pool1 pool2 pool3": pool mode's kinds; poolN = N hubs on PostgreSQL)
  HUBEDGE_BIN ('' = go build ./cmd/hubedge; pool mode)
`

// loadConfig reads the knobs through getenv (os.Getenv in main).
func loadConfig(getenv func(string) string) (*config, error) {
	var errs []error
	num := func(name string, def, min int) int {
		v := strings.TrimSpace(getenv(name))
		if v == "" {
			return def
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < min {
			errs = append(errs, fmt.Errorf("bench: %s=%q: want an integer >= %d", name, v, min))
			return def
		}
		return n
	}
	str := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	c := &config{
		Msgs:          num("MSGS", 20000, 1),
		Sessions:      num("SESSIONS", 20, 1),
		Size:          num("SIZE", 4096, 0),
		Runs:          num("RUNS", 3, 1),
		Warmup:        num("WARMUP", 500, 0),
		Rcpts:         num("RCPTS", 1, 1),
		SinkPort:      num("SINK_PORT", 2525, 1),
		ListenPort:    num("LISTEN_PORT", 2526, 1),
		NexthopPort:   num("NEXTHOP_PORT", 2527, 1),
		ManagePort:    num("MANAGE_PORT", 2528, 1),
		MilterPort:    num("MILTER_PORT", 2529, 1),
		RelayCmd:      strings.TrimSpace(getenv("RELAY_CMD")),
		Gateway:       getenv("GATEWAY_BIN"),
		GwArgs:        getenv("GATEWAY_ARGS"),
		ReadyTimeout:  time.Duration(num("READY_TIMEOUT", 30, 1)) * time.Second,
		StallTimeout:  time.Duration(num("STALL_TIMEOUT", 60, 1)) * time.Second,
		PfConcurrency: num("PF_CONCURRENCY", 20, 1),
		PfPostconf:    strings.Fields(getenv("PF_POSTCONF")),
		WorkDir:       str("WORKDIR", filepath.Join(os.TempDir(), "hubedge-bench")),
		LatMsgs:       num("LAT_MSGS", 2000, 1),
		IdleConns:     num("IDLE_CONNS", 10000, 1),
	}
	for name, dst := range map[string]*string{"RELAY_CPUS": &c.RelayCPUs, "TOOLS_CPUS": &c.ToolsCPUs} {
		v := strings.TrimSpace(getenv(name))
		if v != "" && !cpuList.MatchString(v) {
			errs = append(errs, fmt.Errorf("bench: %s=%q: want a CPU list such as 1 or 0,2-3", name, v))
			continue
		}
		*dst = v
	}
	c.SinkMsgs = num("SINK_MSGS", c.Msgs, 1)
	var err error
	if c.Pool, err = parsePool(str("POOL", defaultPool)); err != nil {
		errs = append(errs, err)
	}
	c.HubedgeBin = getenv("HUBEDGE_BIN")
	c.LogDir = str("LOGDIR", filepath.Join(c.WorkDir, "logs"))
	switch v := getenv("REUSE"); v {
	case "", "0":
	case "1":
		c.Reuse = true
	default:
		errs = append(errs, fmt.Errorf("bench: REUSE=%q: want 0 or 1", v))
	}
	switch v := getenv("TLS"); v {
	case "", "0":
	case "1":
		c.TLS = true
	default:
		errs = append(errs, fmt.Errorf("bench: TLS=%q: want 0 or 1", v))
	}
	def := variant{Tools: str("TOOLS", toolsPostfix), Key: str("KEY", keyECDSA), RelayCmd: c.RelayCmd,
		Groups: str("TLS_GROUPS", groupsGo), Queue: queueDisk}
	switch v := getenv("TLS_VERIFY"); v {
	case "", "1":
	case "0":
		def.NoVerify = true
	default:
		errs = append(errs, fmt.Errorf("bench: TLS_VERIFY=%q: want 0 or 1", v))
	}
	if c.TLS && getenv("TOOLS") == "" {
		def.Tools = toolsGo
	}
	if def.Tools != toolsPostfix && def.Tools != toolsGo {
		errs = append(errs, fmt.Errorf("bench: TOOLS=%q: want postfix or go", def.Tools))
	}
	if def.Key != keyECDSA && def.Key != keyRSA {
		errs = append(errs, fmt.Errorf("bench: KEY=%q: want ecdsa or rsa", def.Key))
	}
	if !slices.Contains(groupNames, def.Groups) {
		errs = append(errs, fmt.Errorf("bench: TLS_GROUPS=%q: want go or openssl30", def.Groups))
	}
	vs, err := parseVariants(getenv("VARIANTS"), def, c.TLS, getenv)
	c.Variants = vs
	if err != nil {
		errs = append(errs, err)
	}
	c.RelayName = str("RELAY_NAME", "hubedge")
	if c.RelayCmd != "" {
		c.RelayName = str("RELAY_NAME", "custom")
	}
	if c.RelayName == "sink" || c.RelayName == "postfix" || strings.ContainsAny(c.RelayName, " \t=") {
		errs = append(errs, fmt.Errorf("bench: RELAY_NAME=%q: must differ from sink/postfix and have no spaces or '='", c.RelayName))
	}
	c.Relays = strings.Fields(str("RELAYS", "sink postfix relay"))
	for _, k := range c.Relays {
		if k != kindSink && k != kindPostfix && k != kindRelay {
			errs = append(errs, fmt.Errorf("bench: RELAYS: unknown kind %q (want sink, postfix, relay)", k))
		}
	}
	for _, f := range strings.Fields(str("LAT_SESSIONS", "1 20")) {
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			errs = append(errs, fmt.Errorf("bench: LAT_SESSIONS: bad session count %q", f))
			continue
		}
		c.LatSessions = append(c.LatSessions, n)
	}
	ports := map[int]string{}
	for name, p := range map[string]int{"SINK_PORT": c.SinkPort, "LISTEN_PORT": c.ListenPort, "NEXTHOP_PORT": c.NexthopPort,
		"MANAGE_PORT": c.ManagePort, "MILTER_PORT": c.MilterPort} {
		if p > 65535 {
			errs = append(errs, fmt.Errorf("bench: %s=%d: not a port", name, p))
		}
		if other, dup := ports[p]; dup {
			errs = append(errs, fmt.Errorf("bench: %s and %s are both %d", name, other, p))
		}
		ports[p] = name
	}
	return c, errors.Join(errs...)
}

// cpuList is taskset's -c argument: CPU numbers and ranges, comma-separated.
var cpuList = regexp.MustCompile(`^[0-9]+(-[0-9]+)?(,[0-9]+(-[0-9]+)?)*$`)

// pinned is argv confined to the CPU list cpus by taskset, which sets the
// affinity and then executes argv in the same process, so that the PID the
// bench reads CPU time from stays the command's own; every process and
// thread it starts inherits the list. Empty cpus leaves argv alone.
func pinned(cpus string, argv []string) []string {
	if cpus == "" {
		return argv
	}
	return append([]string{"taskset", "-c", cpus}, argv...)
}

// placement is " relay_cpus=… tools_cpus=…" for the summary's header when
// either list is set, so that a pasted result says the processes were
// confined; empty otherwise.
func (c *config) placement() string {
	if c.RelayCPUs == "" && c.ToolsCPUs == "" {
		return ""
	}
	return fmt.Sprintf(" relay_cpus=%s tools_cpus=%s", cmp.Or(c.RelayCPUs, "any"), cmp.Or(c.ToolsCPUs, "any"))
}

// has reports whether kind is among the kinds to run.
func (c *config) has(kind string) bool {
	for _, k := range c.Relays {
		if k == kind {
			return true
		}
	}
	return false
}

// name is the label a kind's lines carry (relay=NAME).
func (c *config) name(kind string) string {
	if kind == kindRelay {
		return c.RelayName
	}
	return kind
}

// vname is name with the variant's label, NAME[label], when there are
// several variants.
func (c *config) vname(kind string, v variant) string {
	if v.Label == "" {
		return c.name(kind)
	}
	return c.name(kind) + "[" + v.Label + "]"
}

// msgs is the timed message count for a kind.
func (c *config) msgs(kind string) int {
	if kind == kindSink {
		return c.SinkMsgs
	}
	return c.Msgs
}
