/**
 * Linking a guest module: host imports from the addon where the name and signature match, ENOSYS stubs for the
 * rest (warned once per name when first called; refused under `strict`), and `env.memory` when the module
 * imports its memory.
 */
import { LinkError } from './errors';
import { DYNAMIC_CALL_SIGNATURES } from './dynamic-calls';
import { directCall } from './import-shims';
import { ImportObject, native } from './native';
import { FuncType, ImportDesc, MemoryLimits, signatureOf } from './wasm-binary';

/** WASI errno NOSYS: what a stub returns. */
export const ENOSYS = 52;

export interface LinkOptions {
  strict?: boolean;
  /** Receives one line per warning (default: stderr). */
  warn?: (message: string) => void;
  /** The coordinating thread already planned this link and said its link-time warnings (guest threads, serve
   * instances on pool workers): say them again nowhere. */
  planned?: boolean;
}

export interface LinkPlan {
  /** Imports the host does not provide (module.name), linked to stubs. */
  unknown: string[];
  /** Of those, the ones the host has under another type (already reported at link time). */
  mismatched: Set<string>;
  /** The memory the module imports as env.memory, if it does. */
  memoryImport?: MemoryLimits;
  /** The function table the module imports as env.__indirect_function_table, if it does (a fresh one per
   * instance is passed). */
  tableImport?: { initial: number };
}

/** Decides, before instantiation, what each import links to. Throws LinkError for what cannot be linked. */
export function planLinking(imports: ImportDesc[], opts: LinkOptions = {}): LinkPlan {
  const host = hostSignatures();
  const unknown: string[] = [];
  const mismatched = new Set<string>();
  let memoryImport: MemoryLimits | undefined;
  let tableImport: { initial: number } | undefined;
  for (const imp of imports) {
    const id = `${imp.module}.${imp.name}`;
    if (imp.kind === 'function') {
      const sig = host.get(id);
      if (sig === undefined) unknown.push(id);
      else if (sig !== signatureOf(imp.type)) {
        unknown.push(id);
        mismatched.add(id);
        if (!opts.planned) warnOnce(`type:${id}`, opts, `import ${id} has type (${signatureOf(imp.type)}), the host's is (${sig}); it is linked to a stub that returns ENOSYS`);
      }
    } else if (imp.kind === 'memory' && imp.module === 'env' && imp.name === 'memory') {
      if (imp.limits.shared && imp.limits.maximum === undefined) throw new LinkError('env.memory is shared but declares no maximum');
      memoryImport = imp.limits;
    } else if (imp.kind === 'table' && imp.module === 'env' && imp.name === '__indirect_function_table') {
      tableImport = { initial: imp.initial };
    } else {
      throw new LinkError(`unsupported import ${id} (${imp.kind})`);
    }
  }
  if (opts.strict && unknown.length > 0) {
    throw new LinkError(`--strict: the module imports functions wasmx does not provide:\n  ${unknown.join('\n  ')}`);
  }
  return { unknown, mismatched, memoryImport, ...(tableImport ? { tableImport } : {}) };
}

/**
 * The ABI a module was built for, decided once from its imports: any `wasix_32v1` (or `wasix_64v1`) import means
 * WASIX (wasix-libc), otherwise preview1. Where the two disagree (fd_renumber: docs/decisions.md "preview1 and
 * WASIX"), the addon follows this.
 */
export function importsWasix(imports: ImportDesc[]): boolean {
  return imports.some((imp) => imp.module === 'wasix_32v1' || imp.module === 'wasix_64v1');
}

export function createImportedMemory(limits: MemoryLimits): WebAssembly.Memory {
  return new WebAssembly.Memory({ initial: limits.initial, maximum: limits.maximum, shared: limits.shared } as WebAssembly.MemoryDescriptor);
}

/** Completes the import object: stubs for unknown functions, env.memory, env.__indirect_function_table. Mutates
 * and returns `host`. */
export function linkImports(imports: ImportDesc[], plan: LinkPlan, host: ImportObject, memory: WebAssembly.Memory | undefined, opts: LinkOptions = {}, table?: WebAssembly.Table): WebAssembly.Imports {
  const result: WebAssembly.Imports = host as WebAssembly.Imports;
  const unknown = new Set(plan.unknown);
  const natives = nativeImportIds();
  for (const imp of imports) {
    const id = `${imp.module}.${imp.name}`;
    if (imp.kind !== 'function') continue;
    if (unknown.has(id)) {
      (result[imp.module] ??= {})[imp.name] = makeStub(id, imp.type, plan.mismatched.has(id) ? undefined : opts);
    } else if (natives.has(id)) {
      const mod = result[imp.module] as Record<string, unknown>;
      const fn = mod[imp.name];
      if (typeof fn === 'function') mod[imp.name] = directCall(fn as (...a: unknown[]) => unknown, imp.type.params.length);
    }
  }
  if (memory) (result.env ??= {}).memory = memory;
  if (table) (result.env ??= {}).__indirect_function_table = table;
  return result;
}

// Warnings already given in this thread (planLinking runs once per instance: every guest thread, every serve
// instance; each warning is said once).
const warned = new Set<string>();

function warnOnce(key: string, opts: LinkOptions, message: string): void {
  if (warned.has(key)) return;
  warned.add(key);
  (opts.warn ?? defaultWarn)(message);
}

/**
 * A stub for an import the host lacks: returns NOSYS (or zero of the right type), warns once per name on first
 * call. `warnOpts` undefined: no call warning (a type mismatch, reported at link time already).
 */
function makeStub(id: string, type: FuncType, warnOpts: LinkOptions | undefined): (...args: unknown[]) => unknown {
  const result = type.results[0];
  const value = result === undefined ? undefined : result === 'i32' ? ENOSYS : result === 'i64' ? BigInt(ENOSYS) : result === 'f32' || result === 'f64' ? 0 : null;
  const stub = (): unknown => {
    if (warnOpts) warnOnce(`call:${id}`, warnOpts, `guest called ${id}, which wasmx does not implement; ${result === undefined ? 'the call did nothing' : 'it returned ENOSYS'}`);
    return value;
  };
  if (type.results.length > 1) return () => { stub(); return type.results.map((t) => (t === 'i64' ? 0n : 0)); };
  return stub;
}

let signatures: Map<string, string> | undefined;
let nativeIds: Set<string> | undefined;

/** The imports the addon implements (module.name), as opposed to the ones implemented in TypeScript. */
function nativeImportIds(): Set<string> {
  return (nativeIds ??= new Set(native().importTable().map((d) => `${d.module}.${d.name}`)));
}

function hostSignatures(): Map<string, string> {
  if (!signatures) {
    signatures = new Map(native().importTable().map((d) => [`${d.module}.${d.name}`, d.signature]));
    // The dynamic-call imports are the TypeScript side's (src/dynamic-calls.ts), not the addon's.
    for (const [name, sig] of Object.entries(DYNAMIC_CALL_SIGNATURES)) signatures.set(`wasix_32v1.${name}`, sig);
  }
  return signatures;
}

export function defaultWarn(message: string): void {
  // Synchronous, so warnings interleave correctly with what the guest writes through the addon.
  require('node:fs').writeSync(2, `wasmx: warning: ${message}\n`);
}
