// `analyst doctor`: which model the analyst uses, what its server accepts and how long it takes to answer.
import { Command } from 'commander';
import { LlmCheck } from '../domain/llm-check.ts';
import { parseOrThrow } from '../domain/errors.ts';
import { CliError, request, serverUrl } from './client.ts';

interface DoctorOptions {
  server?: string;
  json?: boolean;
}

type Out = { write(s: string): unknown };

export function doctorCommand(out: Out = process.stdout): Command {
  return new Command('doctor')
    .description("check the LLM settings of this environment (.env): provider, model, what the server accepts, a round trip; --server asks a running service instead")
    .option('--server <url>', "ask a running service (GET /llm?fresh=true) rather than this environment's settings")
    .option('--json', 'print the report as one JSON object')
    .action(async (opts: DoctorOptions) => {
      const report = opts.server !== undefined ? await fromServer(opts.server) : await fromEnvironment();
      out.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : render(report));
      if (!report.check.ok) throw new CliError(`the ${report.provider} check failed: ${report.check.error}`, 1);
    });
}

async function fromServer(server: string): Promise<LlmCheck> {
  return parseOrThrow(LlmCheck, await request(serverUrl(server), '/llm?fresh=true'), 'GET /llm');
}

/** The same choice `analyst serve` makes at start, then one check call. */
async function fromEnvironment(): Promise<LlmCheck> {
  // Loaded on use: the other commands start without the model clients.
  const [{ loadLlmConfig }, { selectDefault }, { checkLlm }, { CircuitBreaker }] = await Promise.all([
    import('../llm/config.ts'),
    import('../llm/select.ts'),
    import('../llm/doctor.ts'),
    import('../llm/breaker.ts'),
  ]);
  const cfg = loadLlmConfig();
  const selection = await selectDefault(cfg);
  return checkLlm({ ...selection, timeoutMs: cfg.timeoutMs, breaker: new CircuitBreaker(cfg.breaker.failures, cfg.breaker.cooldownMs) });
}

function render(r: LlmCheck): string {
  const lines = [`provider    ${r.provider}`, `model       ${r.model}`, `because     ${r.because}`];
  if (r.endpoint) lines.push(`endpoint    ${r.endpoint}`);
  for (const w of r.warnings) lines.push(`warning     ${w}`);
  if (r.accepted) {
    lines.push(`accepts     structured output: ${r.accepted.structured_output}; output cap: ${r.accepted.output_cap}`);
    for (const l of r.accepted.learned) lines.push(`learned     ${l}`);
  }
  lines.push(`circuit     ${r.circuit}`);
  if (r.provider === 'offline') lines.push('check       the offline narrator needs no server');
  else if (r.check.ok) lines.push(`check       answered in ${r.check.round_trip_ms} ms`);
  else lines.push(`check       failed${r.check.round_trip_ms !== null ? ` after ${r.check.round_trip_ms} ms` : ''}: ${r.check.error}`);
  return `${lines.join('\n')}\n`;
}
