package cmdlet

import (
	"encoding/json"
	"testing"
)

func mustLoad(t *testing.T, base *Config, opts Options, src string) *Config {
	t.Helper()
	c, err := Load("t.ps1", []byte(src), base, opts)
	if err != nil {
		t.Fatalf("%v", err)
	}
	return c
}

func TestDefaultConfig(t *testing.T) {
	for _, edge := range []bool{false, true} {
		c, err := DefaultConfig("Edge01", edge)
		if err != nil {
			t.Fatal(err)
		}
		j, _ := json.MarshalIndent(c, "", " ")
		t.Logf("%s", j)
	}
}
