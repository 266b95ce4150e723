// Keeps a model's suggestions in line with the diagnosis engine's advice for the run's open findings.
import { lrFactor } from '../diagnose/advice.ts';
import type { ParamValue, ProposedSuggestion } from '../domain/analysis-request.ts';
import type { Finding, FindingKind } from '../domain/findings.ts';
import { fmt } from '../llm/format.ts';
import type { AnalysisFacts } from '../llm/facts.ts';
import { currentLr, findParam, knobOf, numeric, type Knob } from '../llm/narrator/params.ts';

/** A suggestion left out of the answer, with the advice it went against. */
export interface SetAside {
  parameter: string;
  current: ParamValue;
  proposed: ParamValue;
  reason: string;
}

/** Which way each knob must not move while findings of these kinds are open ('up' = must not rise). */
const FORBIDDEN: Array<{ knob: Knob; kinds: FindingKind[]; never: 'up' | 'down' }> = [
  { knob: 'weight_decay', kinds: ['overfitting'], never: 'down' },
  { knob: 'dropout', kinds: ['overfitting'], never: 'down' },
  { knob: 'epochs', kinds: ['overfitting'], never: 'up' },
  // A larger max norm clips less: the opposite of what an unstable run needs.
  { knob: 'grad_clip', kinds: ['nan_loss', 'divergence', 'exploding_gradients'], never: 'up' },
  { knob: 'momentum', kinds: ['oscillation'], never: 'up' },
];

function direction(from: number | undefined, to: number | undefined): 'up' | 'down' | undefined {
  if (from === undefined || to === undefined || from === to) return undefined;
  return to > from ? 'up' : 'down';
}

/** The value the run has now: the suggestion's own `current`, else the config's (or the logged lr). */
function currentOf(facts: AnalysisFacts, s: ProposedSuggestion, knob: Knob): number | undefined {
  const stated = numeric(s.current);
  if (stated !== undefined) return stated;
  return knob === 'lr' ? currentLr(facts).value : numeric(findParam(facts, knob).value);
}

function advice(open: Finding[], kinds: readonly FindingKind[]): string {
  const f = open.find((x) => kinds.includes(x.kind));
  if (!f) return '';
  return `the open ${f.kind} finding advises: ${f.actions[0] ?? 'see the finding'}`;
}

function conflict(facts: AnalysisFacts, open: Finding[], s: ProposedSuggestion): string | undefined {
  const knob = knobOf(s.parameter);
  if (!knob) return undefined;
  const move = direction(currentOf(facts, s, knob), numeric(s.proposed));
  if (!move) return undefined;
  const raised = new Set(open.map((f) => f.kind));
  if (knob === 'lr') {
    // The advice engine's one learning-rate move for this set of findings.
    const factor = lrFactor(raised);
    if (factor === null || (factor < 1 ? move === 'down' : move === 'up')) return undefined;
    return `${move === 'up' ? 'raises' : 'lowers'} the learning rate; ${advice(open, [...raised])}`;
  }
  for (const rule of FORBIDDEN) {
    if (rule.knob === knob && rule.never === move && rule.kinds.some((k) => raised.has(k))) {
      return `${move === 'up' ? 'raises' : 'lowers'} ${s.parameter}; ${advice(open, rule.kinds)}`;
    }
  }
  return undefined;
}

/** Splits a model's suggestions into those that agree with the open findings' advice and those set aside. */
export function groundSuggestions(facts: AnalysisFacts, suggestions: ProposedSuggestion[]): { kept: ProposedSuggestion[]; setAside: SetAside[] } {
  const open = facts.findings.filter((f) => f.status === 'open');
  const kept: ProposedSuggestion[] = [];
  const setAside: SetAside[] = [];
  for (const s of suggestions) {
    const why = open.length ? conflict(facts, open, s) : undefined;
    if (why) setAside.push({ parameter: s.parameter, current: s.current, proposed: s.proposed, reason: why });
    else kept.push(s);
  }
  return { kept, setAside };
}

/** The note an answer ends with when suggestions were set aside: nothing leaves silently. */
export function setAsideNote(setAside: SetAside[]): string {
  const items = setAside.map((s) => `${s.parameter} ${s.current === null ? '' : `${show(s.current)} `}→ ${show(s.proposed)} (it ${s.reason})`);
  return `(Set aside, as it contradicts the diagnosis: ${items.join('; ')}.)`;
}

const show = (v: ParamValue) => (typeof v === 'number' ? fmt(v) : String(v));
