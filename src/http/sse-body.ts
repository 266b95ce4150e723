// The body of an SSE response, written by the service as events are committed.

/**
 * A response body the service pushes bytes into. A chunk written here is handed to the server's
 * pending read at once, so it reaches the connection in the same turn of the event loop as the
 * commit that published it; hono's streamSSE went through a TransformStream, a writer and a
 * second ReadableStream (a dozen promise hops per chunk) and encoded every chunk to UTF-8 once
 * per client, the larger part of the main thread's work per delivery at 10 subscribers.
 *
 * A client that reads slowly fills the connection; the server then stops reading, and `write`
 * waits until it reads again, so the stream's feed buffers events and, past its bound, overflows.
 */
export class SseBody {
  readonly stream: ReadableStream<Uint8Array>;
  private controller!: ReadableStreamDefaultController<Uint8Array>;
  private room: (() => void) | undefined;
  /** The client went away or the stream was ended: writes are dropped. */
  closed = false;

  constructor(onCancel: () => void) {
    this.stream = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.controller = controller;
        },
        pull: () => this.makeRoom(),
        cancel: () => {
          this.closed = true;
          this.makeRoom();
          onCancel();
        },
      },
      // One chunk may wait unread: more would hide a stuck client from the feed's bound.
      { highWaterMark: 1 },
    );
  }

  /** Queues `bytes`; resolves once the client has room for more. */
  async write(bytes: Uint8Array): Promise<void> {
    if (this.closed) return;
    this.controller.enqueue(bytes);
    if ((this.controller.desiredSize ?? 1) > 0) return;
    await new Promise<void>((resolve) => (this.room = resolve));
  }

  /** Ends the response after what was written. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.controller.close();
    this.makeRoom();
  }

  private makeRoom(): void {
    const room = this.room;
    this.room = undefined;
    room?.();
  }
}
