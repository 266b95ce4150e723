// TensorBoard event files written: TFRecord framing around Event protobufs holding scalar summaries.
import { maskedCrc32c } from './crc.ts';
import { DT_DOUBLE, EventType } from './event-proto.ts';

/** One TFRecord: uint64 length, masked CRC-32C of those 8 bytes, the data, masked CRC-32C of the data (all little-endian). */
export function tfRecord(data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length + 4);
  out.writeBigUInt64LE(BigInt(data.length), 0);
  out.writeUInt32LE(maskedCrc32c(out, 0, 8), 8);
  out.set(data, 12);
  out.writeUInt32LE(maskedCrc32c(data), 12 + data.length);
  return out;
}

/** The first Event of every event file: TensorBoard reads the version before anything else. */
export function fileVersionEvent(wallTimeS: number): Uint8Array {
  return EventType.encode(EventType.create({ wall_time: wallTimeS, file_version: 'brain.Event:2' })).finish();
}

/**
 * One scalar as TF 2's `tf.summary.scalar` writes it, a rank-0 tensor marked for the scalars
 * plugin, but as a double rather than a float: every value reads back as it was logged.
 */
export function scalarEvent(tag: string, value: number, step: number, wallTimeS: number): Uint8Array {
  const summaryValue = { tag, tensor: { dtype: DT_DOUBLE, tensor_shape: {}, double_val: [value] }, metadata: { plugin_data: { plugin_name: 'scalars' } } };
  return EventType.encode(EventType.create({ wall_time: wallTimeS, step, summary: { value: [summaryValue] } })).finish();
}
