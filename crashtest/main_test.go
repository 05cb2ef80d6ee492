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
	// gatewayBin is the examples/gateway binary TestMain builds; empty
	// when it could not be built, with skipReason saying why.
	gatewayBin string
	skipReason string

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
	gatewayBin, skipReason = build(dir)
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

// build compiles examples/gateway into dir with the go tool from PATH.
// It returns the binary, or "" and the reason the tests will skip.
func build(dir string) (bin, reason string) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		return "", "crashtest: the go tool is not on PATH, cannot build examples/gateway: " + err.Error()
	}
	if out, err := exec.Command(goTool, "env", "GOROOT").CombinedOutput(); err != nil {
		return "", fmt.Sprintf("crashtest: go env GOROOT: %v: %s", err, out)
	}
	bin = filepath.Join(dir, "gateway")
	cmd := exec.Command(goTool, "build", "-o", bin, "github.com/hubedge/hubedge/examples/gateway")
	if out, err := cmd.CombinedOutput(); err != nil {
		// A module that does not compile is a failure, not a skip.
		fmt.Fprintf(os.Stderr, "crashtest: go build examples/gateway: %v\n%s", err, out)
		os.Exit(1)
	}
	return bin, ""
}

func needGateway(t *testing.T) {
	t.Helper()
	if gatewayBin == "" {
		t.Skip(skipReason)
	}
}
