// Bench helpers for `npm run bench`: cache-hit latency, context build time, prompt size for long runs.
import type { EventInput } from '../domain/events.ts';
import { loadLlmConfig } from '../llm/config.ts';
import { render } from '../llm/prompts.ts';
import { estimateTokens } from '../llm/tokens.ts';
import { openStore } from '../store/open.ts';
import { createAnalyst } from './create.ts';
import { MemorySource } from './memory-source.ts';

/** A deterministic pseudo-random sequence (mulberry32), so every bench run sees the same curves. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A run of `points` training steps: noisy decaying loss, per-layer gradient norms, validation
 * every 100 steps that starts overfitting late, checkpoints and log lines now and then.
 */
export function* syntheticEvents(points: number, seed = 1): Generator<EventInput> {
  const rand = prng(seed);
  const stepsPerEpoch = Math.max(10, Math.floor(points / 50));
  yield { type: 'run_started', name: `synthetic-${points}`, project: 'bench', config: { lr: 0.001, batch_size: 64, optimizer: { name: 'adamw', weight_decay: 0.01 }, epochs: 50 }, total_steps: points };
  for (let step = 1; step <= points; step++) {
    const t = step / points;
    const values: Record<string, number> = {
      'train/loss': 2.3 * Math.exp(-4 * t) + 0.05 + 0.05 * (rand() - 0.5),
      learning_rate: step < points * 0.7 ? 0.001 : 0.0001,
      grad_norm: 1 + 0.3 * rand(),
      'grad_norm/encoder.layer.0': 0.1 + 0.03 * rand(),
      'grad_norm/encoder.layer.11': 0.4 + 0.1 * rand(),
    };
    const epoch = step / stepsPerEpoch;
    if (step % 100 === 0) {
      values.eval_loss = 2.2 * Math.exp(-4 * t) + 0.12 + 0.6 * Math.max(0, t - 0.6) ** 2 + 0.01 * rand();
      values.eval_accuracy = 0.6 + 0.3 * (1 - Math.exp(-4 * t));
    }
    yield { type: 'metrics', step, epoch, values };
    if (step % stepsPerEpoch === 0) yield { type: 'checkpoint_saved', path: `ckpt/step-${step}.pt`, step };
    if (step % 5000 === 0) yield { type: 'log', level: 'info', message: `step ${step}: loss ${values['train/loss'].toFixed(4)}` };
  }
}

export async function syntheticAnalyst(points: number, env: NodeJS.ProcessEnv = {}) {
  const source = new MemorySource();
  const id = `synthetic-${points}`;
  const t0 = performance.now();
  source.add(id, syntheticEvents(points));
  const foldMs = performance.now() - t0;
  const { analyst } = await createAnalyst({ source, store: await openStore(':memory:'), config: loadLlmConfig({ ANALYST_LLM: 'offline', ...env }) });
  return { analyst, source, id, foldMs };
}

/** Median time of an /analyze answered from the cache, in ms. */
export async function benchCacheHit(points = 10_000, repeats = 200): Promise<number> {
  const { analyst, id } = await syntheticAnalyst(points);
  await analyst.analyze({ run: id, kind: 'analysis' });
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    const r = await analyst.analyze({ run: id, kind: 'analysis' });
    times.push(performance.now() - t0);
    if (!r.cached) throw new Error('expected a cache hit');
  }
  return median(times);
}

/**
 * Context build for a long run: the time to fold `points` steps into the run's context (ingest
 * pays it once, event by event) and the time to build the prompt's data block from it.
 */
export async function benchContextBuild(points = 1_000_000): Promise<{ fold_ms: number; block_ms: number; tokens: number }> {
  const { analyst, source, id, foldMs } = await syntheticAnalyst(points);
  const times: number[] = [];
  let tokens = 0;
  for (let i = 0; i < 5; i++) {
    // A new event each time: the block is rebuilt, not served from its memo.
    source.add(id, [{ type: 'log', level: 'info', message: `bench ${i}` }]);
    const t0 = performance.now();
    tokens = (await analyst.prepare(id)).block.tokens;
    times.push(performance.now() - t0);
  }
  return { fold_ms: foldMs, block_ms: median(times), tokens };
}

/** Tokens of the data block and of the whole rendered prompt (analysis template) for a run of `points` steps. */
export async function benchPromptTokens(points: number): Promise<{ context_tokens: number; prompt_tokens: number; budget: number }> {
  const { analyst, id } = await syntheticAnalyst(points);
  const { block } = await analyst.prepare(id);
  const messages = render(analyst.parts.prompts.analysis, { context: block.text, question: 'Analyse the current state of this run.' });
  return {
    context_tokens: block.tokens,
    prompt_tokens: messages.reduce((n, m) => n + estimateTokens(m.content), 0),
    budget: analyst.parts.cfg.contextTokens,
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}
