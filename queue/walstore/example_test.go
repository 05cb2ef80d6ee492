package walstore_test

import (
	"errors"
	"fmt"
	"io"
	"log"
	"os"

	"github.com/hubedge/hubedge/queue/storage"
	"github.com/hubedge/hubedge/queue/walstore"
)

// A store is usually opened by queue.Open; opened directly, it applies
// batches and reads bodies back, and a second Open of its directory fails
// at once.
func ExampleOpen() {
	dir, err := os.MkdirTemp("", "spool")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	s, err := walstore.Open(dir, nil)
	if err != nil {
		log.Fatal(err)
	}
	err = s.Apply([]storage.Op{
		{Kind: storage.OpPutChunk, ID: "01JDEMO", Data: []byte("Subject: hi\r\n\r\nhello\r\n")},
		{Kind: storage.OpPutRecord, ID: "01JDEMO", Data: []byte(`{"v":1}`)},
	})
	if err != nil {
		log.Fatal(err)
	}
	rc, err := s.OpenBody("01JDEMO")
	if err != nil {
		log.Fatal(err)
	}
	body, _ := io.ReadAll(rc)
	rc.Close()
	fmt.Printf("%q\n", body)

	_, err = walstore.Open(dir, nil)
	fmt.Println(err != nil && errors.Is(err, walstore.ErrDirInUse))
	if err := s.Close(); err != nil {
		log.Fatal(err)
	}
	// Output:
	// "Subject: hi\r\n\r\nhello\r\n"
	// true
}
