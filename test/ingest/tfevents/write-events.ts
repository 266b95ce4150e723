// Test helper: writes TensorBoard event files (TFRecord framing around protobuf Events) the way TF does.
import { maskedCrc32c } from '../../../src/ingest/tfevents/crc.ts';
import { EventType } from '../../../src/ingest/tfevents/event-proto.ts';

export function frame(data: Uint8Array): Buffer {
  const header = Buffer.alloc(12);
  header.writeBigUInt64LE(BigInt(data.length), 0);
  header.writeUInt32LE(maskedCrc32c(header.subarray(0, 8)), 8);
  const footer = Buffer.alloc(4);
  footer.writeUInt32LE(maskedCrc32c(data), 0);
  return Buffer.concat([header, data, footer]);
}

export function encodeEvent(event: Record<string, unknown>): Uint8Array {
  return EventType.encode(EventType.fromObject(event)).finish();
}

/** A PyTorch-style scalar: Summary.Value.simple_value. */
export function simpleScalar(tag: string, value: number, step: number, wallTime = 1_700_000_000 + step): Buffer {
  return frame(encodeEvent({ wall_time: wallTime, step, summary: { value: [{ tag, simple_value: value }] } }));
}

/** A TF2-style scalar: a rank-0 tensor with its value in double_val. */
export function doubleTensorScalar(tag: string, value: number, step: number): Buffer {
  return frame(
    encodeEvent({
      wall_time: 1_700_000_000 + step,
      step,
      summary: { value: [{ tag, tensor: { dtype: 2, tensor_shape: {}, double_val: [value] }, metadata: { plugin_data: { plugin_name: 'scalars' } } }] },
    }),
  );
}

export function fileVersion(): Buffer {
  return frame(encodeEvent({ wall_time: 1_700_000_000, file_version: 'brain.Event:2' }));
}
