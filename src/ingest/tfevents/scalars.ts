// Turns one decoded TensorBoard Event into a metrics event: its scalar summaries, tags as metric names.
import { MAX_NAME_LENGTH } from '../../domain/events.ts';
import { DT_DOUBLE, DT_FLOAT, EventType, int64, type TfEvent, type TfTensor } from './event-proto.ts';

/** A rank-0 float or double tensor's value, from float_val / double_val or the raw tensor_content. */
export function tensorScalar(tensor: TfTensor): number | undefined {
  if (tensor.tensor_shape?.unknown_rank || (tensor.tensor_shape?.dim?.length ?? 0) > 0) return undefined;
  if (tensor.dtype === DT_FLOAT) {
    if (tensor.float_val?.length) return tensor.float_val[0];
    const c = tensor.tensor_content;
    if (c && c.length === 4) return Buffer.from(c.buffer, c.byteOffset, 4).readFloatLE(0);
  } else if (tensor.dtype === DT_DOUBLE) {
    if (tensor.double_val?.length) return tensor.double_val[0];
    const c = tensor.tensor_content;
    if (c && c.length === 8) return Buffer.from(c.buffer, c.byteOffset, 8).readDoubleLE(0);
  }
  return undefined;
}

export function decodeEvent(record: Uint8Array): TfEvent {
  return EventType.decode(record) as unknown as TfEvent;
}

export interface EventScalars {
  step?: number;
  ts?: number;
  values: [tag: string, value: number][];
}

/** The scalars in one Event (none for file_version, graphs, histograms, text), with its step and time. */
export function scalarsOf(event: TfEvent): EventScalars {
  const values: [string, number][] = [];
  for (const v of event.summary?.value ?? []) {
    if (!v.tag || v.tag.length > MAX_NAME_LENGTH) continue;
    const value = v.value === 'simple_value' ? v.simple_value : v.value === 'tensor' && v.tensor ? tensorScalar(v.tensor) : undefined;
    if (value !== undefined) values.push([v.tag, value]);
  }
  const out: EventScalars = { values };
  const step = int64(event.step);
  if (step !== undefined && Number.isSafeInteger(step) && step >= 0) out.step = step;
  if (event.wall_time !== undefined && Number.isFinite(event.wall_time) && event.wall_time > 0) out.ts = Math.round(event.wall_time * 1000);
  return out;
}
