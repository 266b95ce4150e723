// Tuning suggestions the offline narrator derives from open findings and the run's numbers.
import type { ParamValue, ProposedSuggestion } from '../../domain/analysis-request.ts';
import type { Finding, FindingKind } from '../../domain/findings.ts';
import { fmt, roundSig } from '../format.ts';
import type { AnalysisFacts } from '../facts.ts';
import { problems } from './describe.ts';
import { currentLr, findParam, numeric, type Knob } from './params.ts';

function asParam(v: unknown): ParamValue {
  if (v === undefined) return null;
  if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean' || v === null) return v;
  return JSON.stringify(v).slice(0, 200);
}

function scaleLr(facts: AnalysisFacts, factor: number, rationale: string, effect: string, confidence: number): ProposedSuggestion | undefined {
  const { param, value } = currentLr(facts);
  if (value === undefined || value <= 0) return undefined;
  return { parameter: param.key, current: value, proposed: roundSig(value * factor), rationale, expected_effect: effect, confidence };
}

function setKnob(facts: AnalysisFacts, knob: Knob, proposed: ParamValue, rationale: string, effect: string, confidence: number): ProposedSuggestion {
  const param = findParam(facts, knob);
  return { parameter: param.key, current: asParam(param.value), proposed, rationale, expected_effect: effect, confidence };
}

function evidence(f: Finding): string {
  const parts = Object.entries(f.evidence)
    .slice(0, 4)
    .map(([k, v]) => `${k} ${typeof v === 'number' ? fmt(v) : String(v)}`);
  return parts.length ? ` (${parts.join(', ')})` : '';
}

const where = (f: Finding) => (f.epoch !== null ? `epoch ${fmt(f.epoch)}` : f.step !== null ? `step ${f.step}` : 'this run');

type Rule = (facts: AnalysisFacts, f: Finding) => Array<ProposedSuggestion | undefined>;

const RULES: Partial<Record<FindingKind, Rule>> = {
  nan_loss: (facts, f) => [
    scaleLr(facts, 0.1, `the loss became non-finite at ${where(f)}${evidence(f)}`, 'finite loss and gradients', 0.7),
    setKnob(facts, 'grad_clip', 1, 'clipping bounds the update that turned the loss non-finite', 'no single step can blow the weights up', 0.6),
  ],
  divergence: (facts, f) => [
    scaleLr(facts, 0.1, `the loss diverged from its best value at ${where(f)}${evidence(f)}`, 'the loss keeps falling instead of growing', 0.75),
    setKnob(facts, 'grad_clip', 1, 'clipping limits the large steps that start a divergence', 'fewer loss spikes', 0.5),
  ],
  exploding_gradients: (facts, f) => [
    setKnob(facts, 'grad_clip', 1, `the gradient norm exploded at ${where(f)}${evidence(f)}`, 'gradient norm bounded at 1.0, stable updates', 0.75),
    scaleLr(facts, 0.3, 'a lower learning rate shrinks the steps that feed the explosion', 'smaller, steadier weight updates', 0.55),
  ],
  vanishing_gradients: (facts, f) => {
    const act = findParam(facts, 'activation');
    return [
      setKnob(facts, 'activation', 'relu', `the gradient vanished at ${where(f)}${evidence(f)}${act.found ? ` with ${String(act.value)} activations` : ''}`, 'gradients reach the early layers; the loss starts falling', 0.6),
    ];
  },
  dead_relu: (facts, f) => {
    const bias = findParam(facts, 'bias_init');
    return [
      setKnob(facts, 'activation', 'leaky_relu', `a layer's gradient is exactly zero at ${where(f)}${evidence(f)}`, 'units that are off still pass a small gradient and can recover', 0.6),
      bias.found && numeric(bias.value) !== undefined && numeric(bias.value)! < 0
        ? setKnob(facts, 'bias_init', 0, `a bias initialised at ${String(bias.value)} switches the ReLUs off from the start`, 'units start active', 0.65)
        : undefined,
    ];
  },
  lr_too_low: (facts, f) => [
    scaleLr(facts, 10, `the loss falls far too slowly for the gradients seen at ${where(f)}${evidence(f)}`, 'the loss falls several times faster per epoch', 0.7),
  ],
  oscillation: (facts, f) => {
    const momentum = numeric(findParam(facts, 'momentum').value);
    return [
      scaleLr(facts, 0.3, `the loss swings with a large amplitude and no trend at ${where(f)}${evidence(f)}`, 'smaller swings and a downward trend', 0.6),
      momentum !== undefined && momentum > 0.9
        ? setKnob(facts, 'momentum', 0.9, `momentum ${momentum} keeps overshooting`, 'less overshoot', 0.5)
        : undefined,
    ];
  },
  plateau: (facts, f) => [
    scaleLr(facts, 0.1, `the loss stopped improving at ${where(f)}${evidence(f)}`, 'a lower learning rate lets the loss settle further into the minimum', 0.5),
  ],
  overfitting: (facts, f) => {
    const wd = numeric(findParam(facts, 'weight_decay').value);
    const dropout = numeric(findParam(facts, 'dropout').value);
    const best = facts.progress.best;
    const out: Array<ProposedSuggestion | undefined> = [
      setKnob(facts, 'weight_decay', wd && wd > 0 ? roundSig(wd * 10) : 1e-4, `validation gets worse while training improves from ${where(f)}${evidence(f)}`, 'a smaller gap between training and validation loss', 0.6),
    ];
    if (dropout === undefined || dropout < 0.3) {
      out.push(setKnob(facts, 'dropout', 0.3, 'dropout regularises a model that memorises its training set', 'validation loss rises later and less', 0.45));
    }
    if (best?.epoch !== null && best?.epoch !== undefined && best.epoch > 0) {
      const epochs = Math.ceil(best.epoch * 1.2);
      out.push(setKnob(facts, 'epochs', epochs, `the best ${best.metric} (${fmt(best.value)}) came at epoch ${fmt(best.epoch)}`, 'the same best model in a fraction of the time', 0.65));
    }
    return out;
  },
  slow_throughput: (facts, f) => {
    const workers = numeric(findParam(facts, 'num_workers').value);
    return [setKnob(facts, 'num_workers', workers ? workers * 2 : 4, `steps got slower at ${where(f)}${evidence(f)}`, 'the data loader keeps up with the device', 0.4)];
  },
};

/** Suggestions for each problem (open, else resolved), most severe first; one per parameter. */
export function suggestTuning(facts: AnalysisFacts): ProposedSuggestion[] {
  const out: ProposedSuggestion[] = [];
  const seen = new Set<string>();
  for (const f of problems(facts).findings) {
    for (const s of RULES[f.kind]?.(facts, f) ?? []) {
      if (!s || seen.has(s.parameter)) continue;
      seen.add(s.parameter);
      out.push(s);
    }
  }
  if (out.length === 0) {
    const extra = healthyTuning(facts);
    if (extra) out.push(extra);
  }
  return out.slice(0, 8);
}

/** With no problem found, the one question left is how long to train. */
function healthyTuning(facts: AnalysisFacts): ProposedSuggestion | undefined {
  const best = facts.progress.best;
  const epoch = facts.progress.epoch;
  if (!best || best.epoch === null || epoch === null || epoch < 4) return undefined;
  if (best.epoch >= epoch * 0.9) {
    return setKnob(facts, 'epochs', Math.ceil(epoch * 1.5), `${best.metric} was still improving at the last epoch (best ${fmt(best.value)} at epoch ${fmt(best.epoch)} of ${fmt(epoch)})`, 'a better final model', 0.4);
  }
  if (best.epoch < epoch * 0.6) {
    return setKnob(facts, 'epochs', Math.ceil(best.epoch * 1.2), `${best.metric} has not improved since epoch ${fmt(best.epoch)} (best ${fmt(best.value)}); the last ${fmt(epoch - best.epoch)} epochs added nothing`, 'the same model in less time', 0.45);
  }
  return undefined;
}
