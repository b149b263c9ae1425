/** Loading a guest module from a .wasm or .wat file into a compiled WebAssembly.Module. */
import fs from 'node:fs';
import { LinkError, LoadError } from './errors';
import { usesDynamicCalls } from './dynamic-calls';
import { ImportDesc, TableLayout, exportedFunctionType, exposeTable, readImports, readTableLayout, shareDefinedMemory, signatureOf } from './wasm-binary';

export interface LoadedModule {
  file: string;
  bytes: Uint8Array;
  module: WebAssembly.Module;
  imports: ImportDesc[];
  /** Set when the module imports the dynamic-call/closure calls (src/dynamic-calls.ts): its table 0. */
  table?: TableLayout;
}

const WABT_NAME = 'module.wat';

const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d];

function isBinary(bytes: Uint8Array): boolean {
  return WASM_MAGIC.every((b, i) => bytes[i] === b);
}

/** Converts WebAssembly text to binary with the wabt package, all post-MVP features the runtime supports on. */
export async function watToWasm(file: string, text: string | Uint8Array): Promise<Uint8Array> {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const wabt = await (require('wabt') as () => Promise<any>)();
  const features = {
    threads: true,
    bulk_memory: true,
    mutable_globals: true,
    sign_extension: true,
    sat_float_to_int: true,
    multi_value: true,
    exceptions: true,
    simd: true,
    reference_types: true,
  };
  let parsed;
  try {
    // wabt copies a typed array's whole underlying ArrayBuffer (not just the view), and Node hands out small files
    // as views into a shared pool: give it a buffer of its own, exactly the text. (Strings are copied as ASCII.)
    const input = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
    const own = new Uint8Array(input.length);
    own.set(input);
    // wabt also mis-copies the file name string (junk after it, depending on its length): give it a fixed
    // ASCII name and put the real one back into its messages.
    parsed = wabt.parseWat(WABT_NAME, own, features);
    parsed.resolveNames();
    parsed.validate(features);
    return new Uint8Array(parsed.toBinary({ write_debug_names: true }).buffer);
  } catch (e) {
    // One line: wabt's first "NAME:line:col: error: ..." (its message adds the source line and carets).
    const lines = String((e as Error).message).split('\n');
    const first = lines.find((l) => l.includes(`${WABT_NAME}:`) && l.includes('error:')) ?? lines[0];
    const detail = first.trim().split(WABT_NAME).join(file);
    throw new LoadError(file, `invalid WebAssembly text: ${detail}`);
  } finally {
    parsed?.destroy();
  }
}

/**
 * Whether `bytes` look like WebAssembly text: after whitespace and comments, an opening parenthesis. wasmer and
 * wasmtime accept WAT in a `.wasm` file, so the extension never decides; the content does.
 */
export function looksLikeWat(bytes: Uint8Array): boolean {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, 4096)).toString('latin1');
  const rest = text.replace(/^(?:\s+|;;[^\n]*(?:\n|$)|\(;[\s\S]*?;\))*/, '');
  return rest.startsWith('(');
}

/**
 * Loads a module: a file path (`.wasm` or `.wat`, told apart by content), or the bytes of a binary module or of
 * WebAssembly text (named `<bytes>` in messages).
 */
export async function loadModule(source: string | Uint8Array): Promise<LoadedModule> {
  let bytes: Uint8Array;
  const file = typeof source === 'string' ? source : '<bytes>';
  if (typeof source !== 'string') bytes = source;
  else {
    try {
      bytes = fs.readFileSync(file);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      const reason = err.code === 'ENOENT' ? 'no such file' : err.code === 'EISDIR' ? 'is a directory' : err.message;
      throw new LoadError(file, reason);
    }
  }
  if (!isBinary(bytes)) {
    if (!looksLikeWat(bytes)) throw new LoadError(file, 'neither a WebAssembly binary (bad magic number) nor WebAssembly text');
    // A copy: readFileSync gives small files a view into a shared pool, and wabt reads the whole ArrayBuffer.
    bytes = await watToWasm(file, new Uint8Array(bytes));
  }
  // The dynamic-call imports reach the guest's function table from the host: it must be exported (or imported)
  // and growable. Modules that do not import them are compiled exactly as they are.
  let table: TableLayout | undefined;
  try {
    // A memory of its own is made shared: growing it then costs no garbage collection (wasm-binary.ts says why).
    // WASMX_MEMORY_AS_DECLARED=1 keeps it as declared (to measure the difference: bench/README.md).
    if (process.env.WASMX_MEMORY_AS_DECLARED !== '1') bytes = shareDefinedMemory(bytes);
    if (usesDynamicCalls(readImports(bytes))) {
      bytes = exposeTable(bytes);
      table = readTableLayout(bytes);
    }
  } catch {
    // Malformed: compiling it below says what is wrong.
  }
  let module: WebAssembly.Module;
  try {
    module = new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
  } catch (e) {
    throw new LoadError(file, `invalid WebAssembly module: ${(e as Error).message.replace(/^WebAssembly\.Module\(\): /, '')}`);
  }
  let imports: ImportDesc[];
  try {
    imports = readImports(bytes);
  } catch (e) {
    throw new LoadError(file, `cannot read imports: ${(e as Error).message}`);
  }
  // A command's entry point takes nothing and returns nothing (wasmtime refuses other types too): a `_start`
  // of another type is a link error, not something to call with made-up arguments.
  const start = exportedFunctionType(bytes, '_start');
  if (start && (start.params.length > 0 || start.results.length > 0)) {
    throw new LinkError(`${file}: _start has type (${signatureOf(start)}); a WASI command's _start takes and returns nothing`);
  }
  return { file, bytes, module, imports, ...(table ? { table } : {}) };
}
