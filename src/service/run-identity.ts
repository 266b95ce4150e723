// Run identity: a create makes a new run unless it resumes one or repeats an idempotency key.
import { createHash } from 'node:crypto';
import stableStringify from 'safe-stable-stringify';
import { AnalystError } from '../domain/errors.ts';
import type { CreateRunBody, CreateRunInput, Run } from '../domain/runs.ts';
import type { Store } from '../store/store.ts';

export interface CreatedRun {
  run: Run;
  /** False for a resumed run and for a retried create that returned the run it made the first time. */
  created: boolean;
  resumed: boolean;
}

/** Longest `Idempotency-Key` kept: a UUID or a hash fits many times over. */
export const MAX_IDEMPOTENCY_KEY = 255;

/** A run by id for `resume`: 404 when there is none, 410 when it was deleted. */
export async function existingRun(store: Store, id: string): Promise<Run> {
  const run = await store.getRun(id);
  if (run) return run;
  const gone = await store.deletedRun(id);
  if (gone) throw new AnalystError('gone', `run ${id} (${gone.project}/${gone.name}) was deleted on ${new Date(gone.deleted_at).toISOString()}`);
  throw new AnalystError('not_found', `no run ${JSON.stringify(id)}`);
}

/**
 * Stripe-style idempotency: the first create under a key (the `Idempotency-Key` header, or the
 * client's own run id) is remembered with a fingerprint of its body; the same key with the same
 * body returns that run, with another body it is refused, since the client would otherwise
 * believe it made a run it did not.
 */
export function createOrResume(store: Store, body: CreateRunBody, idempotencyKey: string | undefined, now: number): Promise<CreatedRun> {
  return store.transaction(async () => {
    const { resume, ...fields } = body;
    if (typeof resume === 'string') {
      const run = await existingRun(store, resume);
      for (const k of ['project', 'name'] as const) {
        if (fields[k] !== undefined && fields[k] !== run[k]) {
          const message = `run ${run.id} has ${k} ${JSON.stringify(run[k])}: resume it without "${k}" or with its own (rename with PATCH /runs/${run.id})`;
          throw new AnalystError('invalid_body', message, [{ path: k, message }]);
        }
      }
      return { run, created: false, resumed: true };
    }
    const input: CreateRunInput = { ...fields, name: fields.name!, project: fields.project ?? 'default' };
    if (resume === true) {
      const run = await store.findRun(input.project, input.name);
      if (run) return { run, created: false, resumed: true };
    }
    const fingerprint = createHash('sha256').update(stableStringify(input)).digest('hex');
    const keys: Array<[string, string]> = [];
    if (input.id !== undefined) keys.push([`id:${input.id}`, `run id ${input.id}`]);
    if (idempotencyKey !== undefined) keys.push([`key:${idempotencyKey}`, `Idempotency-Key ${JSON.stringify(idempotencyKey)}`]);
    for (const [key, what] of keys) {
      const seen = await store.runRequest(key);
      if (!seen) continue;
      if (seen.fingerprint !== fingerprint) {
        throw new AnalystError('idempotency_conflict', `${what} was already used to create run ${seen.run} with a different body; send the same body to get that run, or a new key for a new run`);
      }
      const run = await store.getRun(seen.run);
      if (run) return { run, created: false, resumed: false };
    }
    if (input.id !== undefined) {
      if (await store.getRun(input.id)) throw new AnalystError('conflict', `run id ${input.id} is taken by a run created without it as its key; choose another id`);
      if (await store.deletedRun(input.id)) await existingRun(store, input.id);
    }
    const run = await store.createRun(input, now);
    for (const [key] of keys) await store.saveRunRequest(key, { run: run.id, fingerprint }, now);
    return { run, created: true, resumed: false };
  });
}
