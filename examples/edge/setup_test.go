package main

import (
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hubedge/hubedge/internal/clitest"
)

// The two-process setup of this package comment and examples/hub's, run
// line by line as written, on free ports instead of 2525 and 2526.
func TestTwoProcessSetup(t *testing.T) {
	script := setup(t, "main.go")
	if hub := setup(t, filepath.Join("..", "hub", "main.go")); hub != script {
		t.Fatalf("the setups of edge and hub differ:\n%s\n---\n%s", script, hub)
	}
	if _, err := exec.LookPath("swaks"); err != nil {
		t.Skip("swaks not installed: the setup's client cannot run")
	}
	script = strings.NewReplacer(":2525", ":"+clitest.FreePort(t), ":2526", ":"+clitest.FreePort(t)).Replace(script)
	dir := t.TempDir()
	for _, line := range strings.Split(strings.ReplaceAll(script, "\\\n", ""), "\n") {
		switch {
		case strings.HasPrefix(line, "mkdir -p pair && "):
			// Run from the repository root, building into dir.
			cmd := exec.Command("bash", "-c", strings.ReplaceAll(line, "pair", dir))
			cmd.Dir = filepath.Join("..", "..")
			clitest.MustRun(t, cmd)
		case strings.HasSuffix(line, " &"):
			args := strings.Split(strings.TrimSuffix(string(clitest.MustRun(t, clitest.Shell(dir, `printf '%s\0' `+strings.TrimSuffix(line, " &")))), "\x00"), "\x00")
			cmd := exec.Command(filepath.Join(dir, args[0]), args[1:]...)
			cmd.Dir = dir
			clitest.StartCommand(t, cmd)
		case line == "ls mail/contoso.com/alice/new":
			h := clitest.Header(t, clitest.WaitMaildir(t, filepath.Join(dir, "mail"), "alice@contoso.com"))
			if h.Get("X-MS-Exchange-Organization-AuthAs") != "Anonymous" || !clitest.ReceivedBy(h, "edge01.contoso.net") {
				t.Errorf("alice got %v", h)
			}
		case strings.HasSuffix(line, " # 550 5.1.1"):
			out, err := clitest.Shell(dir, line).CombinedOutput()
			if err == nil || !strings.Contains(string(out), "* 550 5.1.1") {
				t.Errorf("%s: %v, want a 550 5.1.1 refusal:\n%s", line, err, out)
			}
		case line != "":
			clitest.MustRun(t, clitest.Shell(dir, line))
		}
	}
}

// setup returns the indented block under "Two processes on one machine"
// in the package comment of file.
func setup(t *testing.T, file string) string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, parser.ParseComments|parser.PackageClauseOnly)
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(f.Doc.Text(), "# Two processes on one machine\n")
	if !ok {
		t.Fatalf("%s: no two-process setup in the package comment", file)
	}
	var block []string
	for _, l := range strings.Split(after, "\n") {
		if strings.HasPrefix(l, "\t") {
			block = append(block, strings.TrimPrefix(l, "\t"))
		} else if len(block) > 0 && l != "" {
			break
		}
	}
	return strings.Join(block, "\n")
}
