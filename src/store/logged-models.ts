export interface KeyValue {
  key: string;
  value: string;
}

/** An MLflow 3 logged model's record, as MLflow answers it. */
export interface LoggedModel {
  model_id: string;
  experiment_id: string;
  name: string;
  source_run_id?: string;
  status: string;
  model_type: string;
  tags: KeyValue[];
  params: KeyValue[];
  creation_timestamp_ms: number;
  last_updated_timestamp_ms: number;
}

/** MLflow 3's logged models (`mlflow.<flavour>.log_model`): records only; no model registry. */
export interface LoggedModelStore {
  /** A new model, LOGGED_MODEL_PENDING, with MLflow's kind of id ("m-" and 32 hex digits). */
  create(m: { experiment_id: string; name: string; source_run_id?: string; model_type?: string; tags: KeyValue[]; params: KeyValue[] }, now: number): Promise<LoggedModel>;
  get(id: string): Promise<LoggedModel | undefined>;
  setStatus(id: string, status: string, now: number): Promise<void>;
  inExperiments(ids: string[]): Promise<LoggedModel[]>;
  ofRun(run: string): Promise<LoggedModel[]>;
}
