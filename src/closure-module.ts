/**
 * The tiny wasm module behind a WASIX closure (closure_prepare): one exported function `closure` of the requested
 * type that spills its arguments into a frame on the guest's shadow stack, calls the backing function
 * `backing(values, results, user_data)` through the guest's table, and returns what the backing function left in
 * the frame's results area. Everything happens in wasm (no JS on the call path). Imports, all from module "m":
 *   memory   the guest's memory (shared or not, as the guest's is)
 *   table    the guest's __indirect_function_table
 *   sp       the guest's exported __stack_pointer (mutable i32)
 *   backing  immutable i32: the backing function's table index
 *   data     immutable i32: the user_data pointer
 * Frame layout (what wasmer's closures do): values at the new stack pointer, packed at natural sizes
 * (i32/f32 4 B, i64/f64 8 B, v128 16 B), the area rounded up to 16 B; the results area after it, likewise;
 * the stack pointer is lowered by the whole frame during the call and restored after it.
 */
import { FuncType, ValType, uleb } from './wasm-binary';

const CODE: Record<string, number> = { i32: 0x7f, i64: 0x7e, f32: 0x7d, f64: 0x7c, v128: 0x7b };
const SIZE: Record<string, number> = { i32: 4, i64: 8, f32: 4, f64: 8, v128: 16 };
/** Opcode bytes of T.store and T.load. */
const STORE: Record<string, number[]> = { i32: [0x36], i64: [0x37], f32: [0x38], f64: [0x39], v128: [0xfd, 0x0b] };
const LOAD: Record<string, number[]> = { i32: [0x28], i64: [0x29], f32: [0x2a], f64: [0x2b], v128: [0xfd, 0x00] };

/** V8's limit on a function's parameters and on its results. */
export const MAX_CLOSURE_VALUES = 1000;

/** The value types a closure can take and return (the ones with a byte image). */
export function isPackable(t: ValType): boolean {
  return t in SIZE;
}

export function packedSize(t: ValType): number {
  return SIZE[t];
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) return [...out, b];
    out.push(b | 0x80);
  }
}

const str = (s: string): number[] => [...uleb(s.length), ...Buffer.from(s)];
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
const round16 = (n: number): number => (n + 15) & ~15;

/** The bytes of the closure module for `type`; `sharedMemory`: the guest's memory is shared. */
export function closureModuleBytes(type: FuncType, sharedMemory: boolean): Uint8Array {
  const { params, results } = type;
  // offsets(ts)[i]: where value i starts; [ts.length]: the total.
  const offsets = (ts: ValType[]): number[] => {
    const at = [0];
    for (const t of ts) at.push(at[at.length - 1] + SIZE[t]);
    return at;
  };
  const paramAt = offsets(params);
  const resultAt = offsets(results);
  const valuesSize = round16(paramAt[params.length]);
  const frame = valuesSize + round16(resultAt[results.length]);

  const funcType = (ps: ValType[], rs: ValType[]): number[] => [0x60, ...vec(ps.map((t) => [CODE[t]])), ...vec(rs.map((t) => [CODE[t]]))];
  const types = section(1, vec([funcType(params, results), funcType(['i32', 'i32', 'i32'], [])]));
  const memoryLimits = sharedMemory ? [0x03, 0x00, ...uleb(65536)] : [0x00, 0x00];
  const imports = section(2, vec([
    [...str('m'), ...str('memory'), 0x02, ...memoryLimits],
    [...str('m'), ...str('table'), 0x01, 0x70, 0x00, 0x00],
    [...str('m'), ...str('sp'), 0x03, 0x7f, 0x01],
    [...str('m'), ...str('backing'), 0x03, 0x7f, 0x00],
    [...str('m'), ...str('data'), 0x03, 0x7f, 0x00],
  ]));
  const functions = section(3, vec([[0x00]]));
  const exports = section(7, vec([[...str('closure'), 0x00, 0x00]]));

  const saved = params.length; // local: the stack pointer on entry
  const base = params.length + 1; // local: the frame (values area; results at base + valuesSize)
  const SP = 0, BACKING = 1, DATA = 2;
  const body: number[] = [
    ...vec([[...uleb(2), 0x7f]]), // two i32 locals
    0x23, SP, 0x22, ...uleb(saved), 0x41, ...sleb(frame), 0x6b, 0x22, ...uleb(base), 0x24, SP,
  ];
  params.forEach((t, i) => body.push(0x20, ...uleb(base), 0x20, ...uleb(i), ...STORE[t], 0x00, ...uleb(paramAt[i])));
  body.push(
    0x20, ...uleb(base),
    0x20, ...uleb(base), 0x41, ...sleb(valuesSize), 0x6a,
    0x23, DATA,
    0x23, BACKING,
    0x11, 0x01, 0x00, // call_indirect (type 1) (table 0)
  );
  results.forEach((t, i) => body.push(0x20, ...uleb(base), ...LOAD[t], 0x00, ...uleb(valuesSize + resultAt[i])));
  body.push(0x20, ...uleb(saved), 0x24, SP, 0x0b);
  const code = section(10, vec([[...uleb(body.length), ...body]]));

  return Uint8Array.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, ...types, ...imports, ...functions, ...exports, ...code]);
}
