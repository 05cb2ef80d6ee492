package crashtest

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"go.uber.org/goleak"
)

var (
	// gatewayBin and poolhubBin are the examples/gateway and
	// crashtest/poolhub binaries TestMain builds; empty when they could
	// not be built, with skipReason saying why.
	gatewayBin, poolhubBin string
	skipReason             string

	seedFlag = flag.Uint64("crash.seed", 0, "seed of the kill schedule (0: derived from the clock, and logged)")
)

// TestMain builds the relay once for every test, then checks that no
// goroutine outlives the tests.
func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := os.MkdirTemp("", "hubedge-crashtest-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "crashtest:", err)
		os.Exit(1)
	}
	gatewayBin, poolhubBin, skipReason = build(dir)
	code := m.Run()
	os.RemoveAll(dir)
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "crashtest: goroutine leak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// build compiles examples/gateway and crashtest/poolhub into dir with the
// go tool from PATH. It returns the binaries, or the reason the tests
// will skip.
func build(dir string) (gateway, poolhub, reason string) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		return "", "", "crashtest: the go tool is not on PATH, cannot build the relays: " + err.Error()
	}
	if out, err := exec.Command(goTool, "env", "GOROOT").CombinedOutput(); err != nil {
		return "", "", fmt.Sprintf("crashtest: go env GOROOT: %v: %s", err, out)
	}
	gateway, poolhub = filepath.Join(dir, "gateway"), filepath.Join(dir, "poolhub")
	for bin, pkg := range map[string]string{gateway: "examples/gateway", poolhub: "crashtest/poolhub"} {
		cmd := exec.Command(goTool, "build", "-o", bin, "github.com/hubedge/hubedge/"+pkg)
		if out, err := cmd.CombinedOutput(); err != nil {
			// A module that does not compile is a failure, not a skip.
			fmt.Fprintf(os.Stderr, "crashtest: go build %s: %v\n%s", pkg, err, out)
			os.Exit(1)
		}
	}
	return gateway, poolhub, ""
}

func needGateway(t *testing.T) {
	t.Helper()
	if gatewayBin == "" {
		t.Skip(skipReason)
	}
}
