// Schemas of the live doors: WebSocket messages, training control, upstream SSE sources.
import { z } from 'zod';

const Ref = z.string().min(1).max(500);
/** A client's own correlation id, echoed back on the reply. */
const ClientId = z.union([z.string().max(200), z.number()]).optional();

export const ControlAction = z.enum(['pause', 'resume', 'stop', 'checkpoint']);
export type ControlAction = z.infer<typeof ControlAction>;
export const ControlOutcome = z.enum(['done', 'failed']);
export type ControlOutcome = z.infer<typeof ControlOutcome>;

/** `POST /runs/:id/control`. */
export const ControlRequestInput = z.object({ action: ControlAction, reason: z.string().max(1000).optional() });
export type ControlRequestInput = z.output<typeof ControlRequestInput>;

/** `POST /runs/:id/control/:cid/ack`, and the body of a WebSocket `control_ack`. */
export const ControlAckInput = z.object({ outcome: ControlOutcome, message: z.string().max(4000).optional() });
export type ControlAckInput = z.output<typeof ControlAckInput>;

/** A control request and what became of it. */
export interface Control {
  id: string;
  run: string;
  action: ControlAction;
  reason: string | null;
  requested_at: number;
  /** The `control` event's seq in the run's log. */
  seq: number;
  /** Last time it was handed to a trainer (WebSocket push or HTTP poll); null while nobody asked. */
  delivered_at: number | null;
  acked_at: number | null;
  outcome: ControlOutcome | null;
  message: string | null;
}

/** Messages a WebSocket client (trainer or dashboard) may send. */
export const WsClientMessage = z.discriminatedUnion('type', [
  /** A trainer's batch; acknowledged with `ack` once committed. */
  z.object({ type: z.literal('events'), run: Ref, events: z.array(z.unknown()), id: ClientId }),
  /** A trainer that sends nothing yet but wants its control requests. */
  z.object({ type: z.literal('attach'), run: Ref, id: ClientId }),
  /** A dashboard: one run's events after `after` (seq), or every run's (of a project) after `after` (gid). */
  z.object({
    type: z.literal('subscribe'),
    run: Ref.optional(),
    project: Ref.optional(),
    after: z.number().int().min(0).optional(),
    /** Only these event types; all when absent. */
    types: z.array(z.string().max(64)).max(50).optional(),
    id: ClientId,
  }),
  z.object({ type: z.literal('unsubscribe'), run: Ref.optional(), project: Ref.optional(), id: ClientId }),
  z.object({ type: z.literal('control_ack'), id: z.string().min(1).max(200), outcome: ControlOutcome, message: z.string().max(4000).optional() }),
  z.object({ type: z.literal('ping'), id: ClientId }),
]);
export type WsClientMessage = z.output<typeof WsClientMessage>;

/** How to read an upstream SSE event: by its content, as JSON, as log lines, or not at all. */
export const SourceReading = z.enum(['auto', 'json', 'lines', 'ignore']);
export type SourceReading = z.infer<typeof SourceReading>;

export const SourceMapping = z
  .object({
    /** Reading per upstream event name (`message` when it has none); names not listed are read as `auto`. */
    events: z.record(z.string(), SourceReading).optional(),
  })
  .strict();
export type SourceMapping = z.output<typeof SourceMapping>;

/** `POST /sources`: subscribe the service to a trainer that already streams SSE. */
/**
 * Sent with every upstream request a source makes, carrying the service's instance id: a request
 * that comes back to the same service (a source pointed at itself, perhaps through a proxy) is
 * recognised and refused instead of feeding its own output back in a loop.
 */
export const SOURCE_INSTANCE_HEADER = 'x-training-analyst-source';

/** Headers that describe the connection, not the request: set by the service, never by a source. */
const RESERVED_HEADERS = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'upgrade', 'keep-alive', 'te', 'trailer', 'expect', SOURCE_INSTANCE_HEADER]);

export const CreateSourceInput = z.object({
  url: z
    .string()
    .url()
    .refine((u) => /^https?:\/\//i.test(u), 'only http and https sources can be read')
    .refine((u) => !URL.canParse(u) || !new URL(u).username, 'fetch refuses credentials in a URL: send them in headers (authorization)'),
  run: z.string().trim().min(1).max(250).optional(),
  project: z.string().trim().min(1).max(250).default('default'),
  // A name or value fetch cannot send would fail every reconnection forever: refuse it here, once.
  headers: z
    .record(z.string(), z.string().max(8000))
    .default({})
    .superRefine((headers, ctx) => {
      for (const [name, value] of Object.entries(headers)) {
        if (RESERVED_HEADERS.has(name.toLowerCase()) || name.toLowerCase().startsWith('proxy-')) {
          ctx.addIssue({ code: 'custom', path: [name], message: `${name} is set by the service for each connection, not by a source` });
          continue;
        }
        try {
          new Headers([[name, value]]);
        } catch (err) {
          ctx.addIssue({ code: 'custom', path: [name], message: (err as Error).message });
        }
      }
    }),
  mapping: SourceMapping.default({}),
});
export type CreateSourceInput = z.output<typeof CreateSourceInput>;

export type SourceState = 'connecting' | 'open' | 'waiting' | 'closed';

/** An upstream subscription as kept in the store. */
export interface Source {
  id: string;
  url: string;
  run: string;
  headers: Record<string, string>;
  mapping: SourceMapping;
  state: SourceState;
  last_event_id: string | null;
  last_event_at: number | null;
  events: number;
  /** Frames left unread by kind (`status`, `heartbeat`, ...): upstream output that is not training output. */
  not_read: Record<string, number>;
  last_error: string | null;
  last_error_at: number | null;
  /** The reconnection delay the upstream asked for with `retry:`. */
  retry_ms: number | null;
  created_at: number;
}
