// Package emulator owns the local Snowflake emulator: an HTTP server speaking
// the REST protocol gosnowflake uses (login, query, result polling, abort,
// chunks, token renewal), executing Snowflake-flavoured SQL on an embedded
// DuckDB, with an admin view of queries and fault injection for tests.
//
// Results go to the Go driver in Arrow (rowset.go; JSON on request and for
// other clients), built from the same JSON-form values so both formats agree.
// A SELECT is read from DuckDB a page at a time as the client downloads
// chunks (pagedSelect in exec.go). The engine is sandboxed (sandbox.go): no
// host files, no extensions, bounded memory and threads, and DuckDB's
// configuration is out of reach of client SQL. DuckDB errors become
// Snowflake errors in classifyError, the one place they are mapped.
package emulator
