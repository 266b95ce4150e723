// The offline narrator: writes analyses, tuning advice and chat answers from findings and numbers.
import type { ProposedSuggestion, StructuredAnswer } from '../../domain/analysis-request.ts';
import { fmt } from '../format.ts';
import type { AnalysisFacts, NarratorTask } from '../facts.ts';
import { bestLine, findingParagraph, openFindings, problems, statusLine, trendLines } from './describe.ts';
import { GUIDE } from './guide.ts';
import { suggestTuning } from './tuning.ts';

function headline(facts: AnalysisFacts): string {
  const { findings, resolved } = problems(facts);
  if (findings.length === 0) return 'No problem detected so far.';
  const names = findings.map((f) => `${GUIDE[f.kind].title} (${f.severity}${resolved ? ', since resolved' : ''})`);
  return `Main problem: ${names[0]}${names.length > 1 ? `; also ${names.slice(1).join(', ')}` : ''}.`;
}

function overview(facts: AnalysisFacts): string[] {
  const lines = [statusLine(facts), headline(facts)];
  const best = bestLine(facts);
  if (best) lines.push(best);
  return lines;
}

function analysis(facts: AnalysisFacts): string {
  const parts = [overview(facts).join(' ')];
  const trends = trendLines(facts);
  if (trends.length) parts.push(`Trends:\n- ${trends.join('\n- ')}`);
  const open = openFindings(facts);
  if (open.length) parts.push(`Findings:\n${open.map((f, i) => `${i + 1}. ${findingParagraph(f, true)}`).join('\n')}`);
  const resolved = facts.findings.filter((f) => f.status === 'resolved');
  if (resolved.length) parts.push(`Resolved earlier:\n${resolved.map((f) => `- ${findingParagraph(f, false)}`).join('\n')}`);
  const events = facts.recent.slice(-5).map((e) => e.text);
  if (events.length) parts.push(`Recent events: ${events.join('; ')}.`);
  return parts.join('\n\n');
}

function troubleshoot(facts: AnalysisFacts): string {
  const { findings } = problems(facts);
  if (findings.length === 0) {
    const lines = [statusLine(facts), 'No diagnostic rule has fired: no NaN loss, divergence, exploding or vanishing gradients, dead units, oscillation, plateau or overfitting.'];
    const best = bestLine(facts);
    if (best) lines.push(best);
    return lines.join(' ');
  }
  return [
    `${statusLine(facts)} ${headline(facts)}`,
    ...findings.map((f, i) => `${i + 1}. ${f.status === 'resolved' ? '(resolved) ' : ''}${findingParagraph(f, true)}`),
  ].join('\n\n');
}

function suggestionLines(suggestions: ProposedSuggestion[]): string {
  return suggestions
    .map((s) => `- ${s.parameter}: ${s.current === null ? '(not set)' : fmtValue(s.current)} → ${fmtValue(s.proposed)}. ${s.rationale}; expected: ${s.expected_effect} (confidence ${fmt(s.confidence)}).`)
    .join('\n');
}

const fmtValue = (v: unknown) => (typeof v === 'number' ? fmt(v) : String(v));

function tuning(facts: AnalysisFacts, suggestions: ProposedSuggestion[]): string {
  const head = overview(facts).join(' ');
  if (suggestions.length === 0) return `${head}\n\nNothing to change yet: no finding calls for a different setting.`;
  return `${head}\n\nSuggested changes for the next run:\n${suggestionLines(suggestions)}`;
}

/** Words of an advice line that name each suggestion's knob, to pair the advice with its expected effect. */
const KNOB_WORDS: Array<[RegExp, RegExp]> = [
  [/^(lr|learning_rate|.*\.lr)$/i, /\blr\b|learning rate/i],
  [/weight_decay|^wd$/i, /weight decay/i],
  [/dropout/i, /dropout/i],
  [/epoch/i, /\bstop at epoch|\bepochs?\b/i],
  [/clip|grad_norm/i, /clip/i],
  [/momentum/i, /momentum/i],
  [/activation/i, /relu|gelu|activation/i],
  [/workers/i, /worker|loader/i],
];

function pairedSuggestion(action: string, suggestions: ProposedSuggestion[]): ProposedSuggestion | undefined {
  return suggestions.find((s) => KNOB_WORDS.some(([param, words]) => param.test(s.parameter) && words.test(action)));
}

/**
 * A follow-up about the plan: the one change to make first (the diagnosis engine's first advice
 * for the most severe problem), why, what it should do, and what comes after; not the list again.
 */
function firstMove(facts: AnalysisFacts, suggestions: ProposedSuggestion[]): string {
  const f = problems(facts).findings[0];
  const action = f?.actions[0];
  if (!f || !action) {
    const [first] = suggestions;
    if (!first) return `${statusLine(facts)} Nothing to change yet: no finding calls for a different setting.`;
    return `Change ${first.parameter} first: → ${fmtValue(first.proposed)}. Why: ${first.rationale}. What to expect: ${first.expected_effect}.`;
  }
  const paired = pairedSuggestion(action, suggestions);
  const next = [...f.actions.slice(1, 2), ...problems(facts).findings.slice(1).map((x) => x.actions[0]).filter((a): a is string => !!a && a !== action)];
  return [
    `First: ${action}.`,
    `Why this first: it answers the ${GUIDE[f.kind].title} (${f.severity}${f.status === 'resolved' ? ', since resolved' : ''}), the most severe problem: ${f.message} ${GUIDE[f.kind].why[0].toUpperCase()}${GUIDE[f.kind].why.slice(1)}.`,
    `What to expect: ${paired ? paired.expected_effect : `the ${GUIDE[f.kind].title} should not come back`}. Change only this in the next run, so that its effect is plain to see.`,
    next.length ? `If that is not enough: ${[...new Set(next)].slice(0, 2).join('; then ')}.` : 'Nothing else is called for yet.',
  ].join(' ');
}

/** Chat: answers the part of the run the question is about, with the numbers. */
function chat(facts: AnalysisFacts, question: string, suggestions: ProposedSuggestion[]): string {
  const q = question.toLowerCase();
  const open = openFindings(facts);
  const about = (re: RegExp) => re.test(q);
  if (about(/\bfirst\b|which (knob|one|change|setting|parameter|hyperparameter)|priorit|most important|start with|expect|what (will|would|should) happen|effect of/)) {
    return firstMove(facts, suggestions);
  }
  if (about(/overfit|generali[sz]|gap|memori[sz]/)) {
    const f = open.find((x) => x.kind === 'overfitting');
    if (f) return `Yes. ${findingParagraph(f, true)}`;
    const tl = facts.series.find((s) => s.name === 'train_loss');
    const vl = facts.series.find((s) => s.name === 'val_loss');
    const gap = tl && vl ? ` Latest train_loss ${fmt(tl.last)} vs val_loss ${fmt(vl.last)} (best val_loss ${fmt(vl.best)}).` : '';
    return `No overfitting detected: validation has not turned worse while training improved.${gap}`;
  }
  if (about(/tun|hyper|learning rate|\blr\b|batch|weight.?decay|dropout|change|should i|improve/)) return tuning(facts, suggestions);
  if (about(/wrong|problem|issue|fix|diagnos|nan|diverg|explod|vanish|gradient|dead|oscillat|plateau|why/)) return troubleshoot(facts);
  if (about(/best|checkpoint/)) {
    const ckpt = facts.recent.filter((e) => e.type.startsWith('checkpoint')).slice(-3).map((e) => e.text);
    return [bestLine(facts) ?? 'No validation or loss metric has been logged yet.', ckpt.length ? `Latest checkpoints: ${ckpt.join('; ')}.` : ''].filter(Boolean).join(' ');
  }
  if (about(/progress|eta|how long|status|stop|continue|finish|done/)) {
    const p = facts.progress;
    const eta = p.eta_s !== null ? ` About ${fmt(Math.round(p.eta_s))} s left.` : '';
    return `${statusLine(facts)}${eta} ${headline(facts)} ${bestLine(facts) ?? ''}`.trim();
  }
  return analysis(facts);
}

/** The narrator's whole answer for a task: text plus (for every kind) its tuning suggestions. */
export function narrate(task: NarratorTask): StructuredAnswer {
  const { facts } = task;
  const suggestions = suggestTuning(facts);
  switch (task.kind) {
    case 'analysis':
      return { text: task.question ? chat(facts, task.question, suggestions) : analysis(facts), suggestions };
    case 'tuning':
      return { text: tuning(facts, suggestions), suggestions };
    case 'troubleshoot':
      return { text: troubleshoot(facts), suggestions };
    case 'chat':
      return { text: chat(facts, task.question ?? '', suggestions), suggestions };
  }
}
