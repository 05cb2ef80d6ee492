package wire

import (
	"bufio"
	"errors"
)

// ErrLineTooLong is returned for a command line, or a line of a message,
// longer than the limit given to the reader.
var ErrLineTooLong = errors.New("wire: line too long")

// ReadLine reads one command line from br and returns it without its line
// end. The slice aliases br's buffer and is valid until the next read. A
// line longer than max octets (line end included) fails with
// ErrLineTooLong; the rest of it is left unread, so the caller must close
// the connection. A missing final line end at EOF is io.EOF.
func ReadLine(br *bufio.Reader, max int) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	if len(line) > max || errors.Is(err, bufio.ErrBufferFull) {
		return nil, ErrLineTooLong
	}
	if err != nil {
		return nil, err
	}
	line = line[:len(line)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, nil
}
