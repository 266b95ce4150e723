// TFRecord checksums: CRC-32C (Castagnoli), masked so that a CRC of data containing CRCs stays well distributed.
import { crc32c } from '@node-rs/crc32';

const MASK_DELTA = 0xa282ead8;

/**
 * Below this size a table lookup in JS beats the native call: a scalar event is ~50 bytes and
 * every record has an 8-byte header, so the call overhead (not the hashing) dominated the reader.
 */
const NATIVE_FROM = 256;

const TABLE = new Int32Array(256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  TABLE[n] = c;
}

/** CRC-32C of bytes [start, end) of buf. */
export function crc32cRange(buf: Uint8Array, start: number, end: number): number {
  if (end - start >= NATIVE_FROM) return crc32c(Buffer.from(buf.buffer, buf.byteOffset + start, end - start));
  let c = -1;
  for (let i = start; i < end; i++) c = TABLE[(c ^ buf[i]) & 0xff] ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

/** ((crc >>> 15) | (crc << 17)) + 0xa282ead8, mod 2^32. */
export function maskCrc(crc: number): number {
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + MASK_DELTA) >>> 0;
}

export function maskedCrc32c(data: Uint8Array, start = 0, end = data.length): number {
  return maskCrc(crc32cRange(data, start, end));
}
