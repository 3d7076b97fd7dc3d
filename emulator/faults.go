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
	// Blackhole accepts protocol requests and never answers them (until the
	// client gives up or the fault is cleared): a hung Snowflake.
	Blackhole bool `json:"blackhole"`

	// One-shot actions, done when posted and never stored:

	// ExpireMasterTokens expires every session's tokens: the next request of each
	// answers 390112 and its renewal 390114, as when the master token ran out.
	ExpireMasterTokens bool `json:"expire_master_tokens,omitempty"`
	// DropSessions forgets every session: the next request of each answers
	// 390104, as after a restart of Snowflake.
	DropSessions bool `json:"drop_sessions,omitempty"`
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
	blackhole := fs.f.Blackhole
	fs.mu.Unlock()
	if blackhole {
		fs.holdWhileBlackhole(r)
		return true
	}
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

// holdWhileBlackhole blocks until the client hangs up or the blackhole is cleared;
// the request then ends without an answer.
func (fs *faults) holdWhileBlackhole(r *http.Request) {
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for fs.get().Blackhole {
		select {
		case <-r.Context().Done():
			return
		case <-t.C:
		}
	}
	panic(http.ErrAbortHandler) // close the connection without a response
}

func (s *Server) handleFaultsGet(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, s.faults.get())
}

func (s *Server) handleFaultsPost(w http.ResponseWriter, r *http.Request) {
	s.faults.mu.Lock()
	cur := s.faults.f
	err := json.NewDecoder(r.Body).Decode(&cur)
	expire, drop := cur.ExpireMasterTokens, cur.DropSessions
	cur.ExpireMasterTokens, cur.DropSessions = false, false
	if err == nil {
		s.faults.f = cur
	}
	s.faults.mu.Unlock()
	if err != nil {
		http.Error(w, "bad faults document: "+err.Error(), http.StatusBadRequest)
		return
	}
	if expire {
		s.expireMasterTokens()
	}
	if drop {
		s.dropSessions()
	}
	s.log.Info("faults set", "faults", cur, "expired_master_tokens", expire, "dropped_sessions", drop)
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

// expireMasterTokens makes every session's token expired and its master token
// unknown, so the driver's renewal gets 390114 and it must log in again.
func (s *Server) expireMasterTokens() {
	s.mu.Lock()
	for tok, ss := range s.masters {
		delete(s.masters, tok)
		ss.expireToken()
	}
	s.mu.Unlock()
}

// dropSessions forgets every session, as a restarted Snowflake would.
func (s *Server) dropSessions() {
	s.mu.Lock()
	gone := make([]*session, 0, len(s.sessions))
	for tok, ss := range s.sessions {
		gone = append(gone, ss)
		delete(s.sessions, tok)
		delete(s.masters, ss.master)
	}
	s.mu.Unlock()
	// Statements already running finish (close waits for them); only the
	// sessions' next requests fail.
	for _, ss := range gone {
		ss.close()
	}
}
