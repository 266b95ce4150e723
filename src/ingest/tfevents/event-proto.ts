// The parts of TensorFlow's Event / Summary / TensorProto protobufs that carry scalars, for protobufjs.
import protobuf from 'protobufjs';

/**
 * Field numbers from tensorflow/core/util/event.proto, framework/summary.proto, tensor.proto and
 * tensor_shape.proto. Fields not declared here (graphs, histograms, images, ...) are skipped.
 */
const root = protobuf.Root.fromJSON({
  nested: {
    tf: {
      nested: {
        Event: {
          oneofs: { what: { oneof: ['file_version', 'summary'] } },
          fields: {
            wall_time: { type: 'double', id: 1 },
            step: { type: 'int64', id: 2 },
            file_version: { type: 'string', id: 3 },
            summary: { type: 'Summary', id: 5 },
          },
        },
        Summary: { fields: { value: { rule: 'repeated', type: 'Value', id: 1 } } },
        Value: {
          // simple_value and tensor are a oneof in summary.proto: presence tells which one was written.
          oneofs: { value: { oneof: ['simple_value', 'tensor'] } },
          fields: {
            tag: { type: 'string', id: 1 },
            simple_value: { type: 'float', id: 2 },
            tensor: { type: 'TensorProto', id: 8 },
            metadata: { type: 'SummaryMetadata', id: 9 },
          },
        },
        SummaryMetadata: {
          fields: { plugin_data: { type: 'PluginData', id: 1 } },
        },
        PluginData: { fields: { plugin_name: { type: 'string', id: 1 } } },
        TensorProto: {
          fields: {
            dtype: { type: 'int32', id: 1 },
            tensor_shape: { type: 'TensorShapeProto', id: 2 },
            tensor_content: { type: 'bytes', id: 4 },
            float_val: { rule: 'repeated', type: 'float', id: 5, options: { packed: true } },
            double_val: { rule: 'repeated', type: 'double', id: 6, options: { packed: true } },
          },
        },
        TensorShapeProto: {
          fields: {
            dim: { rule: 'repeated', type: 'Dim', id: 2 },
            unknown_rank: { type: 'bool', id: 3 },
          },
        },
        Dim: { fields: { size: { type: 'int64', id: 1 }, name: { type: 'string', id: 2 } } },
      },
    },
  },
});

export const EventType = root.lookupType('tf.Event');

/** DataType values from tensorflow/core/framework/types.proto. */
export const DT_FLOAT = 1;
export const DT_DOUBLE = 2;

type Int64 = number | { toNumber(): number };

export interface TfTensor {
  dtype?: number;
  tensor_shape?: { dim?: unknown[]; unknown_rank?: boolean };
  tensor_content?: Uint8Array;
  float_val?: number[];
  double_val?: number[];
}

export interface TfValue {
  tag?: string;
  simple_value?: number;
  tensor?: TfTensor;
  value?: 'simple_value' | 'tensor';
}

export interface TfEvent {
  wall_time?: number;
  step?: Int64;
  file_version?: string;
  summary?: { value?: TfValue[] };
}

export function int64(v: Int64 | undefined): number | undefined {
  if (v === undefined || v === null) return undefined;
  return typeof v === 'number' ? v : v.toNumber();
}
