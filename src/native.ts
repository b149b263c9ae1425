/**
 * The C++ addon, loaded through node-gyp-build (build/Release first, then prebuilds/), or from the file named by
 * the environment variable WASMX_ADDON when it is set (e.g. the sanitizer build: WASMX_ADDON=build-asan/Release/wasmx.node).
 */
import path from 'node:path';

export interface NativeImportDef {
  module: string;
  name: string;
  /** Host signature, e.g. "iiii:i" (i = i32, I = i64). */
  signature: string;
}

export interface ProcessSpec {
  args: string[];
  env: string[];
  preopenHost: string[];
  preopenGuest: string[];
  /** Host fds of listening sockets to preopen after the directories (as decimal strings). */
  socketFds?: string[];
  net: boolean;
  /** proc_exit ends the host process (CLI `run`) instead of throwing into JS. */
  exitEndsHost: boolean;
}

export type ImportObject = Record<string, Record<string, (...args: never[]) => unknown>>;

export interface NativeAddon {
  createProcess(spec: ProcessSpec): number;
  releaseProcess(id: number): void;
  importTable(): NativeImportDef[];
  /** Returns the import object bound to a new instance of process `processId`, and a function that binds the
   * instance's memory once it exists (an exported memory only exists after instantiation). */
  createInstance(processId: number, memory: WebAssembly.Memory | null, tid: number): [ImportObject, (memory: WebAssembly.Memory) => void];
  /** Baselines for bench/hostcall.js (native/src/bench_noop.cc). */
  bench: {
    /** Does nothing, returns undefined. */
    noop(...args: unknown[]): undefined;
    /** Decodes two u32 arguments and returns 0, like an import trampoline. */
    noopArgs(a: number, b: number): number;
  };
}

let addon: NativeAddon | undefined;

export function native(): NativeAddon {
  if (!addon) {
    const override = process.env.WASMX_ADDON;
    if (override) {
      // eslint-disable-next-line @typescript-eslint/no-var-requires
      addon = require(path.resolve(override)) as NativeAddon;
    } else {
      // eslint-disable-next-line @typescript-eslint/no-var-requires
      const load = require('node-gyp-build') as (dir: string) => NativeAddon;
      addon = load(path.join(__dirname, '..'));
    }
  }
  return addon;
}
