// Splits a growing byte or text stream into complete lines, keeping the unfinished tail for later.
import { StringDecoder } from 'node:string_decoder';

export class LineSplitter {
  // A chunk boundary may cut a UTF-8 character in two; the decoder holds the first half.
  private readonly decoder = new StringDecoder('utf8');
  private tail = '';

  /** Complete lines in this chunk (without their line endings); an unfinished last line waits. */
  push(chunk: string | Buffer): string[] {
    const text = this.tail + (typeof chunk === 'string' ? chunk : this.decoder.write(chunk));
    const lines = text.split('\n');
    this.tail = lines.pop() ?? '';
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i];
      if (line.endsWith('\r')) lines[i] = line.slice(0, -1);
    }
    return lines;
  }

  /** The last line when the stream ends without a newline. */
  end(): string[] {
    const rest = (this.tail + this.decoder.end()).replace(/\r$/, '');
    this.tail = '';
    return rest === '' ? [] : [rest];
  }
}
