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
  | { module: string; name: string; kind: 'table'; initial: number }
  | { module: string; name: string; kind: 'global' | 'tag' };

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
  /** A signed LEB128 of at most 64 bits, as a number (i32.const offsets; larger values lose precision). */
  s64(): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; ; i++) {
      const b = this.byte();
      result += (b & 0x7f) * mul;
      mul *= 128;
      if ((b & 0x80) === 0) return b & 0x40 ? result - mul : result;
      if (i > 9) throw new Error('bad LEB128');
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
          imports.push({ module, name, kind: 'table', initial: r.limits().initial });
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

/** What the dynamic-call imports need to know of a module's `__indirect_function_table` (table 0). */
export interface TableLayout {
  /** The module's function types. */
  types: FuncType[];
  /** The active element segments of table 0 with a constant offset: at slot offset+i, a function of type
   * types[typeIndexes[i]] (-1: ref.null). */
  segments: { offset: number; typeIndexes: number[] }[];
  /** How the host reaches table 0 once instantiated: an export of that name, or the table it passes as
   * env.__indirect_function_table. Absent: the module has no table. */
  access?: { export: string } | { import: string };
}

/** The name under which exposeTable() exports a table the module keeps to itself (wasm-ld's own name for it). */
export const TABLE_EXPORT = '__indirect_function_table';

interface Section {
  id: number;
  body: Uint8Array;
}

function sectionsOf(bytes: Uint8Array): Section[] {
  const r = new Reader(bytes);
  r.pos = 8;
  const out: Section[] = [];
  while (!r.done) {
    const id = r.byte();
    const size = r.u32();
    if (r.pos + size > bytes.length) throw new Error('section runs past the end of the module');
    out.push({ id, body: bytes.subarray(r.pos, r.pos + size) });
    r.pos += size;
  }
  return out;
}

/** Unsigned LEB128 (any safe integer). */
export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

function skipImportDesc(r: Reader, kind: number): void {
  if (kind === 0) r.u32();
  else if (kind === 1) { r.byte(); r.limits(); }
  else if (kind === 2) r.limits();
  else if (kind === 3) { r.valtype(); r.byte(); }
  else if (kind === 4) { r.byte(); r.u32(); }
  else throw new Error(`unknown import kind ${kind}`);
}

/** A constant expression: its i32.const / ref.func value, null for ref.null, undefined for anything else
 * (global.get: an offset only known at instantiation). */
function constExpr(r: Reader): number | null | undefined {
  let value: number | null | undefined;
  for (;;) {
    const op = r.byte();
    if (op === 0x0b) return value;
    if (op === 0x41 || op === 0x42) { value = r.s64(); if (op === 0x42) value = undefined; }
    else if (op === 0xd2) value = r.u32();
    else if (op === 0xd0) { r.byte(); value = null; }
    else if (op === 0x23) { r.u32(); value = undefined; }
    else throw new Error(`unsupported constant expression opcode 0x${op.toString(16)}`);
  }
}

/**
 * Reads table 0's initial contents (which function type sits in which slot) and how the host can reach the table.
 * Throws on malformed input.
 */
export function readTableLayout(bytes: Uint8Array): TableLayout {
  const types: FuncType[] = [];
  const funcTypes: number[] = [];
  const segments: TableLayout['segments'] = [];
  let tableImport: string | undefined;
  let tableDefined = false;
  let tableExport: string | undefined;
  for (const { id, body } of sectionsOf(bytes)) {
    const r = new Reader(body);
    if (id === 1) types.push(...readTypeSection(r));
    else if (id === 2) {
      for (let i = 0, n = r.u32(); i < n; i++) {
        const module = r.name();
        const name = r.name();
        const kind = r.byte();
        if (kind === 0) funcTypes.push(r.u32());
        else {
          if (kind === 1 && tableImport === undefined) tableImport = `${module}.${name}`;
          skipImportDesc(r, kind);
        }
      }
    } else if (id === 3) {
      for (let i = 0, n = r.u32(); i < n; i++) funcTypes.push(r.u32());
    } else if (id === 4) {
      tableDefined = r.u32() > 0;
    } else if (id === 7) {
      for (let i = 0, n = r.u32(); i < n; i++) {
        const name = r.name();
        const kind = r.byte();
        const index = r.u32();
        if (kind === 1 && index === 0 && tableExport === undefined) tableExport = name;
      }
    } else if (id === 9) {
      for (let i = 0, n = r.u32(); i < n; i++) {
        const flags = r.u32();
        if (flags > 7) throw new Error(`unknown element segment kind ${flags}`);
        const active = (flags & 1) === 0;
        const table = flags & 2 && active ? r.u32() : 0;
        const offset = active ? constExpr(r) : undefined;
        if (flags & 3) r.byte(); // elemkind / reftype (absent in kinds 0 and 4)
        const count = r.u32();
        const fns: (number | null | undefined)[] = [];
        for (let k = 0; k < count; k++) fns.push(flags & 4 ? constExpr(r) : r.u32());
        if (active && table === 0 && typeof offset === 'number') {
          segments.push({ offset: offset >>> 0, typeIndexes: fns.map((f) => (typeof f === 'number' ? funcTypes[f] ?? -1 : -1)) });
        }
      }
    }
  }
  const access = tableImport !== undefined ? { import: tableImport } : tableDefined ? { export: tableExport ?? TABLE_EXPORT } : undefined;
  return { types, segments, ...(access ? { access } : {}) };
}

/**
 * The module with table 0 made reachable and growable, for the dynamic-call imports: a table the module defines
 * but does not export gets exported as TABLE_EXPORT, and table 0 (defined or imported) loses its maximum, so
 * closure_allocate can grow it. wasm-ld gives a table a maximum equal to its size unless asked for
 * --growable-table, and exports it only with --export-table; wasix-libc's usual flags ask for neither. Returns
 * `bytes` itself when there is nothing to change.
 */
export function exposeTable(bytes: Uint8Array): Uint8Array {
  const sections = sectionsOf(bytes);
  let changed = false;
  let tableImported = false;
  let tableDefined = false;
  let exported = false;
  const out: Section[] = [];
  for (const s of sections) {
    const r = new Reader(s.body);
    if (s.id === 2) {
      // Rewrite the first table import's limits (imported tables come first in the index space: it is table 0).
      const parts: (Uint8Array | number[])[] = [];
      const n = r.u32();
      let from = 0;
      for (let i = 0; i < n; i++) {
        r.name();
        r.name();
        const kind = r.byte();
        if (kind === 1 && !tableImported) {
          tableImported = true;
          r.byte(); // reftype
          const limitsAt = r.pos;
          const l = r.limits();
          if (l.flags === 1) {
            parts.push(s.body.subarray(from, limitsAt), [0x00, ...uleb(l.initial)]);
            from = r.pos;
            changed = true;
          }
        } else skipImportDesc(r, kind);
      }
      parts.push(s.body.subarray(from));
      out.push({ id: 2, body: cat(parts) });
      continue;
    }
    if (s.id === 4 && !tableImported) {
      const n = r.u32();
      if (n > 0) {
        tableDefined = true;
        const reftypeAt = r.pos;
        const reftype = r.byte();
        if (reftype === 0x70) {
          const l = r.limits();
          if (l.flags === 1) {
            out.push({ id: 4, body: cat([s.body.subarray(0, reftypeAt + 1), [0x00, ...uleb(l.initial)], s.body.subarray(r.pos)]) });
            changed = true;
            continue;
          }
        }
      }
    }
    if (s.id === 7) {
      const n = r.u32();
      const entriesAt = r.pos;
      for (let i = 0; i < n; i++) {
        r.name();
        const kind = r.byte();
        if (r.u32() === 0 && kind === 1) exported = true;
      }
      if (tableDefined && !exported) {
        const entry = [...uleb(TABLE_EXPORT.length), ...Buffer.from(TABLE_EXPORT), 0x01, 0x00];
        out.push({ id: 7, body: cat([uleb(n + 1), s.body.subarray(entriesAt), entry]) });
        exported = true;
        changed = true;
        continue;
      }
    }
    out.push(s);
  }
  if (tableDefined && !exported) {
    // No export section at all: one goes after the sections that precede it (type … global, tag).
    const at = out.findIndex((s) => [8, 9, 12, 10, 11].includes(s.id));
    const entry = [0x01, ...uleb(TABLE_EXPORT.length), ...Buffer.from(TABLE_EXPORT), 0x01, 0x00];
    out.splice(at < 0 ? out.length : at, 0, { id: 7, body: Uint8Array.from(entry) });
    changed = true;
  }
  if (!changed) return bytes;
  return assemble(bytes, out);
}

/**
 * Declares the module's own (not imported) 32-bit memory shared, with its maximum or 65536 pages. Why: V8 (Node 20)
 * counts every grow of a non-shared wasm memory against its external-memory budget and gives each grown memory a new
 * ArrayBuffer sized like the whole memory, so a guest whose heap grows by single pages under load gets a full
 * garbage collection of its thread every few grows; a shared memory grows in place and none of that happens
 * (docs/decisions.md, "Guest memory is shared"). The guest cannot tell the difference except that
 * `memory.atomic.wait` waits instead of trapping. Returns `bytes` itself when there is nothing to change.
 */
export function shareDefinedMemory(bytes: Uint8Array): Uint8Array {
  const sections = sectionsOf(bytes);
  const at = sections.findIndex((s) => s.id === 5);
  if (at < 0) return bytes;
  const r = new Reader(sections[at].body);
  if (r.u32() !== 1) return bytes;
  const limitsAt = r.pos;
  const l = r.limits();
  if (l.flags !== 0 && l.flags !== 1) return bytes; // already shared, or memory64: as it is
  const maximum = l.maximum ?? 65536;
  const body = cat([sections[at].body.subarray(0, limitsAt), [0x03, ...uleb(l.initial), ...uleb(maximum)], sections[at].body.subarray(r.pos)]);
  return assemble(bytes, sections.map((s, i) => (i === at ? { id: 5, body } : s)));
}

/** A module of `sections` behind the header of `original`. */
function assemble(original: Uint8Array, sections: Section[]): Uint8Array {
  const parts: (Uint8Array | number[])[] = [original.subarray(0, 8)];
  for (const s of sections) parts.push([s.id, ...uleb(s.body.length)], s.body);
  return cat(parts);
}

function cat(parts: (Uint8Array | number[])[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts.map((p) => (p instanceof Uint8Array ? p : Uint8Array.from(p)))));
}
