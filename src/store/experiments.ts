/** An MLflow experiment; here it is the project its runs belong to. */
export interface Experiment {
  experiment_id: string;
  name: string;
  artifact_location: string;
  lifecycle_stage: string;
  tags: Record<string, string>;
  creation_time: number;
  last_update_time: number;
}

/** Experiments of the MLflow-compatible receiver. MLflow's "Default" experiment has id 0. */
export interface ExperimentStore {
  /** Without an artifact location, the experiment's is `mlflow-artifacts:/<id>`. */
  create(name: string, artifactLocation: string | undefined, now: number, id?: number): Promise<Experiment>;
  get(id: string): Promise<Experiment | undefined>;
  byName(name: string): Promise<Experiment | undefined>;
  list(): Promise<Experiment[]>;
  /**
   * An experiment is the project its runs belong to, so renaming it renames that project:
   * its runs stay its runs.
   */
  rename(id: string, name: string, now: number): Promise<void>;
  setStage(id: string, stage: 'active' | 'deleted', now: number): Promise<void>;
  setTag(id: string, key: string, value: string, now: number): Promise<void>;
}
