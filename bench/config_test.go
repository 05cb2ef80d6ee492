package main

import (
	"strings"
	"testing"
	"time"
)

func envOf(kv map[string]string) func(string) string {
	return func(k string) string { return kv[k] }
}

func TestLoadConfigDefaults(t *testing.T) {
	c, err := loadConfig(envOf(map[string]string{"WORKDIR": "/w"}))
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"Msgs", c.Msgs, 20000},
		{"SinkMsgs", c.SinkMsgs, 20000},
		{"Sessions", c.Sessions, 20},
		{"Size", c.Size, 4096},
		{"Runs", c.Runs, 3},
		{"Warmup", c.Warmup, 500},
		{"Rcpts", c.Rcpts, 1},
		{"Reuse", c.Reuse, false},
		{"ports", [3]int{c.SinkPort, c.ListenPort, c.NexthopPort}, [3]int{2525, 2526, 2527}},
		{"Relays", strings.Join(c.Relays, " "), "sink postfix relay"},
		{"RelayName", c.RelayName, "hubedge"},
		{"StallTimeout", c.StallTimeout, 60 * time.Second},
		{"LogDir", c.LogDir, "/w/logs"},
		{"LatSessions", len(c.LatSessions), 2},
	}
	for _, ck := range checks {
		if ck.got != ck.want {
			t.Errorf("%s = %v, want %v", ck.name, ck.got, ck.want)
		}
	}
}

func TestLoadConfig(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		wantErr string
		check   func(*config) bool
	}{
		{"sink msgs follow msgs", map[string]string{"MSGS": "10"}, "",
			func(c *config) bool { return c.SinkMsgs == 10 && c.msgs(kindSink) == 10 }},
		{"sink msgs own", map[string]string{"MSGS": "10", "SINK_MSGS": "30"}, "",
			func(c *config) bool { return c.msgs(kindSink) == 30 && c.msgs(kindRelay) == 10 }},
		{"reuse", map[string]string{"REUSE": "1"}, "", func(c *config) bool { return c.Reuse }},
		{"custom relay name", map[string]string{"RELAY_CMD": "x {LISTEN}"}, "",
			func(c *config) bool { return c.name(kindRelay) == "custom" }},
		{"named custom relay", map[string]string{"RELAY_CMD": "x", "RELAY_NAME": "gohub"}, "",
			func(c *config) bool { return c.name(kindRelay) == "gohub" }},
		{"relays subset", map[string]string{"RELAYS": "sink relay"}, "",
			func(c *config) bool { return c.has(kindRelay) && !c.has(kindPostfix) }},
		{"latency levels", map[string]string{"LAT_SESSIONS": "1 5 50"}, "",
			func(c *config) bool { return len(c.LatSessions) == 3 && c.LatSessions[2] == 50 }},
		{"bad number", map[string]string{"MSGS": "many"}, "MSGS", nil},
		{"zero sessions", map[string]string{"SESSIONS": "0"}, "SESSIONS", nil},
		{"bad reuse", map[string]string{"REUSE": "yes"}, "REUSE", nil},
		{"bad kind", map[string]string{"RELAYS": "sink exim"}, "exim", nil},
		{"reserved name", map[string]string{"RELAY_NAME": "postfix"}, "RELAY_NAME", nil},
		{"port clash", map[string]string{"LISTEN_PORT": "2525"}, "both 2525", nil},
		{"port range", map[string]string{"SINK_PORT": "70000"}, "not a port", nil},
		{"bad latency level", map[string]string{"LAT_SESSIONS": "1 x"}, "LAT_SESSIONS", nil},
		{"tls picks the go tools", map[string]string{"TLS": "1"}, "",
			func(c *config) bool { return c.TLS && len(c.Variants) == 1 && c.Variants[0].Tools == toolsGo }},
		{"default tools and key", map[string]string{}, "",
			func(c *config) bool {
				return !c.TLS && c.Variants[0] == variant{Tools: toolsPostfix, Key: keyECDSA, Groups: groupsGo, Queue: queueDisk}
			}},
		{"tls groups", map[string]string{"TLS": "1", "TLS_GROUPS": "openssl30"}, "",
			func(c *config) bool { return c.Variants[0].Groups == groupsOpenSSL30 }},
		{"bad tls groups", map[string]string{"TLS_GROUPS": "x448"}, "TLS_GROUPS", nil},
		{"cpu lists", map[string]string{"RELAY_CPUS": "1", "TOOLS_CPUS": "0,2-3"}, "",
			func(c *config) bool {
				return c.RelayCPUs == "1" && c.ToolsCPUs == "0,2-3" && c.placement() == " relay_cpus=1 tools_cpus=0,2-3"
			}},
		{"relay cpus alone", map[string]string{"RELAY_CPUS": " 1 "}, "",
			func(c *config) bool { return c.placement() == " relay_cpus=1 tools_cpus=any" }},
		{"no placement", map[string]string{}, "", func(c *config) bool { return c.placement() == "" }},
		{"bad cpu list", map[string]string{"RELAY_CPUS": "1;rm"}, "RELAY_CPUS", nil},
		{"cpu range unfinished", map[string]string{"TOOLS_CPUS": "0-"}, "TOOLS_CPUS", nil},
		{"tls without verification", map[string]string{"TLS": "1", "TLS_VERIFY": "0"}, "",
			func(c *config) bool { return c.Variants[0].NoVerify }},
		{"verify per variant", map[string]string{"TLS": "1", "VARIANTS": "verify=1 verify=0"}, "",
			func(c *config) bool { return !c.Variants[0].NoVerify && c.Variants[1].NoVerify }},
		{"bad tls verify", map[string]string{"TLS_VERIFY": "no"}, "TLS_VERIFY", nil},
		{"chunking sink", map[string]string{"TOOLS": "go", "VARIANTS": "chunking=1"}, "",
			func(c *config) bool { return c.Variants[0].Chunking }},
		{"chunking needs the go sink", map[string]string{"VARIANTS": "chunking=1"}, "chunking=1 needs tools=go", nil},
		{"queue in memory beside the disk", map[string]string{"VARIANTS": "queue=disk queue=memory"}, "",
			func(c *config) bool { return c.Variants[0].Queue == queueDisk && c.Variants[1].Queue == queueMemory }},
		{"queue on tmpfs", map[string]string{"VARIANTS": "queue=tmpfs"}, "",
			func(c *config) bool { return c.Variants[0].Queue == queueTmpfs }},
		{"tmpfs queue is the gateway's", map[string]string{"VARIANTS": "queue=tmpfs,policy=dane", "TLS": "1"},
			"queue=tmpfs applies to the gateway only", nil},
		{"no such queue", map[string]string{"VARIANTS": "queue=ram"}, `bad setting "queue=ram"`, nil},
		{"memory queue is the gateway's", map[string]string{"VARIANTS": "queue=memory,cmd=X", "RELAY_CMD_X": "relay {QUEUE}"},
			"queue=memory applies to the gateway only", nil},
		{"variants labelled", map[string]string{"VARIANTS": "key=rsa key=ecdsa", "TOOLS": "go"}, "",
			func(c *config) bool {
				return len(c.Variants) == 2 && c.vname(kindRelay, c.Variants[0]) == "hubedge[key=rsa]" && c.Variants[1].Tools == toolsGo
			}},
		{"tls with postfix tools", map[string]string{"TLS": "1", "TOOLS": "postfix"}, "TLS=1 needs", nil},
		{"bad tls", map[string]string{"TLS": "on"}, "TLS", nil},
		{"bad tools", map[string]string{"TOOLS": "exim"}, "TOOLS", nil},
		{"bad key", map[string]string{"KEY": "dsa"}, "KEY", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := loadConfig(envOf(tt.env))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one mentioning %q", err, tt.wantErr)
				}
				if !strings.HasPrefix(err.Error(), "bench: ") {
					t.Errorf("error %q lacks the bench: prefix", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(c) {
				t.Errorf("unexpected config %+v", c)
			}
		})
	}
}

func TestPinned(t *testing.T) {
	tests := []struct {
		cpus string
		want string
	}{
		{"", "smtp-sink -c 127.0.0.1:2525"},
		{"1", "taskset -c 1 smtp-sink -c 127.0.0.1:2525"},
		{"0,2-3", "taskset -c 0,2-3 smtp-sink -c 127.0.0.1:2525"},
	}
	for _, tt := range tests {
		if got := strings.Join(pinned(tt.cpus, []string{"smtp-sink", "-c", "127.0.0.1:2525"}), " "); got != tt.want {
			t.Errorf("pinned(%q) = %q, want %q", tt.cpus, got, tt.want)
		}
	}
}

func TestKindsFor(t *testing.T) {
	c, _ := loadConfig(envOf(nil))
	for mode, want := range map[string]string{
		"compare": "sink postfix relay", "latency": "sink postfix relay",
		"sink": "sink", "postfix": "postfix", "relay": "relay",
	} {
		got, err := kindsFor(mode, c)
		if err != nil || strings.Join(got, " ") != want {
			t.Errorf("kindsFor(%q) = %v, %v; want %s", mode, got, err, want)
		}
	}
	if _, err := kindsFor("bogus", c); err == nil {
		t.Error("kindsFor(bogus) succeeded")
	}
}
