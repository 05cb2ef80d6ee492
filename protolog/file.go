package protolog

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// fileSet is the directory of one Log opened with Open. Its methods run
// under the Log's lock.
type fileSet struct {
	dir  string
	opts *options
	f    *os.File // nil before the first record and after close
	name string
	day  string // yyyymmdd of f
	size int64
	head int64 // size of f's header
}

// needRotate reports whether a record of n bytes, after pending buffered
// bytes, must go to a new file.
func (fs *fileSet) needRotate(now time.Time, pending, n int) bool {
	if fs.f == nil || now.UTC().Format("20060102") != fs.day {
		return true
	}
	max := fs.opts.maxFile
	used := fs.size + int64(pending)
	return max > 0 && used > fs.head && used+int64(n) > max
}

// rotate closes the current file and creates the day's next one with
// header, then deletes old files.
func (fs *fileSet) rotate(now time.Time, header []byte) error {
	err := fs.close()
	day := now.UTC().Format("20060102")
	prefix := fs.opts.typ.prefix() + day + "-"
	n := 1
	for _, e := range fs.entries() {
		if i, ok := instance(e.Name(), prefix); ok && i >= n {
			n = i + 1
		}
	}
	for range 100 { // another process may race for the same name
		name := filepath.Join(fs.dir, prefix+strconv.Itoa(n)+".log")
		f, ferr := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
		if os.IsExist(ferr) {
			n++
			continue
		}
		if ferr != nil {
			return fmt.Errorf("protolog: %w", ferr)
		}
		fs.f, fs.name, fs.day, fs.size, fs.head = f, name, day, 0, int64(len(header))
		if werr := fs.write(header); werr != nil {
			return werr
		}
		fs.cleanup(now)
		return err
	}
	return fmt.Errorf("protolog: no free file name for %s in %s", prefix, fs.dir)
}

func (fs *fileSet) write(p []byte) error {
	if fs.f == nil {
		return nil
	}
	n, err := fs.f.Write(p)
	fs.size += int64(n)
	if err != nil {
		return fmt.Errorf("protolog: %w", err)
	}
	return nil
}

func (fs *fileSet) close() error {
	if fs.f == nil {
		return nil
	}
	err := fs.f.Close()
	fs.f = nil
	if err != nil {
		return fmt.Errorf("protolog: %w", err)
	}
	return nil
}

func (fs *fileSet) entries() []os.DirEntry {
	es, _ := os.ReadDir(fs.dir)
	return es
}

// instance returns n of a file named prefix+n+".log".
func instance(name, prefix string) (int, bool) {
	rest, ok := strings.CutPrefix(name, prefix)
	if !ok {
		return 0, false
	}
	digits, ok := strings.CutSuffix(rest, ".log")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(digits)
	return n, err == nil && n > 0
}

// cleanup deletes this log's files (not the current one) older than the
// maximum age, then the oldest while the files exceed the directory size.
// Failures are left for the next cleanup.
func (fs *fileSet) cleanup(now time.Time) {
	type file struct {
		path string
		mod  time.Time
		size int64
	}
	var files []file
	total := fs.size
	for _, e := range fs.entries() {
		name := e.Name()
		path := filepath.Join(fs.dir, name)
		if !strings.HasPrefix(name, fs.opts.typ.prefix()) || !strings.HasSuffix(name, ".log") || path == fs.name || !e.Type().IsRegular() {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue
		}
		if fs.opts.maxAge > 0 && now.Sub(info.ModTime()) > fs.opts.maxAge {
			_ = os.Remove(path)
			continue
		}
		files = append(files, file{path, info.ModTime(), info.Size()})
		total += info.Size()
	}
	if fs.opts.maxDir <= 0 {
		return
	}
	slices.SortFunc(files, func(a, b file) int {
		if c := a.mod.Compare(b.mod); c != 0 {
			return c
		}
		return strings.Compare(a.path, b.path)
	})
	for _, f := range files {
		if total <= fs.opts.maxDir {
			return
		}
		if os.Remove(f.path) == nil {
			total -= f.size
		}
	}
}
