// The setup both provider suites share: a wire server, a generated run in a MemorySource, clean queues.
import { afterAll, afterEach, beforeAll } from 'vitest';
import { MemorySource } from '../../../src/analyst/memory-source.ts';
import { loadGenerated } from '../../analyst/fixture.ts';
import type { WireServer } from './common.ts';

// Per LLM call in these tests: long enough for a wire server on a loaded machine to answer, short
// enough that the tests of a server that never answers do not take long.
export const TIMEOUT = 2000;

export interface WireSuite {
  server: WireServer;
  source: MemorySource;
}

/** Registers the hooks and returns an object whose fields are set once `beforeAll` has run. */
export function wireSuite(start: () => Promise<WireServer>, run: string): WireSuite {
  const suite = {} as WireSuite;
  beforeAll(async () => {
    suite.server = await start();
    suite.source = new MemorySource();
    await loadGenerated(suite.source, run);
  });
  afterAll(() => suite.server.close());
  afterEach(() => {
    suite.server.queue = [];
    suite.server.fallback = 'ok';
    suite.server.requests.length = 0;
  });
  return suite;
}
