/**
 * The C++ addon, loaded through node-gyp-build (build/Release first, then prebuilds/), or from the file named by
 * the environment variable WASMX_ADDON when it is set (e.g. the sanitizer build: WASMX_ADDON=build-asan/Release/wasmx.node).
 */
import path from 'node:path';
import type { JsImportHooks } from './dynamic-calls';
import { WasmxError } from './errors';

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
  /** serve: TCP sockets the guest binds get SO_REUSEPORT. */
  reusePort?: boolean;
  /** Offload pool for accepted TCP sockets' send/shutdown/close: 'off' | 'threads' | 'uring' | 'auto' (default). */
  offload?: OffloadMode;
  /** Bytes in flight per process in the offload pool (default 8 MiB). */
  offloadMaxBytes?: number;
  /** Offload pool threads (default: 1 per 4 cores, 1..4). */
  offloadThreads?: number;
  /** Diagnostics on stderr (which offload backend, fallbacks). */
  verbose?: boolean;
  /** Host fds for guest 0, 1, 2 (the process dups them); -1 = the host's own fd. */
  stdio?: [number, number, number];
  /** Print `wasmx: listening on ADDR` on stderr when the guest's socket listens. */
  announceListen?: boolean;
  /** A /dev preopen with a private /dev/shm after the others (native/src/dev_dir.h): WASIX guests. */
  dev?: boolean;
}

export type OffloadMode = 'off' | 'threads' | 'uring' | 'auto';

/** Host-wide socket counters (summed over threads, never decreasing) and the offload queue now, for --admin. */
export interface AdminCounters {
  accepted: number;
  bytesReceived: number;
  bytesSent: number;
  offloadInlineSends: number;
  offloadUringFallbacks: number;
  offloadQueuedOps: number;
  offloadQueuedBytes: number;
}

export type ImportObject = Record<string, Record<string, (...args: never[]) => unknown>>;

/** One row of --stats: an import's calls, errors (result not SUCCESS) and time spent in the host. */
export interface ImportStatsRow {
  name: string;
  calls: number;
  errors: number;
  totalNs: number;
}

export interface ObserverSpec {
  stats?: boolean;
  /** Also write the --stats report as JSON to this file. */
  statsJson?: string;
  trace?: boolean;
  /** Trace only these imports (default: all). */
  traceOnly?: string[];
  /** Trace lines go to this file (default: stderr). */
  traceFile?: string;
  /** Imports implemented in JS that report their calls to the observer (the dynamic calls). */
  jsImports?: string[];
}

export interface NativeAddon {
  createProcess(spec: ProcessSpec): number;
  releaseProcess(id: number): void;
  importTable(): NativeImportDef[];
  /** --stats / --trace for every guest of this host process (native/src/import_observer.h). */
  configureObserver(spec: ObserverSpec): void;
  /** The --stats counters so far, summed over all threads, most time first. */
  importStats(): ImportStatsRow[];
  /** The same as a strace -c style table. */
  formatImportStats(): string;
  /** Prints the --stats report to stderr (and the JSON file) once; used before process.exit. */
  reportStatsAtExit(): void;
  /** SIGUSR1 under --stats: prints the report now and returns true; false when stats are off. */
  reportStatsNow(): boolean;
  /** Returns the import object bound to a new instance of process `processId`, and a function that binds the
   * instance's memory once it exists (an exported memory only exists after instantiation), and one that records the
   * instance's exports (signal delivery to the export named by callback_signal). `wasix`: the module imports
   * wasix_32v1 (WASIX semantics where preview1 differs). */
  createInstance(processId: number, memory: WebAssembly.Memory | null, tid: number, wasix?: boolean): [ImportObject, (memory: WebAssembly.Memory) => void, (exports: WebAssembly.Exports) => void];
  /** The same, and (`jsHooks` true) the hooks the instance's JS-implemented imports use (src/dynamic-calls.ts). */
  createInstance(processId: number, memory: WebAssembly.Memory | null, tid: number, wasix: boolean, jsHooks: true): [ImportObject, (memory: WebAssembly.Memory) => void, (exports: WebAssembly.Exports) => void, JsImportHooks];
  /** The observer id of a JS-implemented import named in configureObserver's jsImports; -1 when --stats and --trace are off. */
  observedImportId(name: string): number;
  /** Installs the function the addon calls (on this thread) when a guest thread spawns another. */
  setThreadSpawner(processId: number, spawn: (tid: number, startArg: number) => void): void;
  /** Records that a guest thread ended; returns how many of the process's threads are still alive. */
  threadExited(processId: number, tid: number): number;
  /** Ends the host process now (after draining offloaded work), without joining workers. */
  exitHost(code: number): never;
  /** Runs every live process's exit hooks (drains offloaded sends and closes, bounded) before process.exit. */
  prepareExit(): void;
  /** Opens a listening TCP socket (serve --tcplisten); returns its host fd. */
  listenTcp(host: string, port: number, backlog?: number): number;
  /** Starts a serve instance's graceful shutdown: blocking accepts return what is queued, then fail. */
  beginDrain(processId: number): void;
  /** Connected sockets a process still has open. */
  openConnections(processId: number): number;
  /** What --admin reads: socket counters and offload queue depth (native/src/admin_api.cc). */
  adminCounters(): AdminCounters;
  /** Listening sockets in a process's fd table (guest-bound or preopened). */
  listeningSockets(processId: number): number;
  /**
   * Host SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 go to this process's guest from now on: queued for
   * it and every thread interrupted (blocking calls return EINTR), or — when the guest registered no signal
   * export — the default action (the process ends with 128+sig; with exitEndsHost the host process ends). The
   * first call installs the host handlers (SA_RESTART; they replace Node's own for these signals).
   */
  installSignalHandlers(processId: number): void;
  /** The process no longer gets host signals; when no process does, the dispositions found at the first install are restored. */
  removeSignalHandlers(processId: number): void;
  /**
   * What a host signal `sig` (WASIX/Linux number, 1..31) does, for this process only: queued for its guest and
   * every thread interrupted, or the default action (the process ends with 128+sig: its threads unwind as their
   * blocking calls return; with exitEndsHost the host process ends after draining offloaded sends).
   */
  signalProcess(processId: number, sig: number): void;
  /** A host pipe, both ends close-on-exec: [readFd, writeFd] (library stdio 'pipe'). */
  pipe(): [number, number];
  closeFd(fd: number): void;
  /** Calls `fn(address)` on this thread each time a socket of the process starts listening ("127.0.0.1:8080"). */
  setListenNotifier(processId: number, fn: (address: string) => void): void;
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
      try {
        addon = load(path.join(__dirname, '..'));
      } catch (e) {
        // node-gyp-build's message lists what it looked for; say what to do about it.
        const first = String((e as Error).message).split('\n')[0];
        throw new WasmxError(
          `${first}\nwasmx: no prebuilt addon for this platform and no local build: run \`npm rebuild wasmx\` ` +
            '(needs python3, make and a C++ compiler: g++ or clang++)',
          2,
        );
      }
    }
  }
  return addon;
}
