/**
 * WASIX dynamic calls and closures (module wasix_32v1): call_dynamic, reflect_signature, closure_allocate,
 * closure_prepare, closure_free — what libffi's WASIX port (and so Python's ctypes) uses. They work on the guest's
 * __indirect_function_table and need the WebAssembly JS API (table.get/set/grow, compiling a module at run time),
 * so they live here rather than in the addon. One DynamicCalls per instance (= per guest thread: each thread has
 * its own instance and table; closures are per thread, docs/decisions.md "Dynamic calls and closures").
 *
 * Signatures: Node 20 has no way to ask a function for its wasm type, so the type of every function the module's
 * element segments put into the table is read from the binary (readTableLayout) and remembered per function
 * object (table.get returns the same object for the same function); closures made here are remembered too.
 */
import { MAX_CLOSURE_VALUES, closureModuleBytes, isPackable, packedSize } from './closure-module';
import { FuncType, TableLayout, ValType } from './wasm-binary';

const SUCCESS = 0, FAULT = 21, INVAL = 28, NOMEM = 48, NOTSUP = 58, OVERFLOW = 61;

/** The imports this file provides, with their wasm types in the host's notation (native/src/import_registry.h). */
export const DYNAMIC_CALL_SIGNATURES: Record<string, string> = {
  call_dynamic: 'iiiiii:i',
  reflect_signature: 'iiiiii:i',
  closure_allocate: 'i:i',
  closure_prepare: 'iiiiiii:i',
  closure_free: 'i:i',
};

/** wasm_value_type_t (wasix-libc api_wasix.h): the byte each value type is reflected as. */
const VALUE_TYPE_CODE: Partial<Record<ValType, number>> = { i32: 0, i64: 1, f32: 2, f64: 3, v128: 4 };
const VALUE_TYPES: ValType[] = ['i32', 'i64', 'f32', 'f64', 'v128'];

/** Table slots added at a time when no freed closure slot is left (the table never shrinks). */
const CLOSURE_SLOTS_PER_GROW = 16;

const BACKING_TYPE = 'i32,i32,i32:';
const typeKey = (t: FuncType): string => `${t.params.join(',')}:${t.results.join(',')}`;

/** Closure modules compiled in this thread, by signature and memory kind (instantiated once per closure). */
const closureModules = new Map<string, WebAssembly.Module>();

type ImportFn = (...args: number[]) => number;

/** What the addon gives an instance's JS-implemented imports (createInstance's fourth result, js_api.cc). */
export interface JsImportHooks {
  /** Nonzero when a signal or the process's exit waits for this thread (a view of the instance's word). */
  attention: Uint32Array;
  /** Delivers it: runs the guest's signal handler, or unwinds the thread (throws) when its process ends. */
  deliverPending(): void;
  /** Reports a finished call of observed import `id` to --stats / --trace (errno undefined: it did not return). */
  observeCall(id: number, errno: number | undefined, ns: number, ...args: number[]): void;
}
/** For a DynamicCalls with no addon instance behind it (an imported table only; tests): nothing ever waits. */
const NO_HOOKS: JsImportHooks = { attention: new Uint32Array(1), deliverPending: () => {}, observeCall: () => {} };

/** Thrown inside a call for a guest pointer out of range: becomes FAULT. */
class Fault extends Error {}

/** Does the module use any of these imports (then loading exposes its table, and instantiation adds them)? */
export function usesDynamicCalls(imports: { module: string; name: string }[]): boolean {
  return imports.some((i) => i.module === 'wasix_32v1' && i.name in DYNAMIC_CALL_SIGNATURES);
}

export class DynamicCalls {
  private table?: WebAssembly.Table;
  private memory?: WebAssembly.Memory;
  private stackPointer?: WebAssembly.Global;
  private readonly types = new WeakMap<object, FuncType>();
  private scanned = false;
  /** Live closure slots (allocated, not freed) → the type they were prepared with (undefined: not yet). */
  private readonly closures = new Map<number, FuncType | undefined>();
  private readonly freeSlots: number[] = [];

  constructor(private readonly layout: TableLayout, private readonly hooks: JsImportHooks = NO_HOOKS) {}

  /** The table to pass as the module's table import, when it imports one. */
  importedTable(initial: number): WebAssembly.Table {
    this.table = new WebAssembly.Table({ element: 'anyfunc', initial });
    return this.table;
  }

  /** After instantiation: the instance's table (exported, or the imported one), memory and stack pointer. */
  bind(exports: WebAssembly.Exports, memory: WebAssembly.Memory): void {
    const access = this.layout.access;
    if (access && 'export' in access) {
      const t = exports[access.export];
      if (t instanceof WebAssembly.Table) this.table = t;
    }
    const sp = exports.__stack_pointer;
    if (sp instanceof WebAssembly.Global) this.stackPointer = sp;
    this.memory = memory;
  }

  /**
   * The import functions, to go under wasix_32v1. Like the addon's trampoline (native/src/import_registry.h), each
   * one ends by delivering what waits for the thread (a signal, or its process's exit) when the attention word
   * says so. `observerIds` (name -> id, from the addon's observedImportId; only when --stats / --trace is on):
   * those imports are also counted and traced by the addon's one observer; without it they are not wrapped.
   */
  imports(observerIds?: Record<string, number>): Record<string, ImportFn> {
    const raw: Record<string, ImportFn> = {
      call_dynamic: (fn, values, valuesLen, results, resultsLen, strict) => this.callDynamic(fn >>> 0, values >>> 0, valuesLen >>> 0, results >>> 0, resultsLen >>> 0, (strict & 0xff) !== 0),
      reflect_signature: (fn, argTypes, argLen, resTypes, resLen, ret) =>
        this.guard(() => this.reflectSignature(fn >>> 0, argTypes >>> 0, argLen & 0xffff, resTypes >>> 0, resLen & 0xffff, ret >>> 0)),
      closure_allocate: (ret) => this.guard(() => this.closureAllocate(ret >>> 0)),
      closure_prepare: (backing, closure, argTypes, argLen, resTypes, resLen, data) =>
        this.guard(() => this.closurePrepare(backing >>> 0, closure >>> 0, argTypes >>> 0, argLen >>> 0, resTypes >>> 0, resLen >>> 0, data >>> 0)),
      closure_free: (closure) => this.guard(() => this.closureFree(closure >>> 0)),
    };
    const { attention, deliverPending } = this.hooks;
    const out: Record<string, ImportFn> = {};
    for (const name of Object.keys(raw)) {
      const id = observerIds?.[name] ?? -1;
      const f = id >= 0 ? this.observed(id, DYNAMIC_CALL_SIGNATURES[name].indexOf(':'), raw[name]) : raw[name];
      // Seven parameters: the most any of them has (closure_prepare).
      out[name] = (a, b, c, d, e, g, h) => {
        const r = f(a, b, c, d, e, g, h);
        if (attention[0] !== 0) deliverPending(); // one load, as in the trampoline (CheckPendingSignals)
        return r;
      };
    }
    return out;
  }

  /** Guest time inside the observed call in progress (ms): what call_dynamic's called function took. */
  private guestMs = 0;
  /** How call_dynamic calls the guest's function: timed while observed, so that its time is not the host's. */
  private invokeGuest: (target: (...args: unknown[]) => unknown, args: unknown[]) => unknown = (target, args) => target(...args);

  /** `f`, reporting each finished call to the addon's observer (--stats / --trace): its arguments as the guest
   * passed them, its errno (none when it ended by a trap or an exit unwinding through it) and its time in the
   * host, which leaves out the guest code call_dynamic ran (that code's own imports are observed by themselves). */
  private observed(id: number, arity: number, f: ImportFn): ImportFn {
    const observeCall = this.hooks.observeCall;
    this.invokeGuest = (target, args) => {
      const t = performance.now();
      try {
        return target(...args);
      } finally {
        this.guestMs += performance.now() - t;
      }
    };
    return (...all: number[]) => {
      const args = all.slice(0, arity);
      const outer = this.guestMs; // a call_dynamic nested in the guest code of another
      this.guestMs = 0;
      const t0 = performance.now();
      let r: number | undefined;
      try {
        r = f(...args);
        return r;
      } finally {
        const ns = Math.max(0, (performance.now() - t0 - this.guestMs) * 1e6);
        this.guestMs = outer;
        observeCall(id, r, ns, ...args);
      }
    };
  }

  /** Our own failures become an errno; nothing of ours escapes into the guest as an exception. */
  private guard(f: () => number): number {
    try {
      return f();
    } catch (e) {
      if (e instanceof Fault) return FAULT;
      return INVAL;
    }
  }

  /** A view of guest memory [ptr, ptr + len); Fault when it does not fit. An empty range is never out of range
   * (the guest may pass any pointer, NULL included, with a zero length). */
  private view(ptr: number, len: number): DataView {
    if (len === 0) return new DataView(new ArrayBuffer(0));
    const buffer = this.memory!.buffer;
    if (ptr + len > buffer.byteLength) throw new Fault();
    return new DataView(buffer, ptr, len);
  }

  /** The wasm type of the function in table slot `index`: a FuncType, 'empty' (null slot), 'range' (past the
   * end) or 'unknown' (a function whose type no element segment or closure told us). */
  private slotType(index: number): FuncType | 'empty' | 'range' | 'unknown' {
    const table = this.table!;
    if (index >= table.length) return 'range';
    if (!this.scanned) this.scan();
    const f = table.get(index);
    if (f === null) return 'empty';
    return this.types.get(f) ?? 'unknown';
  }

  /** Records the type of each function the element segments put into the table (once, on first use). */
  private scan(): void {
    this.scanned = true;
    const table = this.table!;
    for (const { offset, typeIndexes } of this.layout.segments) {
      typeIndexes.forEach((ti, i) => {
        const type = this.layout.types[ti];
        if (!type || offset + i >= table.length) return;
        const f = table.get(offset + i);
        if (f !== null && !this.types.has(f)) this.types.set(f, type);
      });
    }
  }

  private callDynamic(fn: number, valuesPtr: number, valuesLen: number, resultsPtr: number, resultsLen: number, strict: boolean): number {
    // Everything that can fail is checked before the call, so a failing call has no effects at all.
    let target: (...args: unknown[]) => unknown;
    let args: unknown[];
    let type: FuncType;
    try {
      if (!this.table) return NOTSUP;
      const t = this.slotType(fn);
      if (typeof t === 'string') return INVAL;
      // v128 and reference values cannot cross into JS; a function taking or returning them cannot be called here.
      if (![...t.params, ...t.results].every((v) => v !== 'v128' && isPackable(v))) return INVAL;
      type = t;
      const need = t.params.reduce((n, v) => n + packedSize(v), 0);
      const resultsSize = t.results.reduce((n, v) => n + packedSize(v), 0);
      if (strict && (valuesLen !== need || resultsLen !== resultsSize)) return INVAL;
      const values = this.view(valuesPtr, Math.min(valuesLen, need));
      this.view(resultsPtr, Math.min(resultsLen, resultsSize));
      // Not strict: a value the buffer does not hold in full is zero, and so is every one after it.
      let at = 0;
      args = t.params.map((v) => {
        const size = packedSize(v);
        if (at + size > values.byteLength) {
          at = values.byteLength;
          return v === 'i64' ? 0n : 0;
        }
        const x = v === 'i32' ? values.getInt32(at, true) : v === 'i64' ? values.getBigInt64(at, true) : v === 'f32' ? values.getFloat32(at, true) : values.getFloat64(at, true);
        at += size;
        return x;
      });
      target = this.table.get(fn) as (...args: unknown[]) => unknown;
    } catch (e) {
      return e instanceof Fault ? FAULT : INVAL;
    }
    // The guest's own function: its traps, exits and exceptions go on up to the caller as they are.
    const returned = this.invokeGuest(target, args);
    return this.guard(() => {
      const out = type.results.length === 1 ? [returned] : type.results.length === 0 ? [] : [...(returned as Iterable<unknown>)];
      const size = type.results.reduce((n, v) => n + packedSize(v), 0);
      const view = this.view(resultsPtr, Math.min(resultsLen, size));
      let at = 0;
      type.results.forEach((v, i) => {
        const x = out[i];
        if (at + packedSize(v) > view.byteLength) return void (at = view.byteLength);
        if (v === 'i32') view.setInt32(at, x as number, true);
        else if (v === 'i64') view.setBigInt64(at, x as bigint, true);
        else if (v === 'f32') view.setFloat32(at, x as number, true);
        else view.setFloat64(at, x as number, true);
        at += packedSize(v);
      });
      return SUCCESS;
    });
  }

  private reflectSignature(fn: number, argTypes: number, argLen: number, resTypes: number, resLen: number, ret: number): number {
    const result = this.view(ret, 6);
    const write = (cacheable: boolean, args: number, results: number): void => {
      result.setUint8(0, cacheable ? 1 : 0);
      result.setUint8(1, 0);
      result.setUint16(2, args, true);
      result.setUint16(4, results, true);
    };
    if (!this.table) {
      write(false, 0, 0);
      return NOTSUP;
    }
    const t = this.slotType(fn);
    // A closure slot can be prepared again with another type; a slot past the end may be filled when the table
    // grows: neither answer may be cached. Any other slot keeps its function (wasmx links no libraries at run time).
    const cacheable = t !== 'range' && !this.closures.has(fn);
    if (typeof t === 'string') {
      write(cacheable, 0, 0);
      return INVAL;
    }
    write(cacheable, t.params.length, t.results.length);
    if (t.params.length > argLen || t.results.length > resLen) return OVERFLOW;
    const codes = (ts: ValType[]): number[] | undefined => (ts.every((v) => VALUE_TYPE_CODE[v] !== undefined) ? ts.map((v) => VALUE_TYPE_CODE[v]!) : undefined);
    const params = codes(t.params);
    const results = codes(t.results);
    if (!params || !results) return INVAL;
    const a = this.view(argTypes, params.length);
    const r = this.view(resTypes, results.length);
    params.forEach((c, i) => a.setUint8(i, c));
    results.forEach((c, i) => r.setUint8(i, c));
    return SUCCESS;
  }

  private closureAllocate(ret: number): number {
    const out = this.view(ret, 4);
    if (!this.table) return NOTSUP;
    if (!this.scanned) this.scan(); // before any slot changes, so the element segments' types are read intact
    if (this.freeSlots.length === 0) {
      let first: number;
      try {
        first = this.table.grow(CLOSURE_SLOTS_PER_GROW);
      } catch {
        return NOMEM;
      }
      for (let i = CLOSURE_SLOTS_PER_GROW - 1; i >= 0; i--) this.freeSlots.push(first + i);
    }
    const slot = this.freeSlots.pop()!;
    this.closures.set(slot, undefined);
    out.setUint32(0, slot, true);
    return SUCCESS;
  }

  private closurePrepare(backing: number, closure: number, argTypes: number, argLen: number, resTypes: number, resLen: number, data: number): number {
    if (!this.table) return NOTSUP;
    // The trampoline's frame lives on the guest's shadow stack; without its stack pointer there is nowhere to put it.
    if (!this.stackPointer) return NOTSUP;
    if (!this.closures.has(closure)) return INVAL;
    const readTypes = (ptr: number, len: number): ValType[] | undefined => {
      const v = this.view(ptr, len);
      const ts: ValType[] = [];
      for (let i = 0; i < len; i++) {
        const t = VALUE_TYPES[v.getUint8(i)];
        if (!t) return undefined;
        ts.push(t);
      }
      return ts;
    };
    // More values than a wasm function may have (V8) can never make a closure; refused before reading them.
    if (argLen > MAX_CLOSURE_VALUES || resLen > MAX_CLOSURE_VALUES) return INVAL;
    const params = readTypes(argTypes, argLen);
    const results = readTypes(resTypes, resLen);
    if (!params || !results) return INVAL;
    const b = this.slotType(backing);
    if (b === 'range' || b === 'empty' || (typeof b === 'object' && typeKey(b) !== BACKING_TYPE)) return INVAL;
    const type: FuncType = { params, results };
    const shared = typeof SharedArrayBuffer !== 'undefined' && this.memory!.buffer instanceof SharedArrayBuffer;
    const key = `${typeKey(type)}/${shared ? 's' : 'u'}`;
    let module = closureModules.get(key);
    if (!module) {
      module = new WebAssembly.Module(closureModuleBytes(type, shared) as Uint8Array<ArrayBuffer>);
      closureModules.set(key, module);
    }
    const instance = new WebAssembly.Instance(module, {
      m: {
        memory: this.memory!,
        table: this.table,
        sp: this.stackPointer,
        backing: new WebAssembly.Global({ value: 'i32', mutable: false }, backing | 0),
        data: new WebAssembly.Global({ value: 'i32', mutable: false }, data | 0),
      },
    });
    const f = instance.exports.closure as object;
    this.types.set(f, type);
    this.table.set(closure, f as never);
    this.closures.set(closure, type);
    return SUCCESS;
  }

  private closureFree(closure: number): number {
    if (!this.table) return NOTSUP;
    // Like wasmer: freeing a slot that is not a live closure does nothing (and never clears another function).
    if (!this.closures.has(closure)) return SUCCESS;
    this.closures.delete(closure);
    this.table.set(closure, null as never);
    this.freeSlots.push(closure);
    return SUCCESS;
  }
}
