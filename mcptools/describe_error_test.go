package mcptools

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/snowflakedb/gosnowflake"
)

// The driver wraps a failed result-chunk download as "getting chunk: <*url.Error>",
// and a *url.Error prints the presigned URL, whose query holds the access key id
// and signature. The tool result must not carry them (nor any other URL query),
// but still say where the request went.
func TestDescribeErrorHidesURLQuery(t *testing.T) {
	const chunk = "https://sfc-ds1-customer-stage.s3.us-west-2.amazonaws.com/abcd/results/01b2_0/main/data_0_0_1" +
		"?x-amz-server-side-encryption-customer-algorithm=AES256&AWSAccessKeyId=AKIAEXAMPLEKEY&Expires=1795651928&Signature=c2lnbmF0dXJl%3D"
	te := describeError(fmt.Errorf("getting chunk: %w", &url.Error{Op: "Get", URL: chunk, Err: errors.New("read: connection reset by peer")}), "")
	for _, secret := range []string{"AKIAEXAMPLEKEY", "c2lnbmF0dXJl", "Expires="} {
		if strings.Contains(te.Message, secret) {
			t.Errorf("tool error quotes %q: %s", secret, te.Message)
		}
	}
	if !strings.Contains(te.Message, "s3.us-west-2.amazonaws.com/abcd/results/01b2_0/main/data_0_0_1") ||
		!strings.Contains(te.Message, "connection reset by peer") {
		t.Errorf("tool error lost the URL's host and path or the cause: %s", te.Message)
	}

	// Driver errors with a URL argument (errMsgFailedToPostQuery) get the same treatment.
	se := &gosnowflake.SnowflakeError{Number: 261000, SQLState: "08006", Message: "failed to POST. HTTP: %v, URL: %v",
		MessageArgs: []any{503, "https://acct.snowflakecomputing.com/queries/v1/query-request?requestId=r1&request_guid=g1"}}
	te = describeError(se, "")
	if strings.Contains(te.Message, "request_guid") || !strings.Contains(te.Message, "acct.snowflakecomputing.com/queries/v1/query-request") {
		t.Errorf("Snowflake error message: %s", te.Message)
	}
}
