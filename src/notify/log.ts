// The logger shape the notifier writes to; pino satisfies it, and without one it stays silent.
export interface NotifyLog {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export const SILENT: NotifyLog = { warn: () => {}, error: () => {} };
