// Package walstore is the queue's storage engine on local disk: a
// storage.Store that makes each commit one fdatasync of a write-ahead log
// and applies the log, in the background, to a bbolt file.
//
// queue.Open uses it; a program only calls it to open the store itself
// and hand it to queue.OpenStore:
//
//	s, err := walstore.Open("/var/spool/hubedge", nil)
//	if errors.Is(err, walstore.ErrDirInUse) { ... another server runs here ... }
//	q, err := queue.OpenStore(s, queue.WithRouter(r), queue.WithDeliverer(d))
//
// A directory holds three files: WALFile and WALFile+".1", the two
// segments of the log, used in turn, and StoreFile, the bbolt file. A
// message delivered within about two seconds of its arrival never reaches
// bbolt: its puts and its delete meet in the log and cancel out. While
// bbolt fails (a full disk), every write fails with storage.ErrStoreFailed
// and the log keeps what bbolt lacks, for a retry or a restart to apply.
// Damage other than a torn last record (a crash mid-write, never
// acknowledged) fails Open with a *storage.CorruptError, and every body
// chunk carries a CRC-32C that its reader checks.
//
// WithCommitObserver reports each commit, once durable, with the number
// of message records it wrote and the time of its log sync: the figures
// of the group commit that metrics export.
//
// An almost empty directory takes about 3 MiB (1 MiB per log segment, 1
// MiB of bbolt); the segments grow by doubling to 8 MiB and then in 8 MiB
// steps, and bbolt grows in steps of half its size, up to 16 MiB. Neither
// file shrinks. README.md in this directory has the formats, checksums and
// the failure table.
package walstore
