// Every model call goes through here: caps, circuit breaker, deadline, retries, offline fallback, usage.
import type { z } from 'zod';
import type { ProviderName, UsageReport } from '../domain/analysis-request.ts';
import { CircuitBreaker } from './breaker.ts';
import type { LlmConfig } from './config.ts';
import { isOutage } from './errors.ts';
import type { AnalystMetrics } from './metrics.ts';
import { OfflineProvider } from './offline.ts';
import type { CompletionRequest, LlmUsage, Provider } from './provider.ts';
import { backoffMs, DeadlineError, isRetryable, sleep, withRetries } from './retry.ts';
import { resolveProvider } from './select.ts';
import { estimateTokens } from './tokens.ts';
import type { UsageMeter } from './usage.ts';

export interface CallOptions {
  provider?: ProviderName;
  model?: string;
}

export interface Outcome {
  provider: ProviderName;
  model: string;
  degraded: boolean;
  /** Why the offline narrator answered instead of the chosen model. */
  reason?: string;
  usage: UsageReport;
  latency_ms: number;
}

export interface StructuredOutcome<T> extends Outcome {
  value: T | undefined;
  text: string;
  /** Set when the model's structured answer stayed invalid after one repair: text only. */
  structured_error?: string;
}

export interface StreamOutcome extends Outcome {
  text: string;
}

export interface ChatStream extends AsyncIterable<string> {
  /** Settles once the stream has been read to its end. */
  readonly done: Promise<StreamOutcome>;
}

const OFFLINE = new OfflineProvider();

export class LlmGateway {
  private readonly breakers = new Map<string, CircuitBreaker>();

  constructor(
    readonly cfg: LlmConfig,
    readonly defaultProvider: Provider,
    private readonly meter: UsageMeter,
    private readonly metrics?: AnalystMetrics,
  ) {}

  resolve(opts: CallOptions = {}): Provider {
    return resolveProvider(this.cfg, this.defaultProvider, opts.provider, opts.model);
  }

  breaker(name: string): CircuitBreaker {
    let b = this.breakers.get(name);
    if (!b) {
      b = new CircuitBreaker(this.cfg.breaker.failures, this.cfg.breaker.cooldownMs);
      this.breakers.set(name, b);
    }
    return b;
  }

  /** Why this provider may not be called now (cap or open circuit), or undefined. */
  private async gate(provider: Provider): Promise<string | undefined> {
    if (provider.name === 'offline') return undefined;
    return (await this.meter.overCap()) ?? this.breaker(provider.name).blocked();
  }

  private async finish(provider: Provider, model: string, usage: LlmUsage, started: number, degraded: boolean, reason?: string): Promise<Outcome> {
    const latency = Date.now() - started;
    const cost = await this.meter.record(provider.name, model, usage, latency, degraded);
    this.metrics?.calls.inc({ provider: provider.name, outcome: degraded ? 'fallback' : 'ok' });
    if (degraded && reason) this.metrics?.degraded.inc({ reason: reasonLabel(reason) });
    return {
      provider: provider.name,
      model,
      degraded,
      ...(reason ? { reason } : {}),
      usage: { ...usage, ...(cost !== undefined ? { cost_usd: cost } : {}) },
      latency_ms: latency,
    };
  }

  private failed(provider: Provider, error: unknown): string {
    // A refused parameter or a wrong model name is a setting to fix, not a server that is down.
    if (isOutage(error)) this.breaker(provider.name).failure();
    this.metrics?.calls.inc({ provider: provider.name, outcome: 'error' });
    return `${provider.name} failed: ${(error as Error).message}`;
  }

  async structured<S extends z.ZodType>(req: CompletionRequest, schema: S, name: string, opts: CallOptions = {}): Promise<StructuredOutcome<z.output<S>>> {
    const started = Date.now();
    const provider = this.resolve(opts);
    const fallback = async (reason?: string) => {
      const r = await OFFLINE.structured(req, schema);
      return { ...(await this.finish(OFFLINE, OFFLINE.model, r.usage, started, reason !== undefined, reason)), value: r.value, text: r.text };
    };
    if (provider.name === 'offline') return fallback();
    const blocked = await this.gate(provider);
    if (blocked) return fallback(blocked);
    try {
      const r = await withRetries((signal) => provider.structured({ ...req, signal }, schema, name), this.retryOptions(started));
      this.breaker(provider.name).success();
      return {
        ...(await this.finish(provider, r.model, r.usage, started, false)),
        value: r.value,
        text: r.value !== undefined ? (r.value as { text?: string }).text ?? r.text : r.text,
        ...(r.error ? { structured_error: r.error } : {}),
      };
    } catch (error) {
      return fallback(this.failed(provider, error));
    }
  }

  private retryOptions(started: number) {
    return { deadline: started + this.cfg.timeoutMs, retries: this.cfg.retries, timeoutMs: this.cfg.timeoutMs };
  }

  /**
   * Streams an answer. Before the first token a failure is retried like any call; after it, the
   * model's partial answer stays and the offline narrator's answer follows with a note. No token
   * for `timeoutMs` (first or next) counts as a failure.
   */
  stream(req: CompletionRequest, opts: CallOptions = {}): ChatStream {
    const gateway = this;
    let settle!: (o: StreamOutcome) => void;
    let fail!: (e: unknown) => void;
    const done = new Promise<StreamOutcome>((res, rej) => {
      settle = res;
      fail = rej;
    });
    done.catch(() => undefined);
    async function* run(): AsyncGenerator<string> {
      const started = Date.now();
      let provider: Provider;
      try {
        provider = gateway.resolve(opts);
      } catch (error) {
        fail(error);
        throw error;
      }
      let text = '';
      const offline = async function* (reason?: string, prefix = '') {
        if (prefix) {
          text += prefix;
          yield prefix;
        }
        const s = OFFLINE.stream(req);
        for await (const t of s) {
          text += t;
          yield t;
        }
        settle({ ...(await gateway.finish(OFFLINE, OFFLINE.model, s.usage()!, started, reason !== undefined, reason)), text });
      };
      if (provider.name === 'offline') return yield* offline();
      const blocked = await gateway.gate(provider);
      if (blocked) return yield* offline(blocked, `(${blocked}.)\n\n`);
      let previous: unknown;
      for (let attempt = 0; ; attempt++) {
        const controller = new AbortController();
        let timedOut = false;
        let overdue = false;
        let timer: NodeJS.Timeout | undefined;
        // The first token must come before the call's deadline; each next one within the timeout;
        // and the whole answer within the stream deadline.
        const arm = (ms: number) => {
          const left = started + gateway.cfg.streamDeadlineMs - Date.now();
          timer = setTimeout(() => {
            timedOut = true;
            overdue = left <= ms;
            controller.abort();
          }, Math.max(0, Math.min(ms, left)));
        };
        arm(started + gateway.cfg.timeoutMs - Date.now());
        const s = provider.stream({ ...req, signal: controller.signal });
        try {
          for await (const t of s) {
            text += t;
            // A slow reader is not a slow model: the clock stops while the token is handed on.
            clearTimeout(timer);
            yield t;
            arm(gateway.cfg.timeoutMs);
          }
          clearTimeout(timer);
          gateway.breaker(provider.name).success();
          const usage = s.usage() ?? estimateUsage(req, text);
          settle({ ...(await gateway.finish(provider, provider.model, usage, started, false)), text });
          return;
        } catch (caught) {
          clearTimeout(timer);
          const error = overdue
            ? new DeadlineError(gateway.cfg.streamDeadlineMs, previous, 'for the whole answer')
            : timedOut
              ? new DeadlineError(gateway.cfg.timeoutMs, previous)
              : caught;
          const delay = backoffMs(attempt, error);
          if (!overdue && text === '' && isRetryable(error) && attempt < gateway.cfg.retries && Date.now() + delay < started + gateway.cfg.timeoutMs) {
            previous = error;
            await sleep(delay);
            continue;
          }
          const reason = gateway.failed(provider, error);
          if (text !== '') await gateway.meter.record(provider.name, provider.model, estimateUsage(req, text), Date.now() - started, true);
          const note = text === '' ? `(${reason}; the offline analyst answers.)\n\n` : `\n\n(${reason}; the answer was cut off, the offline analyst's answer follows.)\n\n`;
          return yield* offline(reason, note);
        } finally {
          clearTimeout(timer);
          controller.abort();
        }
      }
    }
    const it = run();
    return { [Symbol.asyncIterator]: () => it, done };
  }
}

function estimateUsage(req: CompletionRequest, text: string): LlmUsage {
  return { prompt_tokens: req.messages.reduce((n, m) => n + estimateTokens(m.content), 0), completion_tokens: estimateTokens(text) };
}

/** A bounded label for the degraded counter: the kind of failure, not its full message. */
function reasonLabel(reason: string): string {
  if (reason.includes('cap reached')) return 'cap';
  if (reason.includes('circuit')) return 'circuit_open';
  if (reason.includes('no answer within')) return 'timeout';
  const status = /HTTP (\d{3})/.exec(reason);
  if (status) return `http_${status[1]}`;
  if (reason.includes('stream ended')) return 'truncated_stream';
  return 'error';
}
