// The analyst's use-cases: analyse a run (analysis, tuning, troubleshooting) and chat about it.
import { LRUCache } from 'lru-cache';
import { QUICK_ACTIONS, StructuredAnswer, type AnalysisKind, type AnalyzeInput, type ChatInput, type ProviderName, type Suggestion, type TrackedSuggestion, type UsageReport } from '../domain/analysis-request.ts';
import type { Finding } from '../domain/findings.ts';
import type { LlmCheck } from '../domain/llm-check.ts';
import type { Run } from '../domain/runs.ts';
import { ResponseCache } from '../llm/cache.ts';
import type { LlmConfig } from '../llm/config.ts';
import type { AnalysisFacts, TaskKind } from '../llm/facts.ts';
import { checkLlm } from '../llm/doctor.ts';
import type { LlmGateway } from '../llm/gateway.ts';
import { splitTokens } from '../llm/offline.ts';
import { render, type PromptSet } from '../llm/prompts.ts';
import type { ChatMessage, CompletionRequest } from '../llm/provider.ts';
import { estimateTokens } from '../llm/tokens.ts';
import type { UsageMeter } from '../llm/usage.ts';
import { buildContextBlock, curvesOf, othersOf, type ContextBlock } from './context-block.ts';
import type { Conversations } from './conversations.ts';
import { findRun, gatherFacts } from './facts.ts';
import { groundSuggestions, setAsideNote, type SetAside } from './grounding.ts';
import { RefreshLimiter } from './refresh-limit.ts';
import { clean } from './sanitize.ts';
import type { AnalystSource } from './source.ts';
import type { SuggestionTracker } from './suggestions.ts';

export const DEFAULT_QUESTIONS: Record<AnalysisKind, string> = {
  analysis: 'Analyse the current state of this run: what is happening, why, and what to do next.',
  tuning: 'Suggest hyperparameter changes for the next run, most important first.',
  troubleshoot: 'Diagnose what is going wrong with this run and how to fix it.',
};

/** Log lines offered to the context block; the block's budget decides how many stay. */
const LOG_LINES = 10;
/** Conversation history in the chat prompt, in characters: the run's data matters more. */
const HISTORY_CHARS = 3000;

export interface AnalyzeResult {
  run: string;
  kind: AnalysisKind;
  text: string;
  suggestions: Suggestion[];
  /** Suggestions of the model that contradict the advice of an open finding: left out, said here. */
  set_aside?: SetAside[];
  findings: Finding[];
  provider: ProviderName;
  model: string;
  cached: boolean;
  degraded: boolean;
  reason?: string;
  /** Set when a model's structured answer stayed invalid after one repair (text only). */
  structured_error?: string;
  usage: UsageReport;
  latency_ms: number;
  template: { name: string; version: string };
  context: { digest: string; tokens: number };
}

export interface ChatResult {
  run: string;
  conversation: string;
  message: string;
  provider: ProviderName;
  model: string;
  cached: boolean;
  degraded: boolean;
  reason?: string;
  /** Set when the offline narrator answered: why no model did. */
  offline_reason?: string;
  usage: UsageReport;
  latency_ms: number;
}

export interface ChatSession {
  conversation: string;
  /** The answer's tokens; read it to the end, then `done` settles. */
  tokens: AsyncIterable<string>;
  done: Promise<ChatResult>;
}

export interface AnalystParts {
  cfg: LlmConfig;
  source: AnalystSource;
  gateway: LlmGateway;
  prompts: PromptSet;
  meter: UsageMeter;
  suggestions: SuggestionTracker;
  conversations: Conversations;
  /** Why the default provider was chosen (ANALYST_LLM, or what the auto probe found). */
  because: string;
  /** Settings that look wrong, found when the provider was chosen. */
  warnings: string[];
}

interface Prepared {
  run: Run;
  facts: AnalysisFacts;
  block: ContextBlock;
}

const ZERO: UsageReport = { prompt_tokens: 0, completion_tokens: 0, cost_usd: 0 };

export class Analyst {
  private readonly analyses: ResponseCache<AnalyzeResult>;
  private readonly chats: ResponseCache<{ text: string; provider: ProviderName; model: string }>;
  private readonly auto: RefreshLimiter<AnalyzeResult>;
  private readonly blocks: LRUCache<string, { stamp: string; block: ContextBlock }>;
  private readonly inflight = new Map<string, Promise<AnalyzeResult>>();
  private lastCheck?: { at: number; check: Promise<LlmCheck> };
  /** The data block's share of ANALYST_CONTEXT_TOKENS: what the templates' own text leaves. */
  readonly blockBudget: number;

  constructor(readonly parts: AnalystParts) {
    this.analyses = new ResponseCache(parts.cfg.cacheSize, parts.cfg.cacheTtlMs);
    this.chats = new ResponseCache(parts.cfg.cacheSize, parts.cfg.cacheTtlMs);
    this.auto = new RefreshLimiter(parts.cfg.autoRefreshMs);
    this.blocks = new LRUCache({ max: 500 });
    this.blockBudget = Math.max(MIN_BLOCK_TOKENS, parts.cfg.contextTokens - templateOverhead(parts.prompts));
  }

  /**
   * The facts and the budgeted data block of a run as it is now. The block is rebuilt only when
   * the run has new events, its findings changed or its record (config) changed, which keeps cache hits well under 5 ms.
   */
  async prepare(ref: string): Promise<Prepared> {
    const { source } = this.parts;
    const run = await findRun(source, ref);
    const facts = await gatherFacts(source, run);
    const ctx = await source.context(run.id);
    const stamp = `${ctx.eventCount}|${ctx.lastSeq}|${ctx.status}|${facts.findings.map((f) => `${f.id}:${f.updated_at}`).join(',')}|${JSON.stringify(facts.run)}`;
    const memo = this.blocks.get(run.id);
    if (memo && memo.stamp === stamp) return { run, facts, block: memo.block };
    const logs = (await source.logs?.(run.id, LOG_LINES)) ?? [];
    const block = buildContextBlock({ facts, curves: curvesOf(ctx), others: othersOf(ctx), logs }, this.blockBudget);
    this.blocks.set(run.id, { stamp, block });
    return { run, facts, block };
  }

  /**
   * POST /analyze. `auto` marks analyses the service starts by itself (after a finding): those are
   * limited per run, and within the interval the previous automatic result comes back.
   */
  async analyze(input: AnalyzeInput, opts: { auto?: boolean } = {}): Promise<AnalyzeResult> {
    const started = performance.now();
    if (opts.auto) {
      const recent = this.auto.recent((await findRun(this.parts.source, input.run)).id);
      if (recent) return { ...recent, cached: true, usage: ZERO, latency_ms: round(performance.now() - started) };
    }
    const { run, facts, block } = await this.prepare(input.run);
    const template = this.parts.prompts[input.kind];
    const question = clean(input.question ?? DEFAULT_QUESTIONS[input.kind], 4000);
    const provider = this.parts.gateway.resolve(input);
    const key = ResponseCache.key({ provider: provider.name, model: provider.model, template: template.name, version: template.version, digest: block.digest, question });
    const hit = this.analyses.get(key);
    if (hit) {
      this.parts.meter.cacheHit(hit.provider, hit.model);
      return { ...hit, findings: facts.findings, cached: true, usage: ZERO, latency_ms: round(performance.now() - started) };
    }
    // Identical requests while the model is still answering share its answer: one call, one cost.
    const pending = this.inflight.get(key);
    if (pending) return { ...(await pending), cached: true, usage: ZERO, latency_ms: round(performance.now() - started) };
    const call = this.ask(input, opts, key, { run, facts, block, template, question, started });
    this.inflight.set(key, call);
    try {
      return await call;
    } finally {
      this.inflight.delete(key);
    }
  }

  private async ask(
    input: AnalyzeInput,
    opts: { auto?: boolean },
    key: string,
    p: Prepared & { template: PromptSet[TaskKind]; question: string; started: number },
  ): Promise<AnalyzeResult> {
    const { run, facts, block, template, question, started } = p;
    const req: CompletionRequest = {
      messages: render(template, { context: block.text, question }),
      task: { kind: input.kind, question: input.question, facts },
      maxTokens: this.parts.cfg.maxCompletionTokens,
    };
    const out = await this.parts.gateway.structured(req, StructuredAnswer, `${input.kind}_answer`, input);
    const { kept, setAside } = groundSuggestions(facts, out.value?.suggestions ?? []);
    const suggestions = await this.parts.suggestions.record(run, input.kind, kept);
    const text = out.degraded ? `(Offline analysis: ${out.reason}.)\n\n${out.text}` : out.text;
    const result: AnalyzeResult = {
      run: run.id,
      kind: input.kind,
      text: setAside.length ? `${text}\n\n${setAsideNote(setAside)}` : text,
      suggestions,
      ...(setAside.length ? { set_aside: setAside } : {}),
      findings: facts.findings,
      provider: out.provider,
      model: out.model,
      cached: false,
      degraded: out.degraded,
      ...(out.reason ? { reason: out.reason } : {}),
      ...(out.structured_error ? { structured_error: out.structured_error } : {}),
      usage: out.usage,
      latency_ms: round(performance.now() - started),
      template: { name: template.name, version: template.version },
      context: { digest: block.digest, tokens: block.tokens },
    };
    // A fallback answer is not what was asked for: the next request tries the model again.
    if (!out.degraded) this.analyses.set(key, result);
    if (opts.auto) this.auto.record(run.id, result);
    return result;
  }

  /** POST /chat: streams the answer; the conversation keeps both sides once it is complete. */
  async chat(input: ChatInput): Promise<ChatSession> {
    const started = performance.now();
    const { conversations, gateway, prompts, meter, cfg } = this.parts;
    const action = input.action ? QUICK_ACTIONS[input.action] : undefined;
    const message = clean(input.message ?? action!.message, 8000);
    const { run, facts, block } = await this.prepare(input.run);
    const conv = conversations.open(run.id, input.conversation);
    const history = historyText(conv.messages);
    const template = prompts.chat;
    const provider = gateway.resolve(input);
    const kind: TaskKind = action?.kind ?? 'chat';
    const key = ResponseCache.key({ provider: provider.name, model: provider.model, template: template.name, version: template.version, digest: block.digest, question: `${kind}\u0000${history}\u0000${message}` });
    const remember = (text: string) => conversations.append(run.id, conv.id, { role: 'user', content: message }, { role: 'assistant', content: text });
    const hit = this.chats.get(key);
    if (hit) {
      meter.cacheHit(hit.provider, hit.model);
      const tokens = splitTokens(hit.text);
      remember(hit.text);
      const done = Promise.resolve<ChatResult>({
        run: run.id,
        conversation: conv.id,
        message: hit.text,
        provider: hit.provider,
        model: hit.model,
        cached: true,
        degraded: false,
        ...this.offlineWhy(input, hit.provider),
        usage: ZERO,
        latency_ms: round(performance.now() - started),
      });
      return { conversation: conv.id, tokens: (async function* () { yield* tokens; })(), done };
    }
    const req: CompletionRequest = {
      messages: render(template, { context: block.text, history: history || '(none)', question: message }),
      task: { kind, question: message, facts },
      maxTokens: cfg.maxCompletionTokens,
    };
    const stream = gateway.stream(req, input);
    const done = stream.done.then((out): ChatResult => {
      remember(out.text);
      if (!out.degraded) this.chats.set(key, { text: out.text, provider: out.provider, model: out.model });
      return {
        run: run.id,
        conversation: conv.id,
        message: out.text,
        provider: out.provider,
        model: out.model,
        cached: false,
        degraded: out.degraded,
        ...(out.reason ? { reason: out.reason } : {}),
        ...this.offlineWhy(input, out.provider, out.reason),
        usage: out.usage,
        latency_ms: round(performance.now() - started),
      };
    });
    return { conversation: conv.id, tokens: stream, done };
  }

  /** Why the offline narrator answered rather than a model: the failure, the request, or the setting. */
  private offlineWhy(input: ChatInput, provider: ProviderName, failure?: string): { offline_reason?: string } {
    if (provider !== 'offline') return {};
    if (failure) return { offline_reason: failure };
    return { offline_reason: input.provider === 'offline' ? 'the request asked for the offline narrator' : `no model in use (${this.parts.because})` };
  }

  /** A run's suggestions with their status and outcome (GET /suggestions?run=). */
  async suggestions(ref: string): Promise<TrackedSuggestion[]> {
    return this.parts.suggestions.list((await findRun(this.parts.source, ref)).id);
  }

  /** Call when a run finishes: records the outcome of earlier suggestions it applied. */
  runFinished(run: string): Promise<number> {
    return this.parts.suggestions.runFinished(run);
  }

  setSuggestionStatus(id: string, status: 'accepted' | 'rejected'): Promise<TrackedSuggestion> {
    return this.parts.suggestions.setStatus(id, status);
  }

  /**
   * GET /llm: the default provider, what its server accepts and a connection check. A check is
   * one model call, so one made in the last minute is reused unless `fresh`.
   */
  llm(fresh = false): Promise<LlmCheck> {
    const now = Date.now();
    if (!fresh && this.lastCheck && now - this.lastCheck.at < CHECK_REUSE_MS) return this.lastCheck.check;
    const { gateway, because, warnings, cfg } = this.parts;
    const provider = gateway.defaultProvider;
    const check = checkLlm({ provider, because, warnings, timeoutMs: cfg.timeoutMs, breaker: gateway.breaker(provider.name) });
    this.lastCheck = { at: now, check };
    return check;
  }

  /** GET /usage, with the provider the analyst uses by default. */
  async usage() {
    const p = this.parts.gateway.defaultProvider;
    return { provider: { name: p.name, model: p.model, because: this.parts.because }, ...(await this.parts.meter.report()) };
  }
}

/** A dashboard polling GET /llm makes at most one model call a minute. */
const CHECK_REUSE_MS = 60_000;

/** Below this the block could not even hold the run's summary and findings. */
const MIN_BLOCK_TOKENS = 300;

/** Tokens of the largest template rendered around an empty data block, with its default question. */
function templateOverhead(prompts: PromptSet): number {
  let max = 0;
  for (const [kind, t] of Object.entries(prompts) as Array<[TaskKind, PromptSet[TaskKind]]>) {
    const question = kind === 'chat' ? QUICK_ACTIONS.analyze.message : DEFAULT_QUESTIONS[kind];
    const messages = render(t, { context: '', question, history: '(none)' });
    max = Math.max(max, messages.reduce((n, m) => n + estimateTokens(m.content), 0));
  }
  return max;
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;

/** The latest turns that fit HISTORY_CHARS, oldest first. */
function historyText(messages: ChatMessage[]): string {
  const out: string[] = [];
  let size = 0;
  for (let i = messages.length - 1; i >= 0; i--) {
    const line = `${messages[i].role}: ${clean(messages[i].content, 1500)}`;
    if (size + line.length > HISTORY_CHARS) break;
    out.unshift(line);
    size += line.length;
  }
  return out.join('\n');
}
