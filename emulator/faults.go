package emulator

import (
	"encoding/json"
	"net/http"
	"sync"
	"time"
)

// Faults is the fault-injection state, settable with POST /emulator/faults
// (fields left out keep their value) and cleared with DELETE /emulator/faults.
type Faults struct {
	// LoginDelay holds every login-request this long before answering.
	LoginDelay Duration `json:"login_delay"`
	// Fail503 answers the next N protocol requests with HTTP 503.
	Fail503 int `json:"fail_503"`
	// DropConnections closes the TCP connection of the next N protocol requests without answering.
	DropConnections int `json:"drop_connections"`
	// SessionTTL expires session tokens this long after issue (code 390112); 0 uses --session-ttl.
	SessionTTL Duration `json:"session_ttl"`
	// AsyncAfter overrides --async-after while set.
	AsyncAfter Duration `json:"async_after"`
	// QueryDelay holds every query-request this long before executing it.
	QueryDelay Duration `json:"query_delay"`
}

// Duration is a time.Duration that reads and writes as a Go duration string ("250ms").
type Duration time.Duration

// MarshalJSON renders the duration as a string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON accepts "1.5s" or a number of nanoseconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		v, err := time.ParseDuration(s)
		if err != nil {
			return err
		}
		*d = Duration(v)
		return nil
	}
	var n int64
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	*d = Duration(n)
	return nil
}

type faults struct {
	mu sync.Mutex
	f  Faults
}

func (fs *faults) get() Faults {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.f
}

func (fs *faults) loginDelay() time.Duration { return time.Duration(fs.get().LoginDelay) }

func (fs *faults) sessionTTL(def time.Duration) time.Duration {
	if v := fs.get().SessionTTL; v > 0 {
		return time.Duration(v)
	}
	return def
}

func (fs *faults) asyncAfter(def time.Duration) time.Duration {
	if v := fs.get().AsyncAfter; v > 0 {
		return time.Duration(v)
	}
	return def
}

// apply consumes one-shot faults for a protocol request; true means it was answered.
func (fs *faults) apply(w http.ResponseWriter, r *http.Request) bool {
	fs.mu.Lock()
	drop, fail := false, false
	if fs.f.DropConnections > 0 {
		fs.f.DropConnections--
		drop = true
	} else if fs.f.Fail503 > 0 {
		fs.f.Fail503--
		fail = true
	}
	delay := time.Duration(fs.f.QueryDelay)
	fs.mu.Unlock()
	switch {
	case drop:
		if hj, ok := w.(http.Hijacker); ok {
			if c, _, err := hj.Hijack(); err == nil {
				_ = c.Close()
				return true
			}
		}
		panic(http.ErrAbortHandler)
	case fail:
		http.Error(w, "service unavailable (injected fault)", http.StatusServiceUnavailable)
		return true
	}
	if delay > 0 && r.URL.Path == "/queries/v1/query-request" {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return true
		}
	}
	return false
}

func (s *Server) handleFaultsGet(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, s.faults.get())
}

func (s *Server) handleFaultsPost(w http.ResponseWriter, r *http.Request) {
	s.faults.mu.Lock()
	cur := s.faults.f
	err := json.NewDecoder(r.Body).Decode(&cur)
	if err == nil {
		s.faults.f = cur
	}
	s.faults.mu.Unlock()
	if err != nil {
		http.Error(w, "bad faults document: "+err.Error(), http.StatusBadRequest)
		return
	}
	s.log.Info("faults set", "faults", cur)
	writeJSON(w, cur)
}

func (s *Server) handleFaultsClear(w http.ResponseWriter, _ *http.Request) {
	s.faults.mu.Lock()
	s.faults.f = Faults{}
	s.faults.mu.Unlock()
	writeJSON(w, Faults{})
}

// SetFaults replaces the fault state (for in-process use).
func (s *Server) SetFaults(f Faults) {
	s.faults.mu.Lock()
	s.faults.f = f
	s.faults.mu.Unlock()
}
