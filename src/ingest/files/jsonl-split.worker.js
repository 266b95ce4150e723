// Reads a JSON Lines file in a second thread: splits lines and runs JSON.parse, the larger half of
// reading a big file, while the main thread diagnoses. Plain JavaScript because worker threads
// do not inherit the TypeScript loader (a TypeScript worker takes 0.4 s to start).
//
// Records whose values are all plain numbers go back packed in a Float64Array (transferred, not
// copied): [field count, key index, value, key index, value, ...]. Every other non-blank line goes
// back as text, marked [-(index + 1)], for the main thread's ordinary JSONL reader, so anything
// unusual (strings such as "nan", nested objects, typed events, bad JSON) reads exactly as before.
import { closeSync, openSync, readSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { workerData } from 'node:worker_threads';

const { path, port, control, chunkBytes, maxInFlight } = workerData;
const POSTED = 0;
const CONSUMED = 1;
const keys = new Map();
const decoder = new StringDecoder('utf8');
let tail = '';
let lineNo = 0;

function pack(lines) {
  const newKeys = [];
  const raws = [];
  let data = new Float64Array(lines.length * 6 + 16);
  let n = 0;
  const ensure = (more) => {
    if (n + more <= data.length) return;
    const bigger = new Float64Array(Math.max(data.length * 2, n + more));
    bigger.set(data.subarray(0, n));
    data = bigger;
  };
  for (let line of lines) {
    lineNo++;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line.trim() === '') continue;
    let obj;
    try {
      obj = JSON.parse(line);
    } catch {
      obj = undefined;
    }
    let packed = false;
    if (obj !== null && typeof obj === 'object' && !Array.isArray(obj) && !('type' in obj) && !Object.hasOwn(obj, '__proto__')) {
      // One pass: write the fields, and take them back if a value turns out not to be a number.
      const start = n;
      let fields = 0;
      packed = true;
      for (const k in obj) {
        const v = obj[k];
        if (typeof v !== 'number') {
          packed = false;
          break;
        }
        let index = keys.get(k);
        if (index === undefined) {
          index = keys.size;
          keys.set(k, index);
          newKeys.push(k);
        }
        ensure(3);
        if (fields === 0) n++;
        data[n++] = index;
        data[n++] = v;
        fields++;
      }
      if (packed && fields > 0) data[start] = fields;
      else {
        packed = false;
        n = start;
      }
    }
    if (!packed) {
      ensure(1);
      data[n++] = -(raws.length + 1);
      raws.push([lineNo, line]);
    }
  }
  return { newKeys, raws, data: data.slice(0, n) };
}

function post(message, transfer = []) {
  // Bounded read-ahead: wait while the main thread has this many batches still to take.
  while (Atomics.load(control, POSTED) - Atomics.load(control, CONSUMED) >= maxInFlight) {
    Atomics.wait(control, CONSUMED, Atomics.load(control, CONSUMED), 100);
  }
  port.postMessage(message, transfer);
  Atomics.add(control, POSTED, 1);
  Atomics.notify(control, POSTED);
}

let fd;
try {
  fd = openSync(path, 'r');
  for (;;) {
    const chunk = Buffer.allocUnsafe(chunkBytes);
    const n = readSync(fd, chunk, 0, chunkBytes, null);
    const text = n === 0 ? tail + decoder.end() : tail + decoder.write(chunk.subarray(0, n));
    const lines = text.split('\n');
    tail = n === 0 ? '' : lines.pop();
    const batch = pack(lines);
    post(batch, [batch.data.buffer]);
    if (n === 0) break;
  }
  post({ done: true });
} catch (error) {
  post({ error: error instanceof Error ? error.message : String(error) });
} finally {
  if (fd !== undefined) closeSync(fd);
}
