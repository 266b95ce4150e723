// Incremental TFRecord framing reader: length, masked CRC of the length, data, masked CRC of the data.
import { maskedCrc32c } from './crc.ts';

const HEADER = 12; // uint64 length + uint32 length CRC
const FOOTER = 4; // uint32 data CRC
/** No scalar event comes near this; a larger length is a misread header, not a record to wait for. */
const MAX_RECORD = 256 * 1024 * 1024;

/** Whether bytes start with a TFRecord header whose length CRC verifies: how a renamed event file is recognised. */
export function hasRecordHeader(bytes: Buffer): boolean {
  return bytes.length >= HEADER && bytes.readUInt32LE(8) === maskedCrc32c(bytes, 0, 8);
}

export type TfRecordErrorCode = 'bad_length_crc' | 'bad_data_crc' | 'record_too_large' | 'truncated_record';

/** A record that could not be read; the reader skips it, reports it and goes on. */
export class TfRecordError extends Error {
  readonly code: TfRecordErrorCode;
  /** Byte offset of the record's header in the stream. */
  readonly offset: number;

  constructor(code: TfRecordErrorCode, offset: number, message: string) {
    super(message);
    this.name = 'TfRecordError';
    this.code = code;
    this.offset = offset;
  }
}

export interface TfRecordBatch {
  records: Buffer[];
  errors: TfRecordError[];
}

/**
 * Feed it bytes as a file grows; it returns the records that are complete and keeps a partly
 * written last record for the next push. Both CRCs are checked. A record whose data CRC fails is
 * skipped (its length was verified, so the next record is still found); a header whose length
 * CRC fails is not trusted, so the reader scans forward for the next valid header.
 */
export class TfRecordReader {
  private pending: Buffer = Buffer.alloc(0);
  /** Stream offset of pending[0]. */
  private base = 0;
  /** Scanning for a valid header after a corrupt one: the corruption is reported once. */
  private resyncing = false;

  push(chunk: Uint8Array): TfRecordBatch {
    const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const buf = this.pending.length === 0 ? bytes : Buffer.concat([this.pending, bytes]);
    const records: Buffer[] = [];
    const errors: TfRecordError[] = [];
    let pos = 0;
    while (buf.length - pos >= HEADER) {
      // Two 32-bit halves rather than a BigInt per record: this loop runs once per scalar.
      const length = buf.readUInt32LE(pos);
      const lengthHigh = buf.readUInt32LE(pos + 4);
      const lengthOk = buf.readUInt32LE(pos + 8) === maskedCrc32c(buf, pos, pos + 8);
      if (!lengthOk) {
        if (!this.resyncing) errors.push(new TfRecordError('bad_length_crc', this.base + pos, `corrupt record header at byte ${this.base + pos}`));
        this.resyncing = true;
        pos++;
        continue;
      }
      this.resyncing = false;
      if (lengthHigh !== 0 || length > MAX_RECORD) {
        const size = lengthHigh * 2 ** 32 + length;
        errors.push(new TfRecordError('record_too_large', this.base + pos, `record of ${size} bytes at byte ${this.base + pos}`));
        pos += HEADER;
        continue;
      }
      const end = pos + HEADER + length + FOOTER;
      if (end > buf.length) break;
      if (buf.readUInt32LE(end - FOOTER) === maskedCrc32c(buf, pos + HEADER, end - FOOTER)) records.push(buf.subarray(pos + HEADER, end - FOOTER));
      else errors.push(new TfRecordError('bad_data_crc', this.base + pos, `corrupt record data at byte ${this.base + pos}`));
      pos = end;
    }
    // Keep the unread tail (a partial record, or bytes still being scanned after a bad header).
    this.pending = Buffer.from(buf.subarray(pos));
    this.base += pos;
    return { records, errors };
  }

  /** Bytes of an incomplete last record still waiting for the rest. */
  get waiting(): number {
    return this.pending.length;
  }

  /** When the stream is known to be complete: whatever is left is a truncated record. */
  end(): TfRecordBatch {
    const errors: TfRecordError[] = [];
    if (this.pending.length > 0) {
      errors.push(new TfRecordError('truncated_record', this.base, `${this.pending.length} bytes of an incomplete record at byte ${this.base}`));
    }
    this.pending = Buffer.alloc(0);
    return { records: [], errors };
  }
}
