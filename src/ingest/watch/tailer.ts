// Follows one growing file by its path: the bytes added since the last read, across rotation and truncation.
import { open, stat, type FileHandle } from 'node:fs/promises';

export type TailRead =
  /** Bytes of the file at [from, from + bytes.length). */
  | { kind: 'data'; from: number; bytes: Buffer }
  /** The path now names another file, or the file was truncated: read it again from the start. */
  | { kind: 'replaced' }
  /** Nothing new (or no file yet). */
  | { kind: 'idle' };

/** Big enough to read a burst in a few calls, small enough to keep memory flat on a huge backlog. */
const CHUNK = 4 * 1024 * 1024;
/** Bytes before the read position compared to tell a file rewritten in place from one appended to. */
const FINGERPRINT = 64;

/**
 * Rotation keeps the old file open until its last bytes are read (a logger may have written
 * after the rename), then reports `replaced`; a file that shrank was truncated in place
 * (copytruncate) and is `replaced` too. An inode different from the one remembered in the state
 * means the file was replaced while the watcher was not running.
 */
export class FileTailer {
  private fd: FileHandle | undefined;
  private ino: number | undefined;
  /** The last bytes read and the file's size and mtime then: a rewrite in place shows as a change under them. */
  private seen: { tail: Buffer; size: number; mtimeMs: number } | undefined;

  constructor(
    readonly path: string,
    /** Next byte to read. */
    public offset: number,
    /** Inode the offset belongs to; undefined for a file never read. */
    public expectedIno: number | undefined,
  ) {}

  async read(): Promise<TailRead> {
    const st = await stat(this.path, { bigint: false }).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });
    if (this.fd) {
      if (!st || st.ino !== this.ino) return this.drainOld();
      if (st.size < this.offset || (await this.rewritten(st.size, st.mtimeMs))) return this.replaced();
      return st.size > this.offset ? this.readAt(st.size, st.mtimeMs) : { kind: 'idle' };
    }
    if (!st) return { kind: 'idle' };
    this.fd = await open(this.path, 'r');
    this.ino = (await this.fd.stat()).ino;
    if ((this.expectedIno !== undefined && this.expectedIno !== this.ino) || st.size < this.offset) return this.replaced();
    this.expectedIno = this.ino;
    return st.size > this.offset ? this.readAt(st.size, st.mtimeMs) : { kind: 'idle' };
  }

  /** Reads again from `offset` (bytes read past it were not used); forgets what it saw past it. */
  rewind(offset: number): void {
    this.offset = offset;
    this.seen = undefined;
  }

  get inode(): number | undefined {
    return this.ino;
  }

  async close(): Promise<void> {
    await this.fd?.close();
    this.fd = undefined;
  }

  /** The old file after a rename: what is left of it, then `replaced`. */
  private async drainOld(): Promise<TailRead> {
    const st = await this.fd!.stat();
    if (st.size > this.offset) return this.readAt(st.size, st.mtimeMs);
    return this.replaced();
  }

  /**
   * copytruncate followed by new writes can leave the file as long as before or longer; only its
   * content tells. Checked when size or mtime moved: one small read per change.
   */
  private async rewritten(size: number, mtimeMs: number): Promise<boolean> {
    const seen = this.seen;
    if (!seen || (seen.size === size && seen.mtimeMs === mtimeMs)) return false;
    const now = Buffer.alloc(seen.tail.length);
    await this.fd!.read(now, 0, now.length, this.offset - now.length);
    return !now.equals(seen.tail);
  }

  private async replaced(): Promise<TailRead> {
    await this.close();
    this.offset = 0;
    this.expectedIno = undefined;
    this.seen = undefined;
    return { kind: 'replaced' };
  }

  private async readAt(size: number, mtimeMs: number): Promise<TailRead> {
    const length = Math.min(CHUNK, size - this.offset);
    const bytes = Buffer.allocUnsafe(length);
    const { bytesRead } = await this.fd!.read(bytes, 0, length, this.offset);
    const from = this.offset;
    this.offset += bytesRead;
    if (!bytesRead) return { kind: 'idle' };
    const data = bytes.subarray(0, bytesRead);
    const tail = Buffer.concat([this.seen?.tail ?? Buffer.alloc(0), data.subarray(-FINGERPRINT)]).subarray(-FINGERPRINT);
    this.seen = { tail: Buffer.from(tail), size: this.offset === size ? size : -1, mtimeMs };
    return { kind: 'data', from, bytes: data };
  }
}
