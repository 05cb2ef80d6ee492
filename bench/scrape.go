package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

// scrapeInterval is how often scrape= fetches its URL, as a Prometheus
// server with a one-second scrape interval would.
const scrapeInterval = time.Second

// scrapeStats counts what a scraper fetched.
type scrapeStats struct {
	OK, Failed int
	Bytes      int64
	LastErr    string
}

// field is the run line's report of the scrapes.
func (s scrapeStats) field() string {
	f := fmt.Sprintf(" scrapes=%d scrape_errs=%d scrape_kib=%.0f", s.OK, s.Failed, float64(s.Bytes)/1024)
	if s.LastErr != "" {
		f += " scrape_last_err=" + fmt.Sprintf("%q", s.LastErr)
	}
	return f
}

// scraper fetches url with the bearer token every interval until stopped.
type scraper struct {
	cancel context.CancelFunc
	done   chan struct{}
	stats  scrapeStats
}

// startScraper fetches url at once and then every interval; tick is the
// ticker's channel (time.NewTicker's in the harness), so tests can drive it.
func startScraper(ctx context.Context, url, token string, tick <-chan time.Time) *scraper {
	ctx, cancel := context.WithCancel(ctx)
	s := &scraper{cancel: cancel, done: make(chan struct{})}
	client := &http.Client{Timeout: 5 * time.Second}
	go func() {
		defer close(s.done)
		for {
			s.fetch(ctx, client, url, token)
			select {
			case <-ctx.Done():
				return
			case <-tick:
			}
		}
	}()
	return s
}

func (s *scraper) fetch(ctx context.Context, client *http.Client, url, token string) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err == nil {
		req.Header.Set("Authorization", "Bearer "+token)
		var resp *http.Response
		if resp, err = client.Do(req); err == nil {
			n, rerr := io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			switch {
			case resp.StatusCode != http.StatusOK:
				err = fmt.Errorf("%s: %s", url, resp.Status)
			case rerr != nil:
				err = rerr
			default:
				s.stats.OK++
				s.stats.Bytes += n
				return
			}
		}
	}
	if ctx.Err() != nil {
		return // cut short by stop, not a failure of the relay
	}
	s.stats.Failed++
	s.stats.LastErr = err.Error()
}

// stop ends the scraper and returns what it fetched.
func (s *scraper) stop() scrapeStats {
	s.cancel()
	<-s.done
	return s.stats
}

// writeToken writes a random bearer token for the relay's management API
// to path (mode 0600) and returns it.
func writeToken(path string) (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	token := hex.EncodeToString(b)
	if err := os.WriteFile(path, []byte(token+"\n"), 0o600); err != nil {
		return "", err
	}
	return token, os.Chmod(path, 0o600) // a file left by an earlier run keeps its mode
}
