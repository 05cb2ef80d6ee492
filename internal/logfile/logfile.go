// Package logfile keeps a directory of log files named the way the
// reference system names its transport logs, PREFIXyyyymmdd-n.log (UTC day,
// n counting from 1 each day), and rolls them over by size and day, then
// deletes the oldest by age and by the directory's total size.
//
// Most logs want a Writer: it buffers records, flushes them at an interval
// and starts files as a Set's limits say, or writes one stream. A Set alone
// is not safe for concurrent use: open it with Open, then for each record
// ask Due whether it needs a new file, call Roll with the new file's header
// when it does, and Write.
package logfile

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Limits bound a Set. A zero or negative value means no limit.
type Limits struct {
	MaxFileSize int64         // bytes per file, header included
	MaxDirSize  int64         // bytes of all the set's files together
	MaxAge      time.Duration // since a file was last written
}

// Set is one prefix's files in one directory.
type Set struct {
	dir, prefix string
	lim         Limits

	f          *os.File // nil before the first Roll and after Close
	path       string
	year, yday int // UTC day of f
	size, head int64
}

// File is one file of a set, as List finds it.
type File struct {
	Path string
	Day  time.Time // the UTC day in the name
	N    int       // the instance within the day, from 1
}

// Open returns the set of dir (created if missing) for prefix and deletes
// what the limits no longer allow. No file is created before Roll.
func Open(dir, prefix string, lim Limits, now time.Time) (*Set, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, err
	}
	s := &Set{dir: dir, prefix: prefix, lim: lim}
	s.prune(now)
	return s, nil
}

// Due reports whether n more bytes, after pending bytes not yet written,
// must go to a new file: none is open, the UTC day changed, or the file
// would pass MaxFileSize (a file holds at least one record, however big).
func (s *Set) Due(now time.Time, pending, n int) bool {
	if now = now.UTC(); s.f == nil || now.Year() != s.year || now.YearDay() != s.yday {
		return true
	}
	used := s.size + int64(pending)
	return s.lim.MaxFileSize > 0 && used > s.head && used+int64(n) > s.lim.MaxFileSize
}

// Roll closes the current file, creates the day's next one starting with
// header and prunes old files. It returns the first error met; the old
// file's close error does not stop the new file.
func (s *Set) Roll(now time.Time, header []byte) error {
	cerr := s.Close()
	now = now.UTC()
	day := now.Format("20060102")
	n := 1
	for _, f := range List(s.dir, s.prefix) {
		if f.Day.Format("20060102") == day && f.N >= n {
			n = f.N + 1
		}
	}
	// Another process writing the same directory may take a name first.
	for range 100 {
		path := filepath.Join(s.dir, s.prefix+day+"-"+strconv.Itoa(n)+".log")
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
		if os.IsExist(err) {
			n++
			continue
		}
		if err != nil {
			return err
		}
		s.f, s.path, s.size, s.head = f, path, 0, int64(len(header))
		s.year, s.yday = now.Year(), now.YearDay()
		if err := s.Write(header); err != nil {
			return err
		}
		s.prune(now)
		return cerr
	}
	return fmt.Errorf("no free file name for %s%s in %s", s.prefix, day, s.dir)
}

// Write appends p to the current file; without one it does nothing.
func (s *Set) Write(p []byte) error {
	if s.f == nil {
		return nil
	}
	n, err := s.f.Write(p)
	s.size += int64(n)
	return err
}

// Close closes the current file, if any.
func (s *Set) Close() error {
	if s.f == nil {
		return nil
	}
	err := s.f.Close()
	s.f = nil
	return err
}

// List returns the files of dir named prefix+yyyymmdd-n.log, oldest first
// (by day, then instance). A directory that cannot be read lists nothing.
func List(dir, prefix string) []File {
	es, _ := os.ReadDir(dir)
	var out []File
	for _, e := range es {
		if !e.Type().IsRegular() {
			continue
		}
		if f, ok := parseName(e.Name(), prefix); ok {
			f.Path = filepath.Join(dir, e.Name())
			out = append(out, f)
		}
	}
	slices.SortFunc(out, func(a, b File) int {
		if c := a.Day.Compare(b.Day); c != 0 {
			return c
		}
		return a.N - b.N
	})
	return out
}

func parseName(name, prefix string) (File, bool) {
	rest, ok := strings.CutPrefix(name, prefix)
	if !ok {
		return File{}, false
	}
	rest, ok = strings.CutSuffix(rest, ".log")
	if !ok {
		return File{}, false
	}
	date, num, ok := strings.Cut(rest, "-")
	if !ok || len(date) != 8 {
		return File{}, false
	}
	day, err := time.Parse("20060102", date)
	if err != nil {
		return File{}, false
	}
	n, err := strconv.Atoi(num)
	if err != nil || n < 1 || strconv.Itoa(n) != num {
		return File{}, false
	}
	return File{Day: day, N: n}, true
}

// prune deletes the set's files other than the current one that are older
// than MaxAge, then the least recently written while the set exceeds
// MaxDirSize. What cannot be deleted now is tried at the next Roll.
func (s *Set) prune(now time.Time) {
	type old struct {
		path string
		mod  time.Time
		size int64
	}
	var keep []old
	total := s.size
	for _, f := range List(s.dir, s.prefix) {
		if f.Path == s.path && s.f != nil {
			continue
		}
		info, err := os.Stat(f.Path)
		if err != nil {
			continue
		}
		if s.lim.MaxAge > 0 && now.Sub(info.ModTime()) > s.lim.MaxAge {
			_ = os.Remove(f.Path)
			continue
		}
		keep = append(keep, old{f.Path, info.ModTime(), info.Size()})
		total += info.Size()
	}
	if s.lim.MaxDirSize <= 0 {
		return
	}
	slices.SortStableFunc(keep, func(a, b old) int { return a.mod.Compare(b.mod) })
	for _, o := range keep {
		if total <= s.lim.MaxDirSize {
			return
		}
		if os.Remove(o.path) == nil {
			total -= o.size
		}
	}
}
