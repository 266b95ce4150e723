// Seed 1's reproducibility facts: the documented keys of a run's `meta`, checked where they are known.
import { z } from 'zod';
import { JsonObject } from './json-value.ts';

const Short = z.string().max(250);
/** Versions come as strings from Python, but a hand-written meta may say `3.11` or `12.1`. */
const Version = z.union([Short, z.number()]).transform(String);

/**
 * Keys the Python client fills at `init` (see clients/python `collect_metadata`) and the dashboard,
 * `analyst status` and the export show. Only their types are checked: any other key is kept as sent.
 */
export const RunMeta = JsonObject.pipe(
  z
    .object({
      git_commit: z.union([z.string().max(100), z.number()]).transform(String).optional(),
      git_dirty: z.boolean().optional(),
      git_branch: Short.optional(),
      python: Version.optional(),
      /** The training framework (torch, tensorflow, jax, ...) and its version. */
      framework: Short.optional(),
      framework_version: Version.optional(),
      /** CUDA's version; null when the framework was built without it. */
      cuda: Version.nullable().optional(),
      host: Short.optional(),
      platform: Short.optional(),
      gpu: Short.nullable().optional(),
      gpu_count: z.number().int().nonnegative().optional(),
      /** The lineage's model (see GET /lineage): stages of one model share it. */
      model_name: Short.optional(),
      command: z.string().max(10_000).optional(),
    })
    .passthrough(),
);

/** Frameworks recognised by the version key the client writes for them, when `framework` is not given. */
const FRAMEWORK_KEYS = ['torch', 'tensorflow', 'jax', 'keras', 'mxnet', 'paddle'] as const;

export interface Reproducibility {
  git_commit: string | null;
  git_dirty: boolean | null;
  python: string | null;
  framework: string | null;
  framework_version: string | null;
  cuda: string | null;
  host: string | null;
  gpu: string | null;
}

function str(v: unknown): string | null {
  return typeof v === 'string' || typeof v === 'number' ? String(v) : null;
}

/** The facts needed to run it again, in one shape whatever client sent them. */
export function reproducibilityOf(meta: Record<string, unknown>): Reproducibility {
  let framework = str(meta.framework);
  let version = str(meta.framework_version);
  if (!framework) {
    const key = FRAMEWORK_KEYS.find((k) => str(meta[k]));
    if (key) [framework, version] = [key, version ?? str(meta[key])];
  } else if (!version) version = str(meta[framework]);
  return {
    git_commit: str(meta.git_commit),
    git_dirty: typeof meta.git_dirty === 'boolean' ? meta.git_dirty : null,
    python: str(meta.python),
    framework,
    framework_version: version,
    cuda: str(meta.cuda),
    host: str(meta.host),
    gpu: str(meta.gpu),
  };
}
