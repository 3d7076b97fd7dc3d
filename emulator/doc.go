// Package emulator owns the local Snowflake emulator: an HTTP server speaking
// the REST protocol gosnowflake uses (login, query, result polling, abort,
// chunks, token renewal), executing Snowflake-flavoured SQL on an embedded
// DuckDB, with an admin view of queries and fault injection for tests.
package emulator
