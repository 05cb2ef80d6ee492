package local

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"
)

// LoadDirectory reads a recipient directory from a file (ParseDirectory).
func LoadDirectory(path string, domains ...string) (*StaticDirectory, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("local: directory: %w", err)
	}
	defer f.Close()
	d, err := ParseDirectory(f, domains...)
	if err != nil {
		return nil, fmt.Errorf("local: directory %s: %w", path, err)
	}
	return d, nil
}

// ParseDirectory reads a recipient directory, one mailbox per line. Blank
// lines and lines starting with '#' are skipped, and only the text before
// the first ':' counts, so a users file of "name:bcrypt-hash[:groups]"
// lines (auth.LoadFile's format) serves as the directory of its users. An
// entry with an '@' is a mailbox address; one without is a user name,
// with a mailbox of that name in each of domains (an error when domains
// is empty). It fails on the first entry that is not a valid mailbox
// address (CanonicalAddress), naming its line.
func ParseDirectory(r io.Reader, domains ...string) (*StaticDirectory, error) {
	d := &StaticDirectory{}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		entry, _, _ := strings.Cut(sc.Text(), ":")
		entry = strings.TrimSpace(entry)
		if entry == "" || strings.HasPrefix(entry, "#") {
			continue
		}
		addrs := []string{entry}
		if !strings.Contains(entry, "@") {
			if len(domains) == 0 {
				return nil, fmt.Errorf("line %d: %q is not an address and no domain was given", n, entry)
			}
			addrs = addrs[:0]
			for _, dom := range domains {
				addrs = append(addrs, entry+"@"+dom)
			}
		}
		for _, a := range addrs {
			if err := d.Add(a); err != nil {
				return nil, fmt.Errorf("line %d: %w", n, err)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return d, nil
}
