// Real-client interop check: the official TypeScript MCP SDK connects to a running
// snowflake-mcp over Streamable HTTP, lists the tools and calls each one.
// Usage: node client.mjs <mcp-url>. Prints one JSON report on stdout; the Go test
// (interop_test.go) judges it. Exits 1 only when the client itself fails.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const url = process.argv[2];
if (!url) {
  console.error('usage: node client.mjs <mcp-url>');
  process.exit(2);
}

const calls = [
  ['list_databases', {}],
  ['list_schemas', { database: 'DEMO' }],
  ['list_tables', { database: 'DEMO', schema: 'SALES' }],
  ['list_views', { database: 'DEMO', schema: 'SALES' }],
  ['describe_table', { database: 'DEMO', schema: 'SALES', table_name: 'ORDERS' }],
  ['describe_view', { database: 'DEMO', schema: 'SALES', view_name: 'DAILY_REVENUE' }],
  ['query_view', { database: 'DEMO', schema: 'SALES', view_name: 'DAILY_REVENUE', limit: 3 }],
  ['execute_query', { query: 'SELECT REGION_ID, NAME FROM DEMO.SALES.REGIONS ORDER BY REGION_ID' }],
  ['execute_query', { query: 'DROP TABLE DEMO.SALES.ORDERS' }],
];

const client = new Client({ name: 'snowflake-mcp-interop', version: '0.0.1' });
// MCP_BEARER_TOKEN, when set, is sent as Authorization: Bearer on every request.
const bearer = process.env.MCP_BEARER_TOKEN;
const transport = new StreamableHTTPClientTransport(new URL(url),
  bearer ? { requestInit: { headers: { Authorization: `Bearer ${bearer}` } } } : undefined);
const report = { protocolVersion: null, server: null, tools: [], calls: [] };
try {
  await client.connect(transport);
  report.server = client.getServerVersion();
  report.protocolVersion = transport.protocolVersion ?? null;
  const { tools } = await client.listTools();
  report.tools = tools.map((t) => ({
    name: t.name,
    hasDescription: Boolean(t.description),
    readOnlyHint: t.annotations?.readOnlyHint ?? null,
    hasOutputSchema: Boolean(t.outputSchema),
  }));
  for (const [name, args] of calls) {
    const res = await client.callTool({ name, arguments: args });
    const text = (res.content ?? []).filter((c) => c.type === 'text').map((c) => c.text).join('\n');
    report.calls.push({
      name,
      args,
      isError: Boolean(res.isError),
      rowCount: res.structuredContent?.row_count ?? null,
      queryId: res.structuredContent?.query_id ?? null,
      errorKind: res.structuredContent?.error?.kind ?? null,
      text: text.slice(0, 400),
    });
  }
  await client.close();
} catch (err) {
  report.error = String(err?.stack ?? err);
  console.log(JSON.stringify(report));
  process.exit(1);
}
console.log(JSON.stringify(report));
