export interface RunSnapshot {
  seq: number;
  shape: string;
  state: string;
}

/** The latest snapshot of each run's in-memory state (see service/run-states.ts). */
export interface SnapshotStore {
  get(run: string): Promise<RunSnapshot | undefined>;
  save(run: string, snapshot: RunSnapshot, now: number): Promise<void>;
}
