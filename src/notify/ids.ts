// Time-ordered ids (UUIDv7) for alerts and deliveries: new rows land at the end of their indexes,
// so writing them inside the ingest transaction dirties a page or two rather than random ones.
import { randomUUID } from 'node:crypto';

/** A v4 UUID (cheap: Node pools its randomness) with its first 48 bits made the time in ms. */
export function timeOrderedId(now = Date.now()): string {
  const time = now.toString(16).padStart(12, '0');
  const random = randomUUID();
  // random[14] is the version digit "4"; the variant bits after it are already those of RFC 9562.
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${random.slice(15)}`;
}
