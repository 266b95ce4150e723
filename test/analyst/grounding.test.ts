// Answers agree with the run's open findings: the advice goes into the prompt, a contradicting
// suggestion is set aside (and said), the offline narrator answers a follow-up, `ask` says who answered.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MemorySource } from '../../src/analyst/memory-source.ts';
import { askCommand } from '../../src/cli/ask.ts';
import type { WireServer } from '../llm/wire/common.ts';
import { startOpenAIServer } from '../llm/wire/openai-server.ts';
import { GENERATED, loadGenerated, makeAnalyst } from './fixture.ts';

const source = new MemorySource();
let wire: WireServer;

beforeAll(async () => {
  wire = await startOpenAIServer();
  await loadGenerated(source, 'digits-s1-overfit');
  await loadGenerated(source, 'digits-s1-lr-too-high');
});
afterAll(() => wire.close());

const env = () => ({ ANALYST_LLM: 'openai', OPENAI_BASE_URL: `${wire.url}/v1`, OPENAI_MODEL: 'local-model', ANALYST_LLM_TIMEOUT_MS: '5000' });

const suggestion = (parameter: string, current: number | null, proposed: number) => ({
  parameter,
  current,
  proposed,
  rationale: 'the model says so',
  expected_effect: 'something better',
  confidence: 0.5,
});

describe('suggestions that contradict the diagnosis', () => {
  it('the prompt carries the advice; less weight decay and longer training on an overfitting run are set aside, said in the text', async () => {
    wire.requests.length = 0;
    wire.structured = {
      text: 'The run overfits after epoch 17.',
      suggestions: [suggestion('weight_decay', 0.01, 0), suggestion('dropout', 0.1, 0.3), suggestion('epochs', 300, 600)],
    };
    const { analyst } = await makeAnalyst(env(), source);
    const advice = (await analyst.prepare('digits-s1-overfit')).facts.findings.find((f) => f.kind === 'overfitting')!.actions[0];
    const r = await analyst.analyze({ run: 'digits-s1-overfit', kind: 'tuning' });
    const messages = wire.requests[0].body.messages as Array<{ role: string; content: string }>;
    expect(messages[1].content).toContain(advice.slice(0, 60));
    expect(messages[0].content).toMatch(/advice of the diagnosis engine/);
    expect(r.suggestions.map((s) => s.parameter)).toEqual(['dropout']);
    expect(r.set_aside?.map((s) => s.parameter)).toEqual(['weight_decay', 'epochs']);
    expect(r.set_aside?.[0].reason).toMatch(/^lowers weight_decay; the open overfitting finding advises: stop at epoch 17/);
    expect(r.text).toMatch(/\(Set aside, as it contradicts the diagnosis: weight_decay 0\.01 → 0 \(it lowers weight_decay; .*\); epochs 300 → 600/);
    // Set aside means not tracked either.
    expect((await analyst.suggestions('digits-s1-overfit')).map((s) => s.parameter)).toEqual(['dropout']);
  });

  it('a higher learning rate on a diverging run is set aside; a lower one is kept', async () => {
    wire.structured = { text: 'Diverging.', suggestions: [suggestion('lr', 1.5, 3), suggestion('max_grad_norm', null, 1)] };
    const { analyst } = await makeAnalyst(env(), source);
    const r = await analyst.analyze({ run: 'digits-s1-lr-too-high', kind: 'tuning', question: 'raise it?' });
    expect(r.set_aside).toEqual([{ parameter: 'lr', current: 1.5, proposed: 3, reason: 'raises the learning rate; the open divergence finding advises: lower lr from 1.5 to 0.15' }]);
    expect(r.suggestions.map((s) => s.parameter)).toEqual(['max_grad_norm']);
    wire.structured = { text: 'Diverging.', suggestions: [suggestion('lr', 1.5, 0.15)] };
    const kept = await analyst.analyze({ run: 'digits-s1-lr-too-high', kind: 'tuning', question: 'lower it?' });
    expect(kept.set_aside).toBeUndefined();
    expect(kept.suggestions.map((s) => s.proposed)).toEqual([0.15]);
  });
});

describe('the offline narrator answers a follow-up', () => {
  it('which knob first, why and what to expect: the first advice, not the tuning list', async () => {
    const { analyst } = await makeAnalyst({}, source);
    const first = await analyst.chat({ run: 'digits-s1-lr-too-high', message: 'What should I tune?' });
    for await (const _ of first.tokens);
    expect((await first.done).message).toMatch(/Suggested changes for the next run/);
    const follow = await analyst.chat({ run: 'digits-s1-lr-too-high', conversation: first.conversation, message: 'Which knob should I change first, and what should I expect?' });
    for await (const _ of follow.tokens);
    const text = (await follow.done).message;
    expect(text).toMatch(/^First: lower lr from 1\.5 to 0\.15\. Why this first: it answers the divergence \(critical\), the most severe problem: /);
    expect(text).toMatch(/What to expect: the loss keeps falling instead of growing\./);
    expect(text).toMatch(/If that is not enough: clip gradients/);
    expect(text).not.toMatch(/Suggested changes for the next run/);
  });
});

describe('analyst ask says who answered', () => {
  it('the offline narrator, and why, at the end of the text output', async () => {
    vi.stubEnv('ANALYST_LLM', 'offline');
    try {
      let out = '';
      await askCommand({ write: (s: string) => (out += s) }, { write: () => undefined })
        .exitOverride()
        .parseAsync(['which knob first?', '--file', `${GENERATED}/digits-s1-overfit.jsonl`], { from: 'user' });
      expect(out).toMatch(/^First: stop at epoch 17/);
      expect(out).toMatch(/\n\n\(Answered by the offline narrator, not a model: no model in use \(ANALYST_LLM=offline\)\.\)\n$/);
    } finally {
      vi.unstubAllEnvs();
    }
  });
});
