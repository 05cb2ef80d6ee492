package tlsrpt

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// Policy types (RFC 8460 §4.4).
const (
	PolicySTS      = "sts"
	PolicyTLSA     = "tlsa"
	PolicyNotFound = "no-policy-found"
)

// Result types (RFC 8460 §4.3).
const (
	ResultStartTLSNotSupported    = "starttls-not-supported"
	ResultCertificateHostMismatch = "certificate-host-mismatch"
	ResultCertificateExpired      = "certificate-expired"
	ResultCertificateNotTrusted   = "certificate-not-trusted"
	ResultValidationFailure       = "validation-failure"
	ResultTLSAInvalid             = "tlsa-invalid"
	ResultDNSSECInvalid           = "dnssec-invalid"
	ResultDANERequired            = "dane-required"
	ResultSTSPolicyFetchError     = "sts-policy-fetch-error"
	ResultSTSPolicyInvalid        = "sts-policy-invalid"
	ResultSTSWebPKIInvalid        = "sts-webpki-invalid"
)

// Policy identifies the policy a session was judged by.
type Policy struct {
	Type    string   // PolicySTS, PolicyTLSA or PolicyNotFound
	Domain  string   // the policy (recipient) domain
	Strings []string // the MTA-STS policy lines, or the TLSA records in presentation form
	MXHosts []string // the MX patterns of an MTA-STS policy
}

// Failure is one failed session.
type Failure struct {
	ResultType  string
	SendingIP   string
	ReceivingMX string // receiving-mx-hostname
	ReceivingIP string
	Info        string // additional-information
	ReasonCode  string // failure-reason-code, free text
}

// Report is the JSON document of RFC 8460 §4.4.
type Report struct {
	OrganizationName string         `json:"organization-name"`
	DateRange        DateRange      `json:"date-range"`
	ContactInfo      string         `json:"contact-info"`
	ReportID         string         `json:"report-id"`
	Policies         []PolicyReport `json:"policies"`
}

// DateRange is the UTC day a report covers.
type DateRange struct {
	Start time.Time `json:"start-datetime"`
	End   time.Time `json:"end-datetime"`
}

// PolicyReport is one element of "policies".
type PolicyReport struct {
	Policy         PolicyDesc      `json:"policy"`
	Summary        Summary         `json:"summary"`
	FailureDetails []FailureDetail `json:"failure-details,omitempty"`
}

// PolicyDesc is a report's "policy" object.
type PolicyDesc struct {
	Type    string   `json:"policy-type"`
	Strings []string `json:"policy-string,omitempty"`
	Domain  string   `json:"policy-domain"`
	MXHosts []string `json:"mx-host,omitempty"`
}

// Summary counts sessions.
type Summary struct {
	Successful int64 `json:"total-successful-session-count"`
	Failed     int64 `json:"total-failure-session-count"`
}

// FailureDetail aggregates failures with the same details.
type FailureDetail struct {
	ResultType  string `json:"result-type"`
	SendingIP   string `json:"sending-mta-ip,omitempty"`
	ReceivingMX string `json:"receiving-mx-hostname,omitempty"`
	ReceivingIP string `json:"receiving-ip,omitempty"`
	Count       int64  `json:"failed-session-count"`
	Info        string `json:"additional-information,omitempty"`
	ReasonCode  string `json:"failure-reason-code,omitempty"`
}

// Recorder counts sessions per UTC day, policy domain and policy. It is
// safe for concurrent use.
type Recorder struct {
	org, contact string
	now          func() time.Time

	mu   sync.Mutex
	days map[time.Time]map[string]map[string]*tally // day -> domain -> policy key -> counts
}

type tally struct {
	policy   Policy
	ok, fail int64
	failures map[Failure]int64
}

// NewRecorder builds a Recorder whose reports name organization and
// contact (an email address or URI for the report's readers).
func NewRecorder(organization, contact string) *Recorder {
	return &Recorder{org: organization, contact: contact, now: time.Now, days: map[time.Time]map[string]map[string]*tally{}}
}

// WithClock sets the Recorder's time source (tests inject one) and
// returns it.
func (r *Recorder) WithClock(now func() time.Time) *Recorder {
	r.now = now
	return r
}

// Success counts a session that met the policy.
func (r *Recorder) Success(p Policy) { r.add(p, nil) }

// Failure counts a session that did not.
func (r *Recorder) Failure(p Policy, f Failure) { r.add(p, &f) }

func (r *Recorder) add(p Policy, f *Failure) {
	if r == nil || p.Domain == "" {
		return
	}
	p.Domain = strings.ToLower(strings.TrimSuffix(p.Domain, "."))
	day := r.now().UTC().Truncate(24 * time.Hour)
	key := p.Type + "\x00" + strings.Join(p.Strings, "\x00")
	r.mu.Lock()
	defer r.mu.Unlock()
	doms := r.days[day]
	if doms == nil {
		doms = map[string]map[string]*tally{}
		r.days[day] = doms
	}
	pols := doms[p.Domain]
	if pols == nil {
		pols = map[string]*tally{}
		doms[p.Domain] = pols
	}
	t := pols[key]
	if t == nil {
		t = &tally{policy: p, failures: map[Failure]int64{}}
		pols[key] = t
	}
	if f == nil {
		t.ok++
		return
	}
	t.fail++
	t.failures[*f]++
}

// Reports returns the reports for day (any time within that UTC day),
// one per policy domain, sorted by domain, without forgetting them.
func (r *Recorder) Reports(day time.Time) []Report {
	day = day.UTC().Truncate(24 * time.Hour)
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.reportsLocked(day)
}

func (r *Recorder) reportsLocked(day time.Time) []Report {
	doms := r.days[day]
	var out []Report
	for _, dom := range slices.Sorted(maps.Keys(doms)) {
		rep := Report{OrganizationName: r.org, ContactInfo: r.contact, ReportID: reportID(day, dom),
			DateRange: DateRange{Start: day, End: day.Add(24*time.Hour - time.Second)}}
		pols := doms[dom]
		for _, k := range slices.Sorted(maps.Keys(pols)) {
			t := pols[k]
			pr := PolicyReport{Policy: PolicyDesc{Type: t.policy.Type, Strings: t.policy.Strings, Domain: dom, MXHosts: t.policy.MXHosts},
				Summary: Summary{Successful: t.ok, Failed: t.fail}}
			for f, n := range t.failures {
				pr.FailureDetails = append(pr.FailureDetails, FailureDetail{ResultType: f.ResultType, SendingIP: f.SendingIP,
					ReceivingMX: f.ReceivingMX, ReceivingIP: f.ReceivingIP, Count: n, Info: f.Info, ReasonCode: f.ReasonCode})
			}
			slices.SortFunc(pr.FailureDetails, func(a, b FailureDetail) int {
				return strings.Compare(a.ResultType+a.ReceivingMX+a.ReceivingIP+a.Info, b.ResultType+b.ReceivingMX+b.ReceivingIP+b.Info)
			})
			rep.Policies = append(rep.Policies, pr)
		}
		out = append(out, rep)
	}
	return out
}

// reportID is unique per report: day, domain and random bits.
func reportID(day time.Time, domain string) string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return day.Format("20060102") + "." + domain + "." + hex.EncodeToString(b[:])
}

// WriteDue writes the reports of every UTC day that has ended to dir
// (WriteReports), forgets those days, and returns the paths written.
// sender is this server's domain or host name.
func (r *Recorder) WriteDue(dir, sender string) ([]string, error) {
	return WriteReports(dir, sender, r.TakeDue())
}

// TakeDue returns the reports of every UTC day that has ended, oldest
// day first, each day's sorted by policy domain, and forgets those days:
// each report is returned once, for the caller to write (WriteReports)
// and send (Mailer).
func (r *Recorder) TakeDue() []Report {
	today := r.now().UTC().Truncate(24 * time.Hour)
	r.mu.Lock()
	defer r.mu.Unlock()
	var due []time.Time
	for day := range r.days {
		if day.Before(today) {
			due = append(due, day)
		}
	}
	slices.SortFunc(due, time.Time.Compare)
	var out []Report
	for _, day := range due {
		out = append(out, r.reportsLocked(day)...)
		delete(r.days, day)
	}
	return out
}

// WriteReports writes reports to dir, one file each, named as RFC 8460
// §5.3 names report attachments (FileName, with ".json"). Each file is
// written to a temporary name, synced and renamed, so a reader never
// sees half a report. It returns the paths written.
func WriteReports(dir, sender string, reports []Report) ([]string, error) {
	if len(reports) == 0 {
		return nil, nil
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("tlsrpt: %w", err)
	}
	var paths []string
	var errs []error
	for _, rep := range reports {
		p := filepath.Join(dir, FileName(sender, rep)+".json")
		if err := writeFile(p, rep); err != nil {
			errs = append(errs, err)
			continue
		}
		paths = append(paths, p)
	}
	return paths, errors.Join(errs...)
}

// FileName is the name RFC 8460 §5.3 gives a report, without extension:
// "<sender>!<policy-domain>!<begin>!<end>!<unique-id>", begin and end in
// Unix seconds; sender is the submitting server's domain or host name.
func FileName(sender string, rep Report) string {
	return fmt.Sprintf("%s!%s!%d!%d!%s", sender, rep.Domain(),
		rep.DateRange.Start.Unix(), rep.DateRange.End.Unix(), rep.ReportID[max(0, len(rep.ReportID)-16):])
}

// Domain is the policy domain the report is about.
func (rep Report) Domain() string {
	if len(rep.Policies) == 0 {
		return ""
	}
	return rep.Policies[0].Policy.Domain
}

func writeFile(path string, rep Report) error {
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return fmt.Errorf("tlsrpt: %w", err)
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".tlsrpt-*")
	if err != nil {
		return fmt.Errorf("tlsrpt: %w", err)
	}
	_, err = f.Write(append(b, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("tlsrpt: writing %s: %w", path, err)
	}
	return nil
}

// ParseRUA reads a "_smtp._tls" TXT record (RFC 8460 §3), "v=TLSRPTv1;
// rua=mailto:tlsrpt@fabrikam.com,https://...", and returns its rua URIs.
func ParseRUA(txt string) ([]string, error) {
	fields := strings.Split(txt, ";")
	if strings.TrimSpace(fields[0]) != "v=TLSRPTv1" {
		return nil, errors.New("tlsrpt: record does not start with v=TLSRPTv1")
	}
	for _, f := range fields[1:] {
		k, v, ok := strings.Cut(strings.TrimSpace(f), "=")
		if !ok || k != "rua" {
			continue
		}
		var out []string
		for u := range strings.SplitSeq(v, ",") {
			u = strings.TrimSpace(u)
			if strings.HasPrefix(u, "mailto:") || strings.HasPrefix(u, "https:") {
				out = append(out, u)
			}
		}
		if len(out) == 0 {
			return nil, errors.New("tlsrpt: rua has no mailto: or https: URI")
		}
		return out, nil
	}
	return nil, errors.New("tlsrpt: record has no rua")
}
