package mcptools

import (
	"bytes"
	"encoding/json"
	"io"
	"sync"
	"time"
)

// AnswerBeforeEOF wraps a stdio transport's input and output so that the end of
// the client's input (`printf '...' | snowflake-mcp stdio`) holds back EOF until
// every request read so far has been answered, for at most EOFGrace: the SDK
// cancels what is in flight when its input ends, which is right for a client
// that hung up on a long query but wrong for a pipe of quick requests. It
// counts JSON-RPC requests (an id and a method) in and responses (an id, no
// method) out, one message per line as the stdio transport frames them.
func AnswerBeforeEOF(in io.Reader, out io.Writer) (io.Reader, io.Writer) {
	p := &pending{}
	p.cond = sync.NewCond(&p.mu)
	return &countingReader{r: in, p: p}, &countingWriter{w: out, p: p}
}

// EOFGrace bounds how long the end of input waits for answers; calls still
// running then are cancelled (and their queries aborted in Snowflake).
const EOFGrace = 10 * time.Second

type pending struct {
	mu    sync.Mutex
	cond  *sync.Cond
	count int // requests read and not yet answered
}

func (p *pending) add(n int) {
	p.mu.Lock()
	p.count += n
	p.mu.Unlock()
	p.cond.Broadcast()
}

// waitZero waits until every request is answered or d has passed.
func (p *pending) waitZero(d time.Duration) {
	expired := false
	t := time.AfterFunc(d, func() {
		p.mu.Lock()
		expired = true
		p.mu.Unlock()
		p.cond.Broadcast()
	})
	defer t.Stop()
	p.mu.Lock()
	for p.count > 0 && !expired {
		p.cond.Wait()
	}
	p.mu.Unlock()
}

// message is what counting needs of a JSON-RPC message.
type message struct {
	ID     json.RawMessage `json:"id"`
	Method string          `json:"method"`
}

func classify(line []byte) (request, response bool) {
	var m message
	if json.Unmarshal(line, &m) != nil || len(m.ID) == 0 || string(m.ID) == "null" {
		return false, false
	}
	return m.Method != "", m.Method == ""
}

// lines splits appended bytes into complete lines, keeping the partial tail.
type lines struct{ buf []byte }

func (l *lines) feed(b []byte, each func([]byte)) {
	l.buf = append(l.buf, b...)
	for {
		i := bytes.IndexByte(l.buf, '\n')
		if i < 0 {
			return
		}
		if line := bytes.TrimSpace(l.buf[:i]); len(line) > 0 {
			each(line)
		}
		l.buf = l.buf[i+1:]
	}
}

type countingReader struct {
	r io.Reader
	p *pending
	l lines
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.l.feed(b[:n], func(line []byte) {
		if req, _ := classify(line); req {
			c.p.add(1)
		}
	})
	if err == io.EOF {
		if tail := bytes.TrimSpace(c.l.buf); len(tail) > 0 { // a last line without newline
			if req, _ := classify(tail); req {
				c.p.add(1)
			}
			c.l.buf = nil
		}
		if n > 0 {
			return n, nil // hand over the data first; the next Read waits
		}
		c.p.waitZero(EOFGrace)
	}
	return n, err
}

type countingWriter struct {
	w  io.Writer
	p  *pending
	mu sync.Mutex
	l  lines
}

func (c *countingWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.mu.Lock()
	answered := 0
	c.l.feed(b[:n], func(line []byte) {
		if _, resp := classify(line); resp {
			answered++
		}
	})
	c.mu.Unlock()
	if answered > 0 {
		c.p.add(-answered)
	}
	return n, err
}
