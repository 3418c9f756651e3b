/**
 * The glassy checkpoint format (`docs/glassy-dynamics.md` §8: resumable runs): a magic line, a
 * little-endian uint32 header length, a JSON header (config, counters, records, data sizes, the
 * index of the arrays, caller `extra`), then every engine array (`engine.ts` names) as float32.
 *
 * @module
 */

import type { FullTrainConfig, TrainRecord } from "./config.ts";

const MAGIC = "GLCK1\n";

/** What a checkpoint holds besides the arrays. */
export interface CheckpointHeader {
  config: FullTrainConfig;
  steps: number;
  tau: number;
  records: TrainRecord[];
  data: { nv: number; T: number; Ttest: number };
  extra: unknown;
}

/** Serialises a header and named float32 arrays (with their shapes). */
export function encodeCheckpoint(
  header: CheckpointHeader,
  arrays: { name: string; shape: [number, number]; values: Float32Array }[],
): Uint8Array {
  let offset = 0;
  const index = arrays.map(({ name, shape, values }) => {
    const entry = { name, shape, offset, length: values.length };
    offset += values.length;
    return entry;
  });
  const head = new TextEncoder().encode(JSON.stringify({ ...header, index }));
  const magic = new TextEncoder().encode(MAGIC);
  const pad = (4 - ((magic.length + 4 + head.length) % 4)) % 4;
  const out = new Uint8Array(magic.length + 4 + head.length + pad + offset * 4);
  out.set(magic, 0);
  new DataView(out.buffer).setUint32(magic.length, head.length + pad, true);
  out.set(head, magic.length + 4);
  out.fill(0x20, magic.length + 4 + head.length, magic.length + 4 + head.length + pad);
  const body = new Float32Array(out.buffer, magic.length + 4 + head.length + pad, offset);
  arrays.forEach((a, i) => body.set(a.values, index[i].offset));
  return out;
}

/**
 * Parses {@linkcode encodeCheckpoint} bytes.
 *
 * @throws {Error} if the bytes are not a glassy checkpoint.
 */
export function decodeCheckpoint(
  bytes: Uint8Array,
): { header: CheckpointHeader; get(name: string): Float32Array } {
  const magic = new TextDecoder().decode(bytes.subarray(0, MAGIC.length));
  if (magic !== MAGIC) throw new Error("not a glassy checkpoint (bad magic)");
  const hlen = new DataView(bytes.buffer, bytes.byteOffset).getUint32(MAGIC.length, true);
  const start = MAGIC.length + 4;
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(start, start + hlen)));
  const body = new Float32Array(bytes.slice(start + hlen).buffer);
  return {
    header,
    get(name: string) {
      const e = header.index.find((x: { name: string }) => x.name === name);
      if (!e) throw new Error(`checkpoint lacks array ${name}`);
      return body.subarray(e.offset, e.offset + e.length);
    },
  };
}
