// The response cache: an unchanged run asked the same thing by the same model answers from memory.
import { LRUCache } from 'lru-cache';

export interface CacheKeyParts {
  provider: string;
  model: string;
  template: string;
  version: string;
  /** Digest of the context block: new data changes it, so stale answers are never served. */
  digest: string;
  question: string;
}

export class ResponseCache<V extends object> {
  private readonly lru: LRUCache<string, V>;

  constructor(max: number, ttlMs: number) {
    this.lru = new LRUCache<string, V>({ max, ttl: ttlMs > 0 ? ttlMs : undefined });
  }

  static key(p: CacheKeyParts): string {
    return [p.provider, p.model, `${p.template}@${p.version}`, p.digest, p.question].join('\u0000');
  }

  get(key: string): V | undefined {
    return this.lru.get(key);
  }

  set(key: string, value: V): void {
    this.lru.set(key, value);
  }

  get size(): number {
    return this.lru.size;
  }
}
