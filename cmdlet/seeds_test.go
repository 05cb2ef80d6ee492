package cmdlet

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The seed documents live beside the repository (CI has them); every
// command line they contain must run.
const seedDir = "../../shared/seeds"

// cmdletLine is a line that starts a command: an optional assignment, an
// optional .\ and a verb-noun name.
var cmdletLine = regexp.MustCompile(`(?i)^\s*(\$\w+\s*=\s*)?(\.\\)?(New|Set|Get|Add|Remove|Enable)-[A-Za-z]+(\.ps1)?\b`)

// extractCmdlets returns the document's command lines with their
// continuation lines. A bare cmdlet name with nothing after it is prose (a
// "see also" entry), not a command.
func extractCmdlets(doc string) []string {
	lines := strings.Split(doc, "\n")
	var out []string
	for i := 0; i < len(lines); i++ {
		l := strings.TrimRight(lines[i], "\r ")
		if !cmdletLine.MatchString(l) || !strings.ContainsAny(strings.TrimSpace(l), " |=") {
			continue
		}
		for strings.HasSuffix(l, "`") && i+1 < len(lines) {
			i++
			l += "\n" + strings.TrimRight(lines[i], "\r ")
		}
		out = append(out, strings.TrimSpace(l))
	}
	return out
}

// fillPlaceholders replaces each <placeholder> with a plausible value, a
// different one at each occurrence so that alternatives do not collide.
// Names written as prose in quotes are replaced too.
func fillPlaceholders(line string, n *int) string {
	line = strings.ReplaceAll(line, `"Receive Connector Name"`, `"FromInternetGateway"`)
	return regexp.MustCompile(`<[^<>]*>`).ReplaceAllStringFunc(line, func(p string) string {
		*n++
		lp := strings.ToLower(p)
		switch {
		case strings.Contains(lp, "ip address of"):
			return fmt.Sprintf("192.168.10.%d", *n)
		case strings.Contains(lp, "acceptteddomain") || strings.Contains(lp, "accepteddomain"):
			return "contoso.com,fabrikam.com"
		case strings.Contains(lp, "hubtransportserveraddress"):
			return "192.168.5.10,192.168.5.20"
		case strings.Contains(lp, "hubserver"):
			return "hub01.contoso.com,hub02.contoso.com"
		case strings.Contains(lp, "edgeserver"):
			return "edge01.contoso.net"
		case strings.Contains(lp, "networkadapterip"):
			return fmt.Sprintf("10.1.2.%d:25", *n)
		case lp == "<servername>":
			return "Edge01"
		case lp == "<newconnectorname>": // renamed by the example that follows
			return `"Default internal Receive connector Edge01"`
		}
		return fmt.Sprintf(`"Placeholder %d"`, *n)
	})
}

var newConnector = regexp.MustCompile(`^New-(Send|Receive)Connector -Name "([^"]+)"`)

// seedBase is the server each document starts from: the edge document
// changes the Edge's default receive connector, and the document on the
// cross-forest script runs it on the connector the cross-forest document
// creates.
func seedBase(t *testing.T, name string, results map[string]*Config) *Config {
	switch {
	case strings.HasPrefix(name, "001_"):
		c, err := DefaultConfig("Edge01", true)
		if err != nil {
			t.Fatal(err)
		}
		return c
	case strings.HasPrefix(name, "002_"):
		for k, c := range results {
			if strings.HasPrefix(k, "000_") {
				return c
			}
		}
		t.Skip("needs the connectors of document 000")
	}
	return nil
}

// seedScript turns a document into a script: its command lines in order,
// placeholders filled. A document offers alternatives for one connector;
// before each alternative the previous one is removed, as an
// administrator trying each would do.
func seedScript(doc string) string {
	var b strings.Builder
	created := map[string]bool{}
	n := 0
	for _, line := range extractCmdlets(doc) {
		line = fillPlaceholders(line, &n)
		if m := newConnector.FindStringSubmatch(line); m != nil {
			key := m[1] + "\x00" + strings.ToLower(m[2])
			if created[key] {
				fmt.Fprintf(&b, "Remove-%sConnector %q -Confirm:$false\n", m[1], m[2])
			}
			created[key] = true
		}
		b.WriteString(line + "\n")
	}
	return b.String()
}

// seedOptions runs the edge document as an Edge server.
func seedOptions(name string) Options { return Options{Edge: strings.HasPrefix(name, "001_")} }

// forEachSeed applies each seed document's script, in file order, and
// hands the result to check.
func forEachSeed(t *testing.T, check func(t *testing.T, name string, c *Config)) {
	files, _ := filepath.Glob(filepath.Join(seedDir, "*.txt"))
	if len(files) == 0 {
		t.Skipf("seed documents not found in %s (they ship with CI, not with the repository)", seedDir)
	}
	results := map[string]*Config{}
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			doc, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			script := seedScript(string(doc))
			cfg, err := Load(name, []byte(script), seedBase(t, name, results), seedOptions(name))
			if err != nil {
				t.Fatalf("%v\nscript:\n%s", err, script)
			}
			results[name] = cfg
			check(t, name, cfg)
		})
	}
}

func TestSeeds(t *testing.T) {
	forEachSeed(t, func(t *testing.T, name string, c *Config) {
		t.Logf("%d send and %d receive connectors", len(c.SendConnectors), len(c.ReceiveConnectors))
	})
}
