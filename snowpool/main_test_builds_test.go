package snowpool

import (
	"os"
	"testing"

	"github.com/snowflake-mcp/snowflake-mcp/testbin"
)

// TestMain removes the binaries testbin built for this package's tests.
func TestMain(m *testing.M) { os.Exit(testbin.Run(m)) }
