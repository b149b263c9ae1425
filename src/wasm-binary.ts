/**
 * Reads what linking needs from a wasm binary: each import's module, name, kind and type (function signature
 * or memory limits). WebAssembly.Module.imports() gives no types on Node 20, and we need them to build matching
 * stubs, check signatures against the host's and create `env.memory` with the declared limits.
 */

export type ValType = 'i32' | 'i64' | 'f32' | 'f64' | 'v128' | 'funcref' | 'externref';

export interface FuncType {
  params: ValType[];
  results: ValType[];
}

export interface MemoryLimits {
  initial: number;
  maximum?: number;
  shared: boolean;
}

export type ImportDesc =
  | { module: string; name: string; kind: 'function'; type: FuncType }
  | { module: string; name: string; kind: 'memory'; limits: MemoryLimits }
  | { module: string; name: string; kind: 'table' | 'global' | 'tag' };

const VALTYPES: Record<number, ValType> = {
  0x7f: 'i32',
  0x7e: 'i64',
  0x7d: 'f32',
  0x7c: 'f64',
  0x7b: 'v128',
  0x70: 'funcref',
  0x6f: 'externref',
};

class Reader {
  pos = 0;
  constructor(private readonly buf: Uint8Array) {}
  get done(): boolean {
    return this.pos >= this.buf.length;
  }
  byte(): number {
    if (this.pos >= this.buf.length) throw new Error('unexpected end of module');
    return this.buf[this.pos++];
  }
  u32(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = this.byte();
      result |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result >>> 0;
      shift += 7;
      if (shift > 35) throw new Error('bad LEB128');
    }
  }
  name(): string {
    const len = this.u32();
    const bytes = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return Buffer.from(bytes).toString('utf8');
  }
  valtype(): ValType {
    const b = this.byte();
    const t = VALTYPES[b];
    if (!t) throw new Error(`unsupported value type 0x${b.toString(16)}`);
    return t;
  }
  limits(): { initial: number; maximum?: number; flags: number } {
    const flags = this.byte();
    const initial = this.u32();
    const maximum = flags & 1 ? this.u32() : undefined;
    return { initial, maximum, flags };
  }
}

/** The function types of a type section (`r` just past the section's size). */
function readTypeSection(r: Reader): FuncType[] {
  return Array.from({ length: r.u32() }, () => {
    const form = r.byte();
    if (form !== 0x60) throw new Error(`unsupported type form 0x${form.toString(16)}`);
    const params = Array.from({ length: r.u32() }, () => r.valtype());
    const results = Array.from({ length: r.u32() }, () => r.valtype());
    return { params, results };
  });
}

/** Parses the type and import sections of `bytes`. Throws on malformed input. */
export function readImports(bytes: Uint8Array): ImportDesc[] {
  const r = new Reader(bytes);
  if (bytes.length < 8 || r.u32() === undefined) throw new Error('not a wasm module');
  r.pos = 8;
  const types: FuncType[] = [];
  const imports: ImportDesc[] = [];
  while (!r.done) {
    const id = r.byte();
    const size = r.u32();
    const end = r.pos + size;
    if (id === 1) {
      types.push(...readTypeSection(r));
    } else if (id === 2) {
      const n = r.u32();
      for (let i = 0; i < n; i++) {
        const module = r.name();
        const name = r.name();
        const kind = r.byte();
        if (kind === 0) {
          const t = types[r.u32()];
          if (!t) throw new Error(`import ${module}.${name} has an unknown type index`);
          imports.push({ module, name, kind: 'function', type: t });
        } else if (kind === 1) {
          r.byte();
          r.limits();
          imports.push({ module, name, kind: 'table' });
        } else if (kind === 2) {
          const l = r.limits();
          if (l.flags & 4) throw new Error('64-bit memories are not supported');
          imports.push({ module, name, kind: 'memory', limits: { initial: l.initial, maximum: l.maximum, shared: (l.flags & 2) !== 0 } });
        } else if (kind === 3) {
          r.valtype();
          r.byte();
          imports.push({ module, name, kind: 'global' });
        } else if (kind === 4) {
          r.byte();
          r.u32();
          imports.push({ module, name, kind: 'tag' });
        } else {
          throw new Error(`unknown import kind ${kind}`);
        }
      }
      return imports; // the import section is the last one we need
    } else if (id > 2 && id !== 0) {
      return imports;
    }
    r.pos = end;
  }
  return imports;
}

/** The host's signature notation ("iiI:i", see native/src/import_registry.h) for a wasm function type. */
export function signatureOf(t: FuncType): string {
  const code = (v: ValType): string => (v === 'i32' ? 'i' : v === 'i64' ? 'I' : v);
  return t.params.map(code).join('') + ':' + t.results.map(code).join('');
}

/** The type of the function `bytes` exports as `name`, or undefined when it exports no such function. */
export function exportedFunctionType(bytes: Uint8Array, name: string): FuncType | undefined {
  const r = new Reader(bytes);
  r.pos = 8;
  const types: FuncType[] = [];
  const funcTypes: number[] = []; // type index per function index (imports first)
  while (!r.done) {
    const id = r.byte();
    const size = r.u32();
    const end = r.pos + size;
    if (id === 1) {
      types.push(...readTypeSection(r));
    } else if (id === 2) {
      const n = r.u32();
      for (let i = 0; i < n; i++) {
        r.name();
        r.name();
        const kind = r.byte();
        if (kind === 0) funcTypes.push(r.u32());
        else if (kind === 1) { r.byte(); r.limits(); }
        else if (kind === 2) r.limits();
        else if (kind === 3) { r.valtype(); r.byte(); }
        else if (kind === 4) { r.byte(); r.u32(); }
      }
    } else if (id === 3) {
      const n = r.u32();
      for (let i = 0; i < n; i++) funcTypes.push(r.u32());
    } else if (id === 7) {
      const n = r.u32();
      for (let i = 0; i < n; i++) {
        const exportName = r.name();
        const kind = r.byte();
        const index = r.u32();
        if (exportName === name) return kind === 0 ? types[funcTypes[index]] : undefined;
      }
      return undefined;
    }
    r.pos = end;
  }
  return undefined;
}
