package smtpx

import (
	"context"
	"fmt"
	"time"
)

// Pressure is a back-pressure level: how overused a watched resource is.
type Pressure int32

// Back-pressure levels, as the reference system names them.
const (
	// PressureNormal: mail is accepted.
	PressureNormal Pressure = iota
	// PressureMedium: MAIL from sessions that have not authenticated
	// (anonymous Internet senders) is refused; logged-in users, transport
	// servers and externally secured connectors still submit.
	PressureMedium
	// PressureHigh: every MAIL is refused. Queued mail is still delivered.
	PressureHigh
)

func (p Pressure) String() string {
	switch p {
	case PressureNormal:
		return "Normal"
	case PressureMedium:
		return "Medium"
	case PressureHigh:
		return "High"
	}
	return fmt.Sprintf("Pressure(%d)", int32(p))
}

// Resources is one reading of what back pressure watches. A zero size
// means that resource is not measured.
type Resources struct {
	// DiskFree and DiskSize are the free and total bytes of the file
	// system holding the queue.
	DiskFree, DiskSize uint64
	// Memory is the bytes this process uses; MemoryLimit is the memory
	// it is measured against (the machine's physical memory by default).
	Memory, MemoryLimit uint64
}

// BackPressure configures resource monitoring (WithBackPressure). Zero
// fields take the reference system's defaults.
type BackPressure struct {
	// Probe reads the resources. Default: SystemResources(""), memory
	// only; a transport gives the probe of its queue's directory.
	Probe func(context.Context) (Resources, error)
	// Interval between readings. Default 2 s (ResourceMonitoringInterval).
	Interval time.Duration
	// DiskHigh, DiskMedium and DiskNormal are the levels, in percent of
	// the disk used, at which disk pressure becomes High and Medium, and
	// below which it is Normal again. Defaults: High is the percentage at
	// which 500 MiB are left free, Medium 2 points and Normal 4 points
	// below it.
	DiskHigh, DiskMedium, DiskNormal float64
	// MemoryHigh, MemoryMedium and MemoryNormal are the same levels in
	// percent of MemoryLimit. Defaults 75, 73 and 71.
	MemoryHigh, MemoryMedium, MemoryNormal float64
}

// diskReserve is the free space below which the queue's disk is at High
// pressure by default.
const diskReserve = 500 << 20

// levels is one resource's thresholds, in percent used.
type levels struct{ high, medium, normal float64 }

// next is the level of a resource at cur once it reads used percent: it
// rises as soon as a threshold is reached, and falls only below the next
// lower one, so a reading that hovers at a threshold does not flap.
func (l levels) next(cur Pressure, used float64) Pressure {
	switch {
	case used >= l.high, cur == PressureHigh && used >= l.medium:
		return PressureHigh
	case used >= l.medium, cur >= PressureMedium && used >= l.normal:
		return PressureMedium
	}
	return PressureNormal
}

func (bp *BackPressure) diskLevels(size uint64) levels {
	l := levels{bp.DiskHigh, bp.DiskMedium, bp.DiskNormal}
	if l.high == 0 {
		l.high = max(0, 100*(float64(size)-diskReserve)/float64(size))
	}
	if l.medium == 0 {
		l.medium = l.high - 2
	}
	if l.normal == 0 {
		l.normal = l.high - 4
	}
	return l
}

func (bp *BackPressure) memoryLevels() levels {
	l := levels{bp.MemoryHigh, bp.MemoryMedium, bp.MemoryNormal}
	if l.high == 0 {
		l.high = 75
	}
	if l.medium == 0 {
		l.medium = l.high - 2
	}
	if l.normal == 0 {
		l.normal = l.high - 4
	}
	return l
}

// WithBackPressure watches the queue's disk and the process's memory
// and refuses new mail under pressure with "452 4.3.1 Insufficient system
// resources" at MAIL, before any message data is read, while queued mail
// keeps being delivered (see Pressure for what each level refuses). Each
// change of level is logged at info and traced as EventBackPressure.
// Default: off.
func WithBackPressure(bp BackPressure) Option {
	return funcOption(func(o *options) { o.backPressure = &bp })
}

// Pressure returns the server's back-pressure level: the highest of
// its resources' (PressureNormal without WithBackPressure).
func (t *Server) Pressure() Pressure { return Pressure(t.pressure.Load()) }

// pressureRefusal is the MAIL reply back pressure gives a session, or nil.
func (s *session) pressureRefusal() error {
	switch p := s.s.t.Pressure(); {
	case p == PressureHigh, p == PressureMedium && !s.authenticated():
		// Not the client's fault: traced, but neither counted nor tarpitted.
		s.trace(Event{Kind: EventRefuse, Reply: replyNoResources, Detail: "MAIL"})
		return replyNoResources
	}
	return nil
}

// monitor is the resource watcher's state, touched only by its goroutine
// (and by Start before the goroutine runs).
type monitor struct {
	bp           BackPressure
	disk, memory Pressure
}

// newMonitor fills in the defaults of bp.
func newMonitor(bp BackPressure) *monitor {
	if bp.Interval <= 0 {
		bp.Interval = 2 * time.Second
	}
	if bp.Probe == nil {
		bp.Probe = SystemResources("")
	}
	return &monitor{bp: bp}
}

// watch samples the resources every interval of the server's clock
// until Shutdown. Readings are due at fixed steps from the first, so a
// clock that jumps (a test's) triggers one at least for each jump that
// covers a step.
func (t *Server) watch(m *monitor) {
	tick := make(chan struct{}, 1)
	fire := func() {
		select {
		case tick <- struct{}{}:
		default:
		}
	}
	due := t.opts.clock.Now().Add(m.bp.Interval)
	timer := t.opts.clock.AfterFunc(m.bp.Interval, fire)
	for {
		select {
		case <-t.done:
			timer.Stop()
			return
		case <-tick:
		}
		due = due.Add(m.bp.Interval)
		timer = t.opts.clock.AfterFunc(due.Sub(t.opts.clock.Now()), fire)
		t.sample(m)
	}
}

// sample reads the resources once and applies the new level. A failed
// reading keeps the levels as they were.
func (t *Server) sample(m *monitor) {
	r, err := m.bp.Probe(t.ctx)
	if err != nil {
		t.log.Warn("smtpx: resource probe failed; back pressure unchanged", "err", err)
		return
	}
	was := t.Pressure()
	var detail string
	if r.DiskSize > 0 {
		used := 100 * (1 - float64(r.DiskFree)/float64(r.DiskSize))
		m.disk = m.bp.diskLevels(r.DiskSize).next(m.disk, used)
		detail = fmt.Sprintf("disk %s (%.1f%% used)", m.disk, used)
	}
	if r.MemoryLimit > 0 {
		used := 100 * float64(r.Memory) / float64(r.MemoryLimit)
		m.memory = m.bp.memoryLevels().next(m.memory, used)
		if detail != "" {
			detail += ", "
		}
		detail += fmt.Sprintf("memory %s (%.1f%% used)", m.memory, used)
	}
	now := max(m.disk, m.memory)
	if now == was {
		return
	}
	t.pressure.Store(int32(now))
	t.log.Info("smtpx: back pressure", "level", now.String(), "was", was.String(), "resources", detail,
		"disk_free", r.DiskFree, "memory", r.Memory)
	t.emit(Event{Kind: EventBackPressure, Pressure: now, Detail: detail})
}
