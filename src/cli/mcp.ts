// `analyst mcp`: the MCP server on stdin / stdout for a coding agent, talking to a running service.
import { Command } from 'commander';
import { serverUrl } from './client.ts';

export function mcpCommand(): Command {
  return new Command('mcp')
    .description('serve the analyst to an agent over MCP (stdio): tools read runs, findings and curves of a running service, and ask it questions')
    .option('--server <url>', 'the service (default ANALYST_URL or http://127.0.0.1:8787); ANALYST_TOKEN is sent as its bearer token')
    .option('--json', 'say on stderr, as one JSON line, which service and tools it serves (stdout is the protocol\'s)')
    .action(async (opts: { server?: string; json?: boolean }) => {
      // Loaded on use: the other commands start without the MCP SDK.
      const [{ StdioServerTransport }, { serviceApi }, { analystMcpServer, TOOLS }, { VERSION }] = await Promise.all([
        import('@modelcontextprotocol/sdk/server/stdio.js'),
        import('../mcp/api.ts'),
        import('../mcp/tools.ts'),
        import('../mcp/version.ts'),
      ]);
      const token = process.env.ANALYST_TOKEN;
      const base = serverUrl(opts.server);
      const api = serviceApi(base, token ? { authorization: `Bearer ${token}` } : {});
      const allowControl = ['1', 'true', 'yes'].includes((process.env.ANALYST_MCP_ALLOW_CONTROL ?? '').trim().toLowerCase());
      const server = analystMcpServer(api, { allowControl, version: VERSION });
      const transport = new StdioServerTransport();
      const closed = new Promise<void>((resolve) => {
        transport.onclose = () => resolve();
      });
      await server.connect(transport);
      const tools = allowControl ? TOOLS : TOOLS.filter((t) => t !== 'control_run');
      process.stderr.write(opts.json ? `${JSON.stringify({ server: base, tools })}\n` : `analyst mcp: ${tools.length} tools for ${base}\n`);
      // stdout is the protocol's: nothing else may be written there. The agent ends the session by closing stdin.
      process.stdin.once('end', () => void server.close());
      await closed;
    });
}
