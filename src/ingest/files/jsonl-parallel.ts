// JSON Lines read with a second thread: the worker splits and parses, this thread builds events.
import { closeSync, openSync, readSync } from 'node:fs';
import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';
import { AnalystError } from '../../domain/errors.ts';
import type { EventInput } from '../../domain/events.ts';
import { ReadTally } from './read-tally.ts';
import { readJsonLine } from './jsonl.ts';
import { NumericRecords } from './records.ts';

const WORKER = new URL('./jsonl-split.worker.js', import.meta.url);
const CHUNK_BYTES = 1024 * 1024;
/**
 * The file's first lines, read by this thread while the worker starts (50 ms and more, longer on a
 * busy machine): about what this thread reads and diagnoses in that time. The worker reads on
 * from the last line that ends in them.
 */
const HEAD_BYTES = 1024 * 1024;
/** Batches the worker may read ahead: enough to keep both threads busy, little memory. */
const MAX_IN_FLIGHT = 4;
const POSTED = 0;
const CONSUMED = 1;

interface Batch {
  newKeys?: string[];
  raws?: Array<[number, string]>;
  data?: Float64Array;
  done?: true;
  error?: string;
}

/**
 * The events of a JSON Lines file, the same ones and in the same order as `createReader('jsonl')`
 * gives, with JSON.parse moved to a worker thread. Iterated synchronously: when the next batch is
 * not there yet, this thread waits on a shared counter the worker bumps after each post.
 * The first `headBytes` (HEAD_BYTES) are read on this thread while the worker starts.
 */
export function readJsonlInParallel(path: string, tally = new ReadTally(), opts: { headBytes?: number } = {}): Iterable<EventInput> {
  const headBytes = opts.headBytes ?? HEAD_BYTES;
  return {
    [Symbol.iterator](): Iterator<EventInput> {
      // The head's bytes up to its last newline (all of a file shorter than it), its lines decoded
      // one at a time as they are read (a 1 MB string would be split at a large object's cost),
      // or why the file cannot be read.
      let head = Buffer.alloc(0);
      let headAt = 0;
      let headLine = 0;
      let start = 0;
      let whole = false;
      let unreadable: string | undefined;
      try {
        const fd = openSync(path, 'r');
        try {
          const bytes = Buffer.allocUnsafe(headBytes);
          let n = 0;
          while (n < headBytes) {
            const got = readSync(fd, bytes, n, headBytes - n, n);
            if (got === 0) break;
            n += got;
          }
          whole = n < headBytes;
          // A newline byte is never part of a multi-byte character: the text up to one decodes alone.
          start = whole ? n : n === 0 ? 0 : bytes.lastIndexOf(10, n - 1) + 1;
          head = bytes;
        } finally {
          closeSync(fd);
        }
      } catch (error) {
        unreadable = (error as Error).message;
        start = 0;
        whole = true;
      }
      const { port1, port2 } = new MessageChannel();
      const control = new Int32Array(new SharedArrayBuffer(8));
      // The worker numbers its lines on from the head's.
      let headLines = 0;
      if (!whole) for (let i = head.indexOf(10); i >= 0 && i < start; i = head.indexOf(10, i + 1)) headLines++;
      const worker = whole
        ? undefined
        : new Worker(WORKER, {
            workerData: { path, start, firstLine: headLines, port: port2, control, chunkBytes: CHUNK_BYTES, maxInFlight: MAX_IN_FLIGHT },
            transferList: [port2],
            // Not the parent's options: under tsx (tests, the bench) those load the TypeScript loader
            // into the worker too, 0.1 s before its first batch, and the worker is plain JavaScript.
            execArgv: [],
          });
      worker?.unref();
      // Counts the values of the events it makes in the tally, by name index.
      const records = new NumericRecords(tally);
      let batch: Batch | undefined;
      let pos = 0;
      // Events of a line read by the ordinary reader (it may give none or several); reused.
      const out: EventInput[] = [];
      let outPos = 0;
      /** A line the ordinary reader reads into `out`: emptied here only, as setting an array's length is a runtime call, not for every line. */
      const readOrdinary = (line: string, lineNo: number) => {
        out.length = 0;
        outPos = 0;
        tally.lines++;
        readJsonLine(line, lineNo, out, tally);
        tally.count(out);
      };
      let finished = false;
      const stop = () => {
        finished = true;
        port1.close();
        void worker?.terminate();
      };
      const nextBatch = (): Batch => {
        for (;;) {
          const seen = Atomics.load(control, POSTED);
          const message = receiveMessageOnPort(port1);
          if (message) {
            Atomics.add(control, CONSUMED, 1);
            Atomics.notify(control, CONSUMED);
            return message.message as Batch;
          }
          // A worker that died without a word would leave this wait forever: it wakes to look again.
          Atomics.wait(control, POSTED, seen, 1000);
        }
      };
      return {
        next(): IteratorResult<EventInput> {
          for (;;) {
            if (outPos < out.length) return { done: false, value: out[outPos++] };
            if (finished) return { done: true, value: undefined };
            if (headAt < start) {
              // A newline byte is never part of a multi-byte character: each line decodes alone.
              const newline = head.indexOf(10, headAt);
              const end = newline < 0 || newline >= start ? start : newline;
              let line = head.toString('utf8', headAt, end);
              headAt = end + 1;
              headLine++;
              // As the worker hands over a line it did not pack.
              if (line.endsWith('\r')) line = line.slice(0, -1);
              if (line.trim() !== '') readOrdinary(line, headLine);
              continue;
            }
            if (unreadable !== undefined) {
              stop();
              throw new AnalystError('invalid_body', `cannot read ${path}: ${unreadable}`);
            }
            if (!worker) {
              stop();
              continue;
            }
            if (!batch?.data || pos >= batch.data.length) {
              batch = nextBatch();
              pos = 0;
              if (batch.error !== undefined) {
                stop();
                throw new AnalystError('invalid_body', `cannot read ${path}: ${batch.error}`);
              }
              if (batch.done) {
                stop();
                continue;
              }
              for (const k of batch.newKeys ?? []) records.addName(k);
              continue;
            }
            const data = batch.data;
            const header = data[pos++];
            if (header < 0) {
              const [lineNo, line] = batch.raws![-header - 1];
              readOrdinary(line, lineNo);
              continue;
            }
            // The fields of the object JSON.parse gave the worker, in the same order.
            const event = records.event(data, pos, header);
            pos += 2 * header;
            tally.lines++;
            if (event) return { done: false, value: event };
          }
        },
        return(): IteratorResult<EventInput> {
          if (!finished) stop();
          return { done: true, value: undefined };
        },
      };
    },
  };
}
