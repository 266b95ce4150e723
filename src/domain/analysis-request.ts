// Schemas of the analyst's doors: analysis and chat requests, tuning suggestions and their tracking.
import { z } from 'zod';

export const AnalysisKind = z.enum(['analysis', 'tuning', 'troubleshoot']);
export type AnalysisKind = z.infer<typeof AnalysisKind>;

export const ProviderName = z.enum(['openai', 'ollama', 'offline']);
export type ProviderName = z.infer<typeof ProviderName>;

const RunId = z.string().trim().min(1).max(250);
const Model = z.string().trim().min(1).max(200);

export const AnalyzeInput = z.object({
  run: RunId,
  kind: AnalysisKind.default('analysis'),
  question: z.string().trim().min(1).max(4000).optional(),
  provider: ProviderName.optional(),
  model: Model.optional(),
});
export type AnalyzeInput = z.output<typeof AnalyzeInput>;

/** Seed 5's quick actions, each one of the three analyses asked through the chat. */
export const QuickAction = z.enum(['analyze', 'tune', 'diagnose']);
export type QuickAction = z.infer<typeof QuickAction>;

export const QUICK_ACTIONS: Record<QuickAction, { label: string; kind: AnalysisKind; message: string }> = {
  analyze: { label: 'Analyse current state', kind: 'analysis', message: 'Analyse the current state of this run.' },
  tune: { label: 'Suggest tuning', kind: 'tuning', message: 'Which hyperparameters should I change, and to what?' },
  diagnose: { label: 'Diagnose problems', kind: 'troubleshoot', message: 'What is going wrong with this run, and how do I fix it?' },
};

export const ChatInput = z
  .object({
    run: RunId,
    message: z.string().trim().min(1).max(8000).optional(),
    action: QuickAction.optional(),
    conversation: z.string().trim().min(1).max(100).optional(),
    provider: ProviderName.optional(),
    model: Model.optional(),
  })
  .refine((c) => c.message !== undefined || c.action !== undefined, { message: 'message or action is required', path: ['message'] });
export type ChatInput = z.output<typeof ChatInput>;

/** A hyperparameter value as it appears in a run's config. */
export const ParamValue = z.union([z.number(), z.string(), z.boolean(), z.null()]);
export type ParamValue = z.infer<typeof ParamValue>;

/** One tuning suggestion as a model (or the offline narrator) proposes it. */
export const ProposedSuggestion = z.object({
  parameter: z.string().min(1).max(200).describe('config key, e.g. lr or optimizer.weight_decay'),
  current: ParamValue.describe('the value in the run config, null when unknown'),
  proposed: ParamValue.describe('the value to use in the next run'),
  rationale: z.string().min(1).max(1000).describe('why, citing the numbers'),
  expected_effect: z.string().min(1).max(500),
  confidence: z.number().min(0).max(1),
});
export type ProposedSuggestion = z.infer<typeof ProposedSuggestion>;

/** The structured answer asked of a model for POST /analyze. */
export const StructuredAnswer = z.object({
  text: z.string().min(1).max(20_000).describe('the answer in plain language, with the numbers'),
  suggestions: z.array(ProposedSuggestion).max(8),
});
export type StructuredAnswer = z.infer<typeof StructuredAnswer>;

export type Suggestion = ProposedSuggestion & { id: string };

export interface UsageReport {
  prompt_tokens: number;
  completion_tokens: number;
  cost_usd?: number;
}

export const SuggestionStatus = z.enum(['proposed', 'accepted', 'rejected']);
export type SuggestionStatus = z.infer<typeof SuggestionStatus>;

export const SuggestionStatusInput = z.object({ status: z.enum(['accepted', 'rejected']) });

export const SuggestionQuery = z.object({ run: RunId });

/** What became of a suggestion once a later run of the same project or lineage applied it. */
export interface SuggestionOutcome {
  applied_run: string;
  metric: string;
  source_value: number | null;
  applied_value: number | null;
  improved: boolean | null;
  recorded_at: number;
}

export interface TrackedSuggestion extends Suggestion {
  run: string;
  project: string;
  kind: string;
  status: SuggestionStatus;
  created_at: number;
  updated_at: number;
  outcome: SuggestionOutcome | null;
}
