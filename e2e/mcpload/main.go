// Command mcpload is the load generator the systemd container tests copy into a booted
// container (it is static, so any root runs it). It makes MCP tools/call requests over
// loopback from several workers until its stdin closes, then prints a JSON summary:
// calls answered, failures (a request sent whose answer was missing, non-200 or an MCP
// error), refused dials (nothing listening: not an in-flight call) and the X-Served-By-Pid
// of each answer.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

type summary struct {
	OK       int64          `json:"ok"`
	Failed   int64          `json:"failed"`
	Refused  int64          `json:"refused"`
	Errors   []string       `json:"errors"`
	ByPID    map[string]int `json:"by_pid"`
	Duration string         `json:"duration"`
}

func main() {
	url := flag.String("url", "http://127.0.0.1:8000/mcp", "MCP endpoint")
	workers := flag.Int("workers", 4, "concurrent callers")
	query := flag.String("query", "SELECT 1 AS ONE", "SQL each execute_query call runs")
	maxDur := flag.Duration("max", 5*time.Minute, "stop after this long even if stdin stays open")
	stopOnRefused := flag.Bool("stop-on-refused", false, "a worker stops at its first refused dial (the server is gone)")
	flag.Parse()

	ctx, cancel := context.WithTimeout(context.Background(), *maxDur)
	defer cancel()
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		cancel()
	}()

	client := &http.Client{Timeout: 2 * time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: *workers}}
	body, _ := json.Marshal(map[string]any{
		"jsonrpc": "2.0", "id": 1, "method": "tools/call",
		"params": map[string]any{"name": "execute_query", "arguments": map[string]any{"query": *query}},
	})
	var (
		s     summary
		mu    sync.Mutex
		ok    atomic.Int64
		fail  atomic.Int64
		refus atomic.Int64
		wg    sync.WaitGroup
	)
	s.ByPID = map[string]int{}
	start := time.Now()
	for range *workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				pid, err := call(client, *url, body)
				switch {
				case err == nil:
					ok.Add(1)
					mu.Lock()
					s.ByPID[pid]++
					mu.Unlock()
				case errors.Is(err, syscall.ECONNREFUSED):
					refus.Add(1)
					if *stopOnRefused {
						return
					}
					time.Sleep(10 * time.Millisecond) // nothing listens: do not spin
				default:
					fail.Add(1)
					mu.Lock()
					if len(s.Errors) < 20 {
						s.Errors = append(s.Errors, err.Error())
					}
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	s.OK, s.Failed, s.Refused = ok.Load(), fail.Load(), refus.Load()
	s.Duration = time.Since(start).Round(time.Millisecond).String()
	_ = json.NewEncoder(os.Stdout).Encode(&s)
}

// call makes one stateless tools/call. It is not bound to the run's context: a call that
// started finishes, which is what "in-flight calls complete" is about.
func call(client *http.Client, url string, body []byte) (string, error) {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("MCP-Protocol-Version", "2025-11-25")
	resp, err := client.Do(req)
	if err != nil {
		var op *net.OpError
		if errors.As(err, &op) && op.Op == "dial" {
			return "", err
		}
		return "", fmt.Errorf("request: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", fmt.Errorf("reading the answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("HTTP %d: %.200s", resp.StatusCode, raw)
	}
	payload := raw
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		sc := bufio.NewScanner(bytes.NewReader(raw))
		sc.Buffer(make([]byte, 1<<20), 16<<20)
		for sc.Scan() {
			if d, found := strings.CutPrefix(sc.Text(), "data:"); found {
				payload = []byte(strings.TrimSpace(d))
			}
		}
	}
	var r struct {
		Result *struct {
			IsError bool `json:"isError"`
			Content []struct {
				Text string `json:"text"`
			} `json:"content"`
		} `json:"result"`
		Error *struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(payload, &r); err != nil {
		return "", fmt.Errorf("decoding %.200q: %w", payload, err)
	}
	switch {
	case r.Error != nil:
		return "", fmt.Errorf("MCP error: %s", r.Error.Message)
	case r.Result == nil:
		return "", fmt.Errorf("no result in %.200q", payload)
	case r.Result.IsError:
		text := ""
		if len(r.Result.Content) > 0 {
			text = r.Result.Content[0].Text
		}
		return "", fmt.Errorf("tool error: %.200s", text)
	}
	pid := resp.Header.Get("X-Served-By-Pid")
	if _, err := strconv.Atoi(pid); err != nil {
		return "", fmt.Errorf("answer without X-Served-By-Pid")
	}
	return pid, nil
}
