// The tune / check split: by source, by a fixed hash, so that it never moves when rules change.
import { createHash } from 'node:crypto';

export type Half = 'tune' | 'check';

/**
 * The half a source belongs to: the low bit of the first byte of its SHA-256. Splitting by source
 * rather than by run keeps look-alike runs (seeds of one configuration, files of one repository)
 * together, so the check half measures runs from places the rules were never tuned on.
 */
export function halfOf(source: string): Half {
  return createHash('sha256').update(source).digest()[0] & 1 ? 'check' : 'tune';
}
