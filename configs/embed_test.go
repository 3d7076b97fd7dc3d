package configs

import (
	"strings"
	"testing"
)

func TestNamesAndGet(t *testing.T) {
	if got := strings.Join(Names(), ","); got != "development,production,staging" {
		t.Fatalf("Names() = %s", got)
	}
	for _, n := range Names() {
		b, err := Get(n)
		if err != nil || len(b) == 0 {
			t.Fatalf("Get(%q): %d bytes, %v", n, len(b), err)
		}
	}
	_, err := Get("moon")
	if err == nil || !strings.Contains(err.Error(), "development, production, staging") {
		t.Fatalf("Get(moon) error = %v", err)
	}
}
