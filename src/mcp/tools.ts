// The analyst as an MCP server: at most eight tools, each answering compact, evidence-first JSON.
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { ApiError, type ServiceApi } from './api.ts';
import { compactAnalysis, compactChat, compactFinding, compactRun, compactSeries, compactStatus } from './compact.ts';

export interface McpOptions {
  /** ANALYST_MCP_ALLOW_CONTROL: whether agents may pause, resume or stop runs. */
  allowControl: boolean;
  version: string;
}

/** Every tool's name; `control_run` only when allowed. */
export const TOOLS = ['list_runs', 'run_status', 'metric_series', 'findings', 'compare_runs', 'analyze_run', 'ask', 'control_run'] as const;

const run = z.string().min(1).max(300).describe('run id, or project/name, or a name (its newest run)');

function ok(value: unknown): CallToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(value) }] };
}

/** A refusal of the service (unknown run, bad argument) is the tool's error, in the service's words. */
async function answer(fn: () => Promise<unknown>): Promise<CallToolResult> {
  try {
    return ok(await fn());
  } catch (error) {
    const message = error instanceof ApiError ? `${error.message} (HTTP ${error.status})` : `the service could not be reached: ${(error as Error).message}`;
    return { isError: true, content: [{ type: 'text', text: message }] };
  }
}

const q = (params: Record<string, string | number | undefined>) => {
  const s = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) s.set(k, String(v));
  const text = s.toString();
  return text ? `?${text}` : '';
};
const id = (r: string) => encodeURIComponent(r);

export function analystMcpServer(api: ServiceApi, opts: McpOptions): McpServer {
  const server = new McpServer({ name: 'training-analyst', version: opts.version });

  server.registerTool(
    'list_runs',
    {
      description: 'Training runs, newest first: id, name, project, status, open findings. At most `limit` runs (default 20), about 100 bytes each.',
      inputSchema: {
        project: z.string().max(200).optional(),
        name: z.string().max(200).optional(),
        status: z.enum(['running', 'stalled', 'lost', 'completed', 'failed', 'stopped']).optional(),
        limit: z.number().int().min(1).max(100).optional(),
      },
    },
    (a) =>
      answer(async () => {
        const r = (await api.get(`/runs${q({ project: a.project, name: a.name, status: a.status, limit: a.limit ?? 20 })}`)) as { runs: unknown[]; total: number };
        return { total: r.total, runs: r.runs.map(compactRun) };
      }),
  );

  server.registerTool(
    'run_status',
    {
      description: "One run now: status, progress (epoch, step, ETA), best metric, latest values, and its open findings with evidence and actions. About 1-3 KB.",
      inputSchema: { run },
    },
    (a) => answer(async () => compactStatus(await api.get(`/runs/${id(a.run)}`))),
  );

  server.registerTool(
    'metric_series',
    {
      description:
        'Metric curves of a run as [step, value] pairs, each downsampled to `points` (default 60, max 300) with LTTB, which keeps spikes and turns. Up to 8 metrics (default: all, first 8); about 12 bytes a point.',
      inputSchema: {
        run,
        metrics: z.array(z.string().min(1).max(200)).max(8).optional().describe('names as logged or canonical (val_loss finds eval_loss)'),
        points: z.number().int().min(3).max(300).optional(),
      },
    },
    (a) =>
      answer(async () => {
        const names = a.metrics?.length ? a.metrics.join(',') : undefined;
        const r = (await api.get(`/runs/${id(a.run)}/metrics${q({ names, max_points: a.points ?? 60 })}`)) as { series: unknown[] };
        return { series: r.series.slice(0, 8).map(compactSeries) };
      }),
  );

  server.registerTool(
    'findings',
    {
      description: 'What the diagnosis found in a run (NaN, divergence, exploding / vanishing gradients, overfitting, ...): evidence first, then where, message and actions. Open and resolved, or `status` only. About 600 bytes each.',
      inputSchema: { run, status: z.enum(['open', 'resolved']).optional() },
    },
    (a) =>
      answer(async () => {
        const r = (await api.get(`/runs/${id(a.run)}/findings${q({ status: a.status })}`)) as { findings: unknown[] };
        return { findings: r.findings.map(compactFinding) };
      }),
  );

  server.registerTool(
    'compare_runs',
    {
      description:
        'Runs side by side, given as `runs` (2 to 20) or as `a` and `b`: their ranking on the metric they share (best value, best epoch, epochs to converge), the config keys and summary figures that differ, each run\'s convergence, stability and overfitting, and the comparison in words. About 2 KB per run.',
      inputSchema: { runs: z.array(run).min(2).max(20).optional(), a: run.optional(), b: run.optional() },
    },
    (a) => answer(async () => api.get(`/runs/compare${a.runs ? q({ ids: a.runs.join(',') }) : q({ a: a.a, b: a.b })}`)),
  );

  server.registerTool(
    'analyze_run',
    {
      description:
        "The analyst's written analysis of a run (kind: analysis, tuning or troubleshoot) with structured suggestions that agree with the findings' advice, and which model answered. About 1-4 KB.",
      inputSchema: { run, kind: z.enum(['analysis', 'tuning', 'troubleshoot']).optional(), question: z.string().max(4000).optional() },
    },
    (a) => answer(async () => compactAnalysis(await api.post('/analyze', { run: a.run, kind: a.kind ?? 'analysis', ...(a.question ? { question: a.question } : {}) }))),
  );

  server.registerTool(
    'ask',
    {
      description: 'A question about a run, answered in plain language from its data; pass `conversation` back to follow up. About 0.5-3 KB.',
      inputSchema: { run, question: z.string().min(1).max(8000), conversation: z.string().max(200).optional() },
    },
    (a) =>
      answer(async () => compactChat(await api.post('/chat', { run: a.run, message: a.question, ...(a.conversation ? { conversation: a.conversation } : {}) }))),
  );

  // Changing a run is opt-in: an agent that only reads cannot pause someone's training.
  if (opts.allowControl) {
    server.registerTool(
      'control_run',
      {
        description: 'Asks a running trainer to pause, resume or stop (the trainer acts on its next poll or message). Returns the control request and its state, about 200 bytes.',
        inputSchema: { run, action: z.enum(['pause', 'resume', 'stop']), reason: z.string().max(1000).optional() },
      },
      (a) => answer(async () => api.post(`/runs/${id(a.run)}/control`, { action: a.action, ...(a.reason ? { reason: a.reason } : {}) })),
    );
  }
  return server;
}
