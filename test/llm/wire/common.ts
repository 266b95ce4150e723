// What the wire servers of the tests share: a 127.0.0.1 server with scripted failure modes and a request log.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** How the server answers one request: normally, or one of the failures a real server shows. */
export type Mode = 'ok' | '429' | '500' | 'hang' | 'malformed' | 'half' | 'invalid' | 'notjson' | 'trickle';

export interface Logged {
  method: string;
  path: string;
  body: Record<string, unknown>;
}

export interface WireServer {
  url: string;
  requests: Logged[];
  /** Modes for the next requests, in order; when empty, `fallback` applies. */
  queue: Mode[];
  fallback: Mode;
  /** The plain-text reply, and the JSON object sent when a schema is asked for. */
  reply: string;
  structured: Record<string, unknown>;
  close(): Promise<void>;
}

export type Handler = (req: Logged, mode: Mode, res: ServerResponse, srv: WireServer) => void;

export const DEFAULT_STRUCTURED = {
  text: 'Validation loss is rising while training loss falls: the model overfits after its best epoch.',
  suggestions: [
    {
      parameter: 'weight_decay',
      current: null,
      proposed: 0.0001,
      rationale: 'val_loss rose above its minimum while train_loss kept falling',
      expected_effect: 'smaller train/val gap',
      confidence: 0.6,
    },
  ],
};

async function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

export async function startWire(handle: Handler): Promise<WireServer> {
  const sockets = new Set<Socket>();
  const srv: WireServer = {
    url: '',
    requests: [],
    queue: [],
    fallback: 'ok',
    reply: 'The run is overfitting: val_loss rose from 0.28 at epoch 17 to 0.39 at epoch 300.',
    structured: DEFAULT_STRUCTURED,
    close: async () => undefined,
  };
  const server: Server = createServer((req, res) => {
    void readBody(req).then((body) => {
      const logged = { method: req.method ?? 'GET', path: req.url ?? '/', body };
      srv.requests.push(logged);
      const mode = srv.queue.shift() ?? srv.fallback;
      if (mode === 'hang') return; // never answers: the client's deadline must cut it
      handle(logged, mode, res, srv);
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  srv.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  srv.close = () =>
    new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    });
  return srv;
}

/** The reply cut in a few pieces, the way models stream. */
export function pieces(text: string): string[] {
  return text.match(/.{1,12}(\s|$)|\S+/g) ?? [text];
}

export function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

export function promptTokens(body: Record<string, unknown>): number {
  return Math.ceil(JSON.stringify(body.messages ?? '').length / 4);
}
