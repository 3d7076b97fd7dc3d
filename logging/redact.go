package logging

import "regexp"

// urlQuery matches a URL's query string. The driver's error for a failed result
// chunk download prints the presigned URL, whose query holds a signature.
var urlQuery = regexp.MustCompile(`(https?://[^\s"'?]+)\?[^\s"']*`)

// HideURLQueries keeps each URL's host and path (enough to tell where a request
// went) and drops its query, where presigned URLs carry credentials.
func HideURLQueries(s string) string {
	return urlQuery.ReplaceAllString(s, "$1?[REDACTED]")
}
