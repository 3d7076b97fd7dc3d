// The reference stack snowflake-mcp is measured against: an MCP server on the
// official TypeScript SDK (stateless Streamable HTTP on express, as in the SDK's
// own stateless example) whose execute_query runs on the Node snowflake-sdk,
// plus bench_echo, a tool that touches no Snowflake (the MCP layer alone).
//
// Env: SNOWFLAKE_URL (http://127.0.0.1:PORT of the emulator), SNOWFLAKE_ACCOUNT,
// SNOWFLAKE_USER, SNOWFLAKE_PASSWORD, POOL_MAX (default 64), POOL_MIN (default 2).
// Prints "peer listening on 127.0.0.1:PORT" once its pool is warm and it accepts calls.
import express from 'express';
import snowflake from 'snowflake-sdk';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';

snowflake.configure({ logLevel: 'ERROR', disableOCSPChecks: true });

const poolMax = Number(process.env.POOL_MAX || 64);
const poolMin = Number(process.env.POOL_MIN || 2);
const pool = snowflake.createPool({
  account: process.env.SNOWFLAKE_ACCOUNT || 'demo',
  username: process.env.SNOWFLAKE_USER || 'demo',
  password: process.env.SNOWFLAKE_PASSWORD || 'demo',
  accessUrl: process.env.SNOWFLAKE_URL,
  database: 'DEMO',
  schema: 'SALES',
  application: 'snowflake-mcp-bench-peer',
}, { max: poolMax, min: poolMin });

function execute(sqlText) {
  return pool.use((conn) => new Promise((resolve, reject) => {
    conn.execute({
      sqlText,
      complete: (err, stmt, rows) => (err ? reject(err) : resolve({ stmt, rows: rows || [] })),
    });
  }));
}

function buildServer() {
  const server = new McpServer({ name: 'snowflake-mcp-bench-peer', version: '0.0.0' });
  server.registerTool('execute_query', {
    description: 'Run a SQL query on Snowflake and return its rows.',
    inputSchema: { query: z.string(), limit: z.number().int().positive().optional() },
  }, async ({ query, limit }) => {
    try {
      const { stmt, rows } = await execute(query);
      const capped = rows.slice(0, limit ?? 100);
      const columns = stmt.getColumns().map((c) => ({ name: c.getName(), type: c.getType() }));
      const result = { columns, rows: capped, row_count: capped.length, truncated: rows.length > capped.length, query_id: stmt.getQueryId() };
      return { content: [{ type: 'text', text: JSON.stringify(result) }], structuredContent: result };
    } catch (err) {
      return { isError: true, content: [{ type: 'text', text: `Snowflake error: ${err.message}` }] };
    }
  });
  server.registerTool('bench_echo', {
    description: 'Return the text it is given (no Snowflake).',
    inputSchema: { text: z.string() },
  }, async ({ text }) => ({ content: [{ type: 'text', text }] }));
  return server;
}

const app = express();
app.use(express.json({ limit: '4mb' }));
app.post('/mcp', async (req, res) => {
  const server = buildServer();
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
  res.on('close', () => { transport.close(); server.close(); });
  try {
    await server.connect(transport);
    await transport.handleRequest(req, res, req.body);
  } catch (err) {
    if (!res.headersSent) res.status(500).json({ jsonrpc: '2.0', error: { code: -32603, message: String(err) }, id: null });
  }
});

// Log in POOL_MIN sessions before reporting ready, as snowflake-mcp warms its pool.
await Promise.all(Array.from({ length: poolMin }, () => execute('SELECT 1')));
const listener = app.listen(0, '127.0.0.1', () => {
  console.log(`peer listening on 127.0.0.1:${listener.address().port}`);
});
const stop = () => listener.close(() => pool.drain().then(() => pool.clear()).finally(() => process.exit(0)));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
