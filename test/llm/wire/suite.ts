// The setup both provider suites share: a wire server, a generated run in a MemorySource, clean queues.
import { afterAll, afterEach, beforeAll } from 'vitest';
import { MemorySource } from '../../../src/analyst/memory-source.ts';
import { loadGenerated } from '../../analyst/fixture.ts';
import type { WireServer } from './common.ts';

export const TIMEOUT = 600;
// Room for a loaded CI machine: the fallback itself takes a few ms after the deadline.
export const SLACK = 800;

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
