// The stores of the table-keeping modules on each engine, fresh for every test (test-db.ts): a
// SQLite file of its own, or a PostgreSQL schema of its own with further replicas on it.
import type { NewEvent, Store } from '../../src/store/store.ts';
import type { TestEngine } from './test-db.ts';
import { openTestStore, postgresUnavailable } from './test-db.ts';

/** One value of one metric as a trainer logs it. */
export interface Logged {
  step?: number;
  value: number;
  ts: number;
}

export interface OpenEngine {
  store: Store;
  /** Another replica on the same database; undefined for SQLite, whose file one process holds. */
  replica: (() => Promise<Store>) | undefined;
  /** A run in the project, for the modules that reach into runs (renaming an experiment renames its project). */
  addRun(id: string, project: string): Promise<void>;
  /** Metric values logged by a run, one event each, in this order. */
  log(run: string, name: string, values: Logged[]): Promise<void>;
  close(): Promise<void>;
}

/** Why the PostgreSQL tests are skipped, or undefined when the server answers. */
export const PG_DOWN = await postgresUnavailable();

/** Each engine, and why its tests are skipped (PostgreSQL when no server answers). */
export const ENGINES: Array<{ name: TestEngine; skip: string | undefined }> = [
  { name: 'sqlite', skip: undefined },
  { name: 'postgres', skip: PG_DOWN },
];

/** A suite title that tells why it was skipped. */
export const titled = (title: string, skip: string | undefined) => (skip ? `${title} (skipped: ${skip})` : title);

export async function openEngine(engine: TestEngine): Promise<OpenEngine> {
  const t = await openTestStore(engine);
  const { store } = t;
  return {
    store,
    replica: t.replica,
    async addRun(id, project) {
      await store.createRun({ id, name: id, project, config: {}, meta: {}, tags: {} }, 1);
    },
    async log(run, name, values) {
      const events = values.map((v): NewEvent => ({ body: { type: 'metrics', step: v.step, values: { [name]: v.value } }, ts: v.ts }) as NewEvent);
      await store.transaction(() => store.appendEvents(run, events, 1));
    },
    close: () => t.cleanup(),
  };
}
