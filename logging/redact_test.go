package logging

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/snowflake-mcp/snowflake-mcp/config"
)

// The driver's error for a failed chunk download carries the presigned URL;
// its signature must not reach query.log.
func TestRecordQueryHidesPresignedURLQuery(t *testing.T) {
	var buf bytes.Buffer
	logs, err := NewWriter(&buf, config.Log{Level: "info", Format: "json"})
	if err != nil {
		t.Fatal(err)
	}
	const secret = "X-Amz-Signature=deadbeef&X-Amz-Credential=AKIAEXAMPLE"
	logs.RecordQuery(context.Background(), QueryEvent{
		QueryID: "q1", Tool: "execute_query", Outcome: "error",
		Err: errors.New(`failed to get chunk: Get "https://bucket.s3.amazonaws.com/results/q1/data_0_0?` + secret + `": EOF`),
	})
	out := buf.String()
	if strings.Contains(out, "deadbeef") || strings.Contains(out, "AKIAEXAMPLE") {
		t.Fatalf("query log holds the URL's signature: %s", out)
	}
	if !strings.Contains(out, "https://bucket.s3.amazonaws.com/results/q1/data_0_0?[REDACTED]") {
		t.Fatalf("query log lost where the request went: %s", out)
	}
}

func TestHideURLQueriesKeepsPlainText(t *testing.T) {
	for in, want := range map[string]string{
		"no url here":                            "no url here",
		"see http://h/p":                         "see http://h/p",
		"a http://h/p?x=1 and https://g/q?y=2 b": "a http://h/p?[REDACTED] and https://g/q?[REDACTED] b",
	} {
		if got := HideURLQueries(in); got != want {
			t.Errorf("HideURLQueries(%q) = %q, want %q", in, got, want)
		}
	}
}
