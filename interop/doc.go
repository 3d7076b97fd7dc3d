// Package interop checks snowflake-mcp against real third-party MCP clients: the
// official TypeScript SDK client (client.mjs) and the MCP conformance suite, both
// pinned in package.json and run with the Node 22 that the npm package node@22
// installs. The tests need `npm ci` in this directory first.
package interop
