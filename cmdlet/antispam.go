package cmdlet

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/hubedge/hubedge/connector"
)

// The anti-spam agents' settings, as the reference system's Edge keeps
// them: plain values with its property names, which a server turns into
// the agents' own configurations. Every agent is enabled by default, as on
// an Edge Transport server.

// ContentFilterConfig holds Set-ContentFilterConfig: the SCL actions.
// Thresholds are 0 to 9.
type ContentFilterConfig struct {
	Enabled                bool
	ExternalMailEnabled    bool
	InternalMailEnabled    bool
	SCLRejectEnabled       bool
	SCLRejectThreshold     int
	SCLDeleteEnabled       bool
	SCLDeleteThreshold     int
	SCLQuarantineEnabled   bool
	SCLQuarantineThreshold int
	QuarantineMailbox      string // required when SCLQuarantineEnabled
	RejectionResponse      string // one line, at most 240 characters
	BypassedRecipients     []string
	BypassedSenders        []string
	BypassedSenderDomains  []string
}

// SenderFilterConfig holds Set-SenderFilterConfig. Action is "Reject" or
// "StampStatus".
type SenderFilterConfig struct {
	Enabled                     bool
	ExternalMailEnabled         bool
	InternalMailEnabled         bool
	BlockedSenders              []string
	BlockedDomains              []string
	BlockedDomainsAndSubdomains []string
	BlankSenderBlockingEnabled  bool
	Action                      string
}

// RecipientFilterConfig holds Set-RecipientFilterConfig.
type RecipientFilterConfig struct {
	Enabled                    bool
	ExternalMailEnabled        bool
	InternalMailEnabled        bool
	BlockedRecipients          []string
	BlockListEnabled           bool
	RecipientValidationEnabled bool
}

// SenderIDConfig holds Set-SenderIdConfig. The actions are "StampStatus",
// "Reject" or "Delete".
type SenderIDConfig struct {
	Enabled               bool
	ExternalMailEnabled   bool
	InternalMailEnabled   bool
	SpoofedDomainAction   string
	TempErrorAction       string
	BypassedRecipients    []string
	BypassedSenderDomains []string
}

// IPListConfig holds Set-IPBlockListConfig or Set-IPAllowListConfig. The
// rejection responses are the block list's only; empty means the agent's
// default text.
type IPListConfig struct {
	Enabled                       bool
	ExternalMailEnabled           bool
	InternalMailEnabled           bool
	StaticEntryRejectionResponse  string
	MachineEntryRejectionResponse string
}

// IPListEntry is one Add-IPBlockListEntry or Add-IPAllowListEntry.
// Identity numbers the entries of a list from 1 in the order they were
// added; Remove- takes it (or the entry's IPRange).
type IPListEntry struct {
	Identity       int
	IPRange        connector.IPRange
	ExpirationTime time.Time // zero: never expires
	Comment        string
}

// IPListProvider is one Add-IPBlockListProvider or
// Add-IPAllowListProvider: a DNS list queried in Priority order (1 first).
// Exactly one of AnyMatch, BitmaskMatch and IPAddressesMatch is set.
type IPListProvider struct {
	Name              string
	LookupDomain      string
	AnyMatch          bool
	BitmaskMatch      netip.Addr // invalid when unset
	IPAddressesMatch  []netip.Addr
	Priority          int
	RejectionResponse string // block list providers only
	Enabled           bool
}

// IPList is the connection filter's IP Block list or IP Allow list: its
// settings, its entries and its providers (sorted by Priority).
type IPList struct {
	Config    IPListConfig
	Entries   []IPListEntry
	Providers []IPListProvider
}

func (l IPList) clone() IPList {
	l.Entries = slices.Clone(l.Entries)
	l.Providers = slices.Clone(l.Providers)
	return l
}

const (
	defaultContentRejection = "Message rejected due to content restrictions"
	maxResponse             = 240
)

// DefaultContentFilterConfig returns the reference system's content
// filter defaults: reject at SCL 7, delete and quarantine (at 9) off.
func DefaultContentFilterConfig() ContentFilterConfig {
	return ContentFilterConfig{Enabled: true, ExternalMailEnabled: true, SCLRejectEnabled: true,
		SCLRejectThreshold: 7, SCLDeleteThreshold: 9, SCLQuarantineThreshold: 9, RejectionResponse: defaultContentRejection}
}

func defaultAntispam(c *Config) {
	c.ContentFilter = DefaultContentFilterConfig()
	c.SenderFilter = SenderFilterConfig{Enabled: true, ExternalMailEnabled: true, Action: "Reject"}
	c.RecipientFilter = RecipientFilterConfig{Enabled: true, ExternalMailEnabled: true}
	c.SenderID = SenderIDConfig{Enabled: true, ExternalMailEnabled: true, SpoofedDomainAction: "StampStatus",
		TempErrorAction: "StampStatus"}
	c.IPBlockList = IPList{Config: IPListConfig{Enabled: true, ExternalMailEnabled: true}}
	c.IPAllowList = IPList{Config: IPListConfig{Enabled: true, ExternalMailEnabled: true}}
}

// field applies one parameter of a Set-*Config cmdlet to its settings.
type field[T any] struct {
	name string
	set  func(e *evaluator, a *arg, v *T) bool
}

func fieldParams[T any](fs []field[T]) []pspec {
	ps := []pspec{{"Identity", pValue}}
	for _, f := range fs {
		ps = append(ps, pspec{f.name, pValue})
	}
	return ps
}

func applyFields[T any](e *evaluator, in *invocation, fs []field[T], v *T) bool {
	ok := true
	for _, f := range fs {
		if a := in.get(f.name); a != nil {
			ok = f.set(e, a, v) && ok
		}
	}
	return ok
}

func sclField[T any](f func(*T) *int) func(*evaluator, *arg, *T) bool {
	return func(e *evaluator, a *arg, v *T) bool {
		n, ok := e.integer(a, 0, 9, false)
		*f(v) = int(n)
		return ok
	}
}

func listField[T any](parse func(string) (string, error), f func(*T) *[]string) func(*evaluator, *arg, *T) bool {
	return func(e *evaluator, a *arg, v *T) bool {
		l, ok := editList(e, a, *f(v), parse, strEq)
		*f(v) = l
		return ok
	}
}

func enumField[T any](values []string, f func(*T) *string) func(*evaluator, *arg, *T) bool {
	return func(e *evaluator, a *arg, v *T) bool {
		return parseField(e, a, e.text, func(s string) (string, error) {
			if i := slices.IndexFunc(values, func(x string) bool { return strings.EqualFold(x, s) }); i >= 0 {
				return values[i], nil
			}
			return "", fmt.Errorf("want %s", strings.Join(values, ", "))
		}, f(v))
	}
}

func responseField[T any](f func(*T) *string) func(*evaluator, *arg, *T) bool {
	return func(e *evaluator, a *arg, v *T) bool { return parseField(e, a, e.text, parseResponse, f(v)) }
}

func parseResponse(s string) (string, error) {
	if len(s) > maxResponse || strings.ContainsAny(s, "\r\n") {
		return "", fmt.Errorf("a rejection response is one line of at most %d characters", maxResponse)
	}
	return s, nil
}

var errAddress = errors.New("want an address such as user@contoso.com")

func parseAddress(s string) (string, error) {
	local, domain, ok := strings.Cut(s, "@")
	if !ok || local == "" || strings.Contains(domain, "@") {
		return "", errAddress
	}
	if _, err := parseDomain(domain); err != nil {
		return "", errAddress
	}
	return s, nil
}

// parseDomain checks a domain name's shape; the agents compare names, so
// nothing more than that is needed.
func parseDomain(s string) (string, error) {
	if s == "" || len(s) > 255 || strings.ContainsAny(s, " \t@,;*") || slices.Contains(strings.Split(s, "."), "") {
		return "", errors.New("want a domain such as contoso.com")
	}
	return s, nil
}

// parseDomainTree accepts a leading "*." too, which means the same.
func parseDomainTree(s string) (string, error) {
	_, err := parseDomain(strings.TrimPrefix(s, "*."))
	return s, err
}

var (
	contentFields = []field[ContentFilterConfig]{
		{"Enabled", boolField(func(c *ContentFilterConfig) *bool { return &c.Enabled })},
		{"ExternalMailEnabled", boolField(func(c *ContentFilterConfig) *bool { return &c.ExternalMailEnabled })},
		{"InternalMailEnabled", boolField(func(c *ContentFilterConfig) *bool { return &c.InternalMailEnabled })},
		{"SCLRejectEnabled", boolField(func(c *ContentFilterConfig) *bool { return &c.SCLRejectEnabled })},
		{"SCLRejectThreshold", sclField(func(c *ContentFilterConfig) *int { return &c.SCLRejectThreshold })},
		{"SCLDeleteEnabled", boolField(func(c *ContentFilterConfig) *bool { return &c.SCLDeleteEnabled })},
		{"SCLDeleteThreshold", sclField(func(c *ContentFilterConfig) *int { return &c.SCLDeleteThreshold })},
		{"SCLQuarantineEnabled", boolField(func(c *ContentFilterConfig) *bool { return &c.SCLQuarantineEnabled })},
		{"SCLQuarantineThreshold", sclField(func(c *ContentFilterConfig) *int { return &c.SCLQuarantineThreshold })},
		{"QuarantineMailbox", func(e *evaluator, a *arg, c *ContentFilterConfig) bool {
			return parseField(e, a, e.text, func(s string) (string, error) {
				if s == "" {
					return "", nil
				}
				return parseAddress(s)
			}, &c.QuarantineMailbox)
		}},
		{"RejectionResponse", responseField(func(c *ContentFilterConfig) *string { return &c.RejectionResponse })},
		{"BypassedRecipients", listField(parseAddress, func(c *ContentFilterConfig) *[]string { return &c.BypassedRecipients })},
		{"BypassedSenders", listField(parseAddress, func(c *ContentFilterConfig) *[]string { return &c.BypassedSenders })},
		{"BypassedSenderDomains", listField(parseDomainTree, func(c *ContentFilterConfig) *[]string { return &c.BypassedSenderDomains })},
	}

	senderFields = []field[SenderFilterConfig]{
		{"Enabled", boolField(func(c *SenderFilterConfig) *bool { return &c.Enabled })},
		{"ExternalMailEnabled", boolField(func(c *SenderFilterConfig) *bool { return &c.ExternalMailEnabled })},
		{"InternalMailEnabled", boolField(func(c *SenderFilterConfig) *bool { return &c.InternalMailEnabled })},
		{"BlockedSenders", listField(parseAddress, func(c *SenderFilterConfig) *[]string { return &c.BlockedSenders })},
		{"BlockedDomains", listField(parseDomain, func(c *SenderFilterConfig) *[]string { return &c.BlockedDomains })},
		{"BlockedDomainsAndSubdomains", listField(parseDomainTree, func(c *SenderFilterConfig) *[]string { return &c.BlockedDomainsAndSubdomains })},
		{"BlankSenderBlockingEnabled", boolField(func(c *SenderFilterConfig) *bool { return &c.BlankSenderBlockingEnabled })},
		{"Action", enumField([]string{"Reject", "StampStatus"}, func(c *SenderFilterConfig) *string { return &c.Action })},
	}

	recipientFields = []field[RecipientFilterConfig]{
		{"Enabled", boolField(func(c *RecipientFilterConfig) *bool { return &c.Enabled })},
		{"ExternalMailEnabled", boolField(func(c *RecipientFilterConfig) *bool { return &c.ExternalMailEnabled })},
		{"InternalMailEnabled", boolField(func(c *RecipientFilterConfig) *bool { return &c.InternalMailEnabled })},
		{"BlockedRecipients", listField(parseAddress, func(c *RecipientFilterConfig) *[]string { return &c.BlockedRecipients })},
		{"BlockListEnabled", boolField(func(c *RecipientFilterConfig) *bool { return &c.BlockListEnabled })},
		{"RecipientValidationEnabled", boolField(func(c *RecipientFilterConfig) *bool { return &c.RecipientValidationEnabled })},
	}

	senderIDActions = []string{"StampStatus", "Reject", "Delete"}
	senderIDFields  = []field[SenderIDConfig]{
		{"Enabled", boolField(func(c *SenderIDConfig) *bool { return &c.Enabled })},
		{"ExternalMailEnabled", boolField(func(c *SenderIDConfig) *bool { return &c.ExternalMailEnabled })},
		{"InternalMailEnabled", boolField(func(c *SenderIDConfig) *bool { return &c.InternalMailEnabled })},
		{"SpoofedDomainAction", enumField(senderIDActions, func(c *SenderIDConfig) *string { return &c.SpoofedDomainAction })},
		{"TempErrorAction", enumField(senderIDActions, func(c *SenderIDConfig) *string { return &c.TempErrorAction })},
		{"BypassedRecipients", listField(parseAddress, func(c *SenderIDConfig) *[]string { return &c.BypassedRecipients })},
		{"BypassedSenderDomains", listField(parseDomainTree, func(c *SenderIDConfig) *[]string { return &c.BypassedSenderDomains })},
	}

	ipListFields = []field[IPListConfig]{
		{"Enabled", boolField(func(c *IPListConfig) *bool { return &c.Enabled })},
		{"ExternalMailEnabled", boolField(func(c *IPListConfig) *bool { return &c.ExternalMailEnabled })},
		{"InternalMailEnabled", boolField(func(c *IPListConfig) *bool { return &c.InternalMailEnabled })},
		{"StaticEntryRejectionResponse", responseField(func(c *IPListConfig) *string { return &c.StaticEntryRejectionResponse })},
		{"MachineEntryRejectionResponse", responseField(func(c *IPListConfig) *string { return &c.MachineEntryRejectionResponse })},
	}
)

// setConfig is a Set-*Config cmdlet: the fields on a copy of the settings
// got by get, checked by check (nil: none), stored back by put.
func setConfig[T any](fs []field[T], get func(*Config) *T, check func(e *evaluator, in *invocation, v *T) bool) func(*evaluator, *invocation, target) []target {
	return func(e *evaluator, in *invocation, _ target) []target {
		v := *get(e.cfg)
		if applyFields(e, in, fs, &v) && (check == nil || check(e, in, &v)) {
			*get(e.cfg) = v
		}
		return nil
	}
}

func checkContentFilter(e *evaluator, in *invocation, c *ContentFilterConfig) bool {
	if c.SCLQuarantineEnabled && c.QuarantineMailbox == "" {
		p := in.pos
		if a := in.get("SCLQuarantineEnabled"); a != nil {
			p = a.pos
		}
		e.fail(p, "-SCLQuarantineEnabled needs a -QuarantineMailbox")
		return false
	}
	return true
}

// ipList returns the list a cmdlet on IP<kind>List* changes.
func ipList(block bool) func(*Config) *IPList {
	if block {
		return func(c *Config) *IPList { return &c.IPBlockList }
	}
	return func(c *Config) *IPList { return &c.IPAllowList }
}

// entryTimeLayouts are the forms -ExpirationTime is read in, as UTC when
// they carry no zone: ISO 8601 and the reference system's US display form.
var entryTimeLayouts = []string{time.RFC3339, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02 15:04",
	"2006-01-02", "1/2/2006 15:04:05", "1/2/2006 15:04", "1/2/2006 3:04:05 PM", "1/2/2006 3:04 PM", "1/2/2006"}

func parseEntryTime(s string) (time.Time, error) {
	for _, l := range entryTimeLayouts {
		if t, err := time.Parse(l, strings.TrimSpace(s)); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, errors.New(`want a date and time such as "2027-01-31 18:00" or "1/31/2027 6:00 PM"`)
}

func addEntry(block bool) func(*evaluator, *invocation, target) []target {
	return func(e *evaluator, in *invocation, _ target) []target {
		ia, ra := in.get("IPAddress"), in.get("IPRange")
		var ent IPListEntry
		ok := true
		switch {
		case ia != nil && ra != nil:
			e.fail(ra.pos, "-IPAddress and -IPRange exclude each other")
			return nil
		case ia == nil && ra == nil:
			e.fail(in.pos, "missing required parameter -IPAddress or -IPRange")
			return nil
		case ia != nil:
			ok = parseField(e, ia, e.text, func(s string) (connector.IPRange, error) {
				a, err := netip.ParseAddr(s)
				if err != nil {
					return connector.IPRange{}, errors.New("want one IP address; a range goes in -IPRange")
				}
				return connector.IPRangeFromAddr(a.WithZone("")), nil
			}, &ent.IPRange)
		default:
			ok = parseField(e, ra, e.text, connector.ParseIPRange, &ent.IPRange)
		}
		if a := in.get("ExpirationTime"); a != nil {
			ok = parseField(e, a, e.text, parseEntryTime, &ent.ExpirationTime) && ok
		}
		if a := in.get("Comment"); a != nil {
			ok = stringField(func(x *IPListEntry) *string { return &x.Comment })(e, a, &ent) && ok
		}
		if !ok {
			return nil
		}
		l := ipList(block)(e.cfg)
		if slices.ContainsFunc(l.Entries, func(x IPListEntry) bool { return x.IPRange.Equal(ent.IPRange) }) {
			e.fail(in.pos, "the list already has an entry for %s", ent.IPRange)
			return nil
		}
		ent.Identity = 1
		if n := len(l.Entries); n > 0 {
			ent.Identity = l.Entries[n-1].Identity + 1
		}
		l.Entries = append(slices.Clip(l.Entries), ent)
		return nil
	}
}

func removeEntry(block bool) func(*evaluator, *invocation, target) []target {
	return func(e *evaluator, in *invocation, _ target) []target {
		id, ok := e.identity(in, target{}, true)
		if !ok {
			return nil
		}
		l := ipList(block)(e.cfg)
		i := slices.IndexFunc(l.Entries, func(x IPListEntry) bool {
			return fmt.Sprint(x.Identity) == id || x.IPRange.String() == id
		})
		if i < 0 {
			e.fail(in.get("Identity").pos, "no entry %q: give its Identity number or its IPRange", id)
			return nil
		}
		l.Entries = slices.Delete(slices.Clone(l.Entries), i, i+1)
		return nil
	}
}

func providerIndex(l *IPList, name string) int {
	return slices.IndexFunc(l.Providers, func(p IPListProvider) bool { return strings.EqualFold(p.Name, name) })
}

// findProvider returns the index of the provider -Identity names, or -1
// once the fault is reported.
func findProvider(e *evaluator, in *invocation, l *IPList) int {
	id, ok := e.identity(in, target{}, true)
	if !ok {
		return -1
	}
	i := providerIndex(l, id)
	if i < 0 {
		e.fail(in.get("Identity").pos, "no provider %q", id)
	}
	return i
}

func parseMatchAddr(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is4() {
		return netip.Addr{}, errors.New("want an IPv4 address such as 127.0.0.2")
	}
	return a, nil
}

// provider is Add- (isNew) or Set-IP<kind>ListProvider.
func provider(block, isNew bool) func(*evaluator, *invocation, target) []target {
	return func(e *evaluator, in *invocation, _ target) []target {
		l := ipList(block)(e.cfg)
		var p IPListProvider
		at := -1
		if isNew {
			na := in.get("Name")
			if na == nil || in.get("LookupDomain") == nil {
				e.fail(in.pos, "missing required parameter -%s", map[bool]string{true: "Name", false: "LookupDomain"}[na == nil])
				return nil
			}
			p = IPListProvider{Enabled: true, Priority: len(l.Providers) + 1}
		} else {
			if at = findProvider(e, in, l); at < 0 {
				return nil
			}
			p = l.Providers[at]
			p.IPAddressesMatch = slices.Clone(p.IPAddressesMatch)
		}
		ok := true
		if a := in.get("Name"); a != nil {
			ok = stringField(func(x *IPListProvider) *string { return &x.Name })(e, a, &p)
			if j := providerIndex(l, p.Name); ok && j >= 0 && j != at {
				e.fail(a.val.pos, "a provider named %q already exists", p.Name)
				ok = false
			}
		}
		if a := in.get("LookupDomain"); a != nil {
			ok = parseField(e, a, e.text, parseDomain, &p.LookupDomain) && ok
		}
		if a := in.get("AnyMatch"); a != nil {
			ok = boolField(func(x *IPListProvider) *bool { return &x.AnyMatch })(e, a, &p) && ok
		}
		if a := in.get("BitmaskMatch"); a != nil {
			ok = parseField(e, a, e.text, func(s string) (netip.Addr, error) {
				if s == "" {
					return netip.Addr{}, nil
				}
				return parseMatchAddr(s)
			}, &p.BitmaskMatch) && ok
		}
		if a := in.get("IPAddressesMatch"); a != nil {
			v, ok1 := editList(e, a, p.IPAddressesMatch, parseMatchAddr, func(x, y netip.Addr) bool { return x == y })
			p.IPAddressesMatch, ok = v, ok && ok1
		}
		if a := in.get("RejectionResponse"); a != nil {
			ok = responseField(func(x *IPListProvider) *string { return &x.RejectionResponse })(e, a, &p) && ok
		}
		if a := in.get("Enabled"); a != nil {
			ok = boolField(func(x *IPListProvider) *bool { return &x.Enabled })(e, a, &p) && ok
		}
		last := len(l.Providers)
		if isNew {
			last++
		}
		if a := in.get("Priority"); a != nil {
			n, ok1 := e.integer(a, 1, int64(last), false)
			p.Priority, ok = int(n), ok && ok1
		}
		if !ok {
			return nil
		}
		// The agent needs exactly one way to read the list's answers.
		if n := countTrue(p.AnyMatch, p.BitmaskMatch.IsValid(), len(p.IPAddressesMatch) > 0); n != 1 {
			e.fail(in.pos, "a provider matches by one of -AnyMatch $true, -BitmaskMatch and -IPAddressesMatch, not %d", n)
			return nil
		}
		ps := slices.Clone(l.Providers)
		if at >= 0 {
			ps = slices.Delete(ps, at, at+1)
		}
		ps = slices.Insert(ps, p.Priority-1, p)
		for i := range ps {
			ps[i].Priority = i + 1
		}
		l.Providers = ps
		return nil
	}
}

func countTrue(bs ...bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}

func removeProvider(block bool) func(*evaluator, *invocation, target) []target {
	return func(e *evaluator, in *invocation, _ target) []target {
		l := ipList(block)(e.cfg)
		i := findProvider(e, in, l)
		if i < 0 {
			return nil
		}
		ps := slices.Delete(slices.Clone(l.Providers), i, i+1)
		for j := range ps {
			ps[j].Priority = j + 1
		}
		l.Providers = ps
		return nil
	}
}

// getProvider checks that a named provider exists; Get- prints nothing.
func getProvider(block bool) func(*evaluator, *invocation, target) []target {
	return func(e *evaluator, in *invocation, _ target) []target {
		if in.has("Identity") {
			findProvider(e, in, ipList(block)(e.cfg))
		}
		return nil
	}
}

func init() {
	entryParams := []pspec{{"IPAddress", pValue}, {"IPRange", pValue}, {"ExpirationTime", pValue}, {"Comment", pValue}}
	identity := []pspec{{"Identity", pValue}}
	for _, kind := range []struct {
		name  string
		block bool
	}{{"IPBlockList", true}, {"IPAllowList", false}} {
		provParams := []pspec{{"Name", pValue}, {"LookupDomain", pValue}, {"AnyMatch", pValue}, {"BitmaskMatch", pValue},
			{"IPAddressesMatch", pValue}, {"Priority", pValue}, {"Enabled", pValue}}
		cfgFields := ipListFields
		if kind.block {
			provParams = append(provParams, pspec{"RejectionResponse", pValue})
		} else {
			cfgFields = ipListFields[:3] // the allow list refuses nobody
		}
		register(
			&cmdletSpec{name: "Set-" + kind.name + "Config", params: fieldParams(cfgFields), positional: "Identity",
				run: setConfig(cfgFields, func(c *Config) *IPListConfig { return &ipList(kind.block)(c).Config }, nil)},
			&cmdletSpec{name: "Get-" + kind.name + "Config", params: identity, positional: "Identity", run: noop},
			&cmdletSpec{name: "Add-" + kind.name + "Entry", params: entryParams, run: addEntry(kind.block)},
			&cmdletSpec{name: "Remove-" + kind.name + "Entry", params: identity, positional: "Identity",
				run: removeEntry(kind.block)},
			&cmdletSpec{name: "Get-" + kind.name + "Entry", params: append(identity, pspec{"IPAddress", pValue}),
				positional: "Identity", run: noop},
			&cmdletSpec{name: "Add-" + kind.name + "Provider", params: provParams, positional: "Name",
				run: provider(kind.block, true)},
			&cmdletSpec{name: "Set-" + kind.name + "Provider", params: append(slices.Clone(identity), provParams...),
				positional: "Identity", run: provider(kind.block, false)},
			&cmdletSpec{name: "Remove-" + kind.name + "Provider", params: identity, positional: "Identity",
				run: removeProvider(kind.block)},
			&cmdletSpec{name: "Get-" + kind.name + "Provider", params: identity, positional: "Identity",
				run: getProvider(kind.block)},
		)
	}
	register(
		&cmdletSpec{name: "Set-ContentFilterConfig", params: fieldParams(contentFields), positional: "Identity",
			run: setConfig(contentFields, func(c *Config) *ContentFilterConfig { return &c.ContentFilter }, checkContentFilter)},
		&cmdletSpec{name: "Get-ContentFilterConfig", params: identity, positional: "Identity", run: noop},
		&cmdletSpec{name: "Set-SenderFilterConfig", params: fieldParams(senderFields), positional: "Identity",
			run: setConfig(senderFields, func(c *Config) *SenderFilterConfig { return &c.SenderFilter }, nil)},
		&cmdletSpec{name: "Get-SenderFilterConfig", params: identity, positional: "Identity", run: noop},
		&cmdletSpec{name: "Set-RecipientFilterConfig", params: fieldParams(recipientFields), positional: "Identity",
			run: setConfig(recipientFields, func(c *Config) *RecipientFilterConfig { return &c.RecipientFilter }, nil)},
		&cmdletSpec{name: "Get-RecipientFilterConfig", params: identity, positional: "Identity", run: noop},
		&cmdletSpec{name: "Set-SenderIdConfig", params: fieldParams(senderIDFields), positional: "Identity",
			run: setConfig(senderIDFields, func(c *Config) *SenderIDConfig { return &c.SenderID }, nil)},
		&cmdletSpec{name: "Get-SenderIdConfig", params: identity, positional: "Identity", run: noop},
	)
}
