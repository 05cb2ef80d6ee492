package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hubedge/hubedge/internal/clitest"
)

// The setup in the header of examples/scripts/edge.ps1, run line by line
// as written, on free ports instead of 2525, 2526 and 2587.
func TestScriptPairSetup(t *testing.T) {
	if _, err := exec.LookPath("swaks"); err != nil {
		t.Skip("swaks not installed: the setup's client cannot run")
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	ports := strings.NewReplacer("2525", clitest.FreePort(t), "2526", clitest.FreePort(t), "2587", clitest.FreePort(t))
	scripts := t.TempDir()
	var setup []string
	for _, name := range []string{"edge.ps1", "hub.ps1"} {
		src := readFile(t, filepath.Join(root, "examples", "scripts", name))
		if err := os.WriteFile(filepath.Join(scripts, name), []byte(ports.Replace(src)), 0o600); err != nil {
			t.Fatal(err)
		}
		if name == "edge.ps1" {
			setup = headerSetup(src)
		}
	}
	if len(setup) == 0 {
		t.Fatal("edge.ps1 has no setup block in its header")
	}
	dir := t.TempDir()
	for _, line := range strings.Split(strings.ReplaceAll(strings.Join(setup, "\n"), "\\\n", ""), "\n") {
		line = strings.ReplaceAll(ports.Replace(line), "../examples/scripts/", scripts+"/")
		switch {
		case strings.HasPrefix(line, "mkdir -p pair && "):
			cmd := clitest.Shell(root, strings.ReplaceAll(line, "pair", dir)) // from the repository root, into dir
			clitest.MustRun(t, cmd)
		case strings.HasSuffix(line, " &"):
			args := strings.Split(strings.TrimSuffix(string(clitest.MustRun(t, clitest.Shell(dir, `printf '%s\0' `+strings.TrimSuffix(line, " &")))), "\x00"), "\x00")
			cmd := exec.Command(filepath.Join(dir, args[0]), append([]string{args[1], "-back-pressure=false"}, args[2:]...)...)
			cmd.Dir = dir
			clitest.StartCommand(t, cmd)
		case line == "ls mail/contoso.com/alice/new":
			h := clitest.Header(t, clitest.WaitMaildir(t, filepath.Join(dir, "mail"), "alice@contoso.com"))
			if h.Get("X-MS-Exchange-Organization-AuthAs") != "Anonymous" || !clitest.ReceivedBy(h, "edge01.contoso.net") {
				t.Errorf("alice got %v", h)
			}
		case line != "":
			clitest.MustRun(t, clitest.Shell(dir, line))
		}
	}
}

// headerSetup returns the indented command lines of a script's header
// comment.
func headerSetup(script string) []string {
	var block []string
	for _, l := range strings.Split(script, "\n") {
		if !strings.HasPrefix(l, "#") {
			break
		}
		if cmd, ok := strings.CutPrefix(l, "#   "); ok {
			block = append(block, cmd)
		}
	}
	return block
}
