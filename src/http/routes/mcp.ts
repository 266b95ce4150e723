// POST /mcp: the MCP server over streamable HTTP, behind the service's token; its tools call this same app.
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import type { Hono } from 'hono';
import { serviceApi } from '../../mcp/api.ts';
import { analystMcpServer } from '../../mcp/tools.ts';
import { VERSION } from '../../mcp/version.ts';

/**
 * Stateless: each request gets its own server and transport, so nothing is kept between calls
 * and any replica can answer. The tools reach the service through `app` itself, with the caller's
 * token: they see exactly what the caller may see, with the same checks and error answers.
 */
export function mountMcp(app: Hono, allowControl: boolean): void {
  app.all('/mcp', async (c) => {
    const origin = new URL(c.req.url).origin;
    const auth = c.req.header('authorization');
    const api = serviceApi(origin, auth ? { authorization: auth } : {}, (url, init) => Promise.resolve(app.fetch(new Request(url, init))));
    const server = analystMcpServer(api, { allowControl, version: VERSION });
    const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    await server.connect(transport);
    try {
      return await transport.handleRequest(c.req.raw);
    } finally {
      await server.close();
    }
  });
}
