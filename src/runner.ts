/** Running a guest command: create its process in the addon, link, instantiate, call `_start`. */
import { WasmxError } from './errors';
import { LinkOptions, createImportedMemory, importsWasix, linkImports, planLinking } from './linker';
import { LoadedModule } from './loader';
import { DYNAMIC_CALL_SIGNATURES, DynamicCalls, usesDynamicCalls } from './dynamic-calls';
import { ImportStatsRow, OffloadMode, native } from './native';
import { asTrap } from './trap';

/** The main thread's TID (guest threads get 2, 3, ...; ABI §7.4). */
export const MAIN_TID = 1;

export interface Preopen {
  host: string;
  guest: string;
}

/** What a guest process is made with (internal: the CLI, run() and serve() build it from their options). */
export interface GuestProcessOptions extends LinkOptions {
  /** Guest argv, argv[0] included (the CLI passes the module path, like wasmtime). */
  args?: string[];
  /** Guest environment as KEY=VALUE strings. */
  env?: string[];
  dirs?: Preopen[];
  /** Allow sockets (`--net`). */
  net?: boolean;
  /** Host fds of listening sockets to preopen after the directories. */
  socketFds?: number[];
  /** proc_exit terminates this Node process right away (the CLI's `run`). Default: false, run() returns the code. */
  exitEndsHost?: boolean;
  /** TCP sockets the guest binds get SO_REUSEPORT (serve). */
  reusePort?: boolean;
  /** Offload pool for accepted TCP sockets (README "Offload"): 'off' | 'threads' | 'uring' | 'auto' (default). */
  offload?: OffloadMode;
  /** Cap on bytes in flight per process in the offload pool (default 8 MiB). */
  offloadMaxBytes?: number;
  /** Offload pool threads (default: 1 per 4 cores, 1..4). */
  offloadThreads?: number;
  /** Diagnostics on stderr. */
  verbose?: boolean;
  /** Host fds for guest 0..2 (-1: the host's own). */
  stdioFds?: [number, number, number];
  /** `wasmx: listening on ADDR` on stderr when the guest listens. */
  announceListen?: boolean;
  /** Count and time every import call (README "--stats and --trace"); run() prints the table to stderr at the end.
   * The counters are host-wide: they cover every guest this Node process runs. */
  stats?: boolean;
  /** Also write the stats report as JSON to this file. */
  statsJson?: string;
  /** One line per import call on stderr (or traceFile); WASMX_TRACE=name,name selects imports. */
  trace?: boolean;
  traceFile?: string;
}

/** Turns on --stats / --trace for this host process when `opts` asks for them (WASMX_TRACE=a,b traces only those
 * imports, and turns tracing on by itself). */
export function configureObservation(opts: Pick<GuestProcessOptions, 'stats' | 'statsJson' | 'trace' | 'traceFile'>): void {
  const only = (process.env.WASMX_TRACE ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '' && s !== '1' && s !== 'all');
  const trace = !!opts.trace || !!process.env.WASMX_TRACE;
  const stats = !!opts.stats || opts.statsJson !== undefined;
  if (!trace && !stats) return;
  try {
    // The dynamic calls are TypeScript's (src/dynamic-calls.ts) but are observed by the addon's one observer too.
    native().configureObserver({ stats, trace, traceOnly: only, jsImports: Object.keys(DYNAMIC_CALL_SIGNATURES), ...(opts.statsJson ? { statsJson: opts.statsJson } : {}), ...(opts.traceFile ? { traceFile: opts.traceFile } : {}) });
  } catch (e) {
    throw new WasmxError((e as Error).message, 2);
  }
}

/** The observer ids of the dynamic-call imports when --stats / --trace is on in this host process (decided per
 * instance: a guest thread's worker asks the addon, where the configuration lives); undefined when it is off. */
function observerIds(): Record<string, number> | undefined {
  const ids = Object.fromEntries(Object.keys(DYNAMIC_CALL_SIGNATURES).map((n) => [n, native().observedImportId(n)]));
  return Object.values(ids).some((id) => id >= 0) ? ids : undefined;
}

/** A guest process in the addon for `loaded`, released when the run ends. A WASIX `loaded` also gets a /dev (with a
 * private /dev/shm) after its preopens, as wasmer gives it (docs/decisions.md "The guest's /dev"). */
export function createGuestProcess(opts: GuestProcessOptions, loaded?: Pick<LoadedModule, 'imports'>): number {
  try {
    return native().createProcess({
      args: opts.args ?? ['main.wasm'],
      env: opts.env ?? [],
      preopenHost: (opts.dirs ?? []).map((d) => d.host),
      preopenGuest: (opts.dirs ?? []).map((d) => d.guest),
      socketFds: (opts.socketFds ?? []).map(String),
      net: opts.net ?? false,
      exitEndsHost: opts.exitEndsHost ?? false,
      reusePort: opts.reusePort ?? false,
      // WASMX_OFFLOAD sets the default (e.g. to run a test suite or a benchmark with a backend forced).
      offload: opts.offload ?? (process.env.WASMX_OFFLOAD as OffloadMode | undefined) ?? 'auto',
      ...(opts.offloadMaxBytes !== undefined ? { offloadMaxBytes: opts.offloadMaxBytes } : {}),
      ...(opts.offloadThreads !== undefined ? { offloadThreads: opts.offloadThreads } : {}),
      verbose: opts.verbose ?? false,
      ...(opts.stdioFds ? { stdio: opts.stdioFds } : {}),
      announceListen: opts.announceListen ?? false,
      dev: loaded ? importsWasix(loaded.imports) : false,
    });
  } catch (e) {
    throw new WasmxError((e as Error).message, 2);
  }
}

export interface GuestInstance {
  instance: WebAssembly.Instance;
  memory: WebAssembly.Memory;
}

/** What instantiation needs of a loaded module (small enough to post to a worker: no bytes). */
export type ModuleRef = Pick<LoadedModule, 'file' | 'module' | 'imports' | 'table'>;

/** Instantiates `loaded` as thread `tid` of process `processId` (sharing `memory` when given). */
export function instantiate(loaded: ModuleRef, processId: number, opts: LinkOptions, memory?: WebAssembly.Memory, tid = MAIN_TID): GuestInstance {
  const plan = planLinking(loaded.imports, opts);
  const mem = memory ?? (plan.memoryImport ? createImportedMemory(plan.memoryImport) : undefined);
  const dynamicCalls = usesDynamicCalls(loaded.imports);
  const [hostImports, bindMemory, bindExports, hooks] = dynamicCalls
    ? native().createInstance(processId, mem ?? null, tid, importsWasix(loaded.imports), true)
    : native().createInstance(processId, mem ?? null, tid, importsWasix(loaded.imports));
  // Dynamic calls and closures are implemented here in JS (they need the table), one set per instance.
  // (A module whose table could not be read gets them all the same; they answer NOTSUP.)
  const dynamic = dynamicCalls ? new DynamicCalls(loaded.table ?? { types: [], segments: [] }, hooks) : undefined;
  if (dynamic) Object.assign((hostImports.wasix_32v1 ??= {}), dynamic.imports(observerIds()));
  const table = plan.tableImport ? (dynamic ?? new DynamicCalls({ types: [], segments: [] })).importedTable(plan.tableImport.initial) : undefined;
  const imports = linkImports(loaded.imports, plan, hostImports, mem, opts, table);
  let instance: WebAssembly.Instance;
  try {
    instance = new WebAssembly.Instance(loaded.module, imports);
  } catch (e) {
    const trap = asTrap(e);
    if (trap) throw trap;
    throw new WasmxError(`${loaded.file}: cannot instantiate: ${(e as Error).message}`, 2);
  }
  const exported = instance.exports.memory;
  const finalMemory = mem ?? (exported instanceof WebAssembly.Memory ? exported : undefined);
  if (!finalMemory) throw new WasmxError(`${loaded.file}: the module neither exports nor imports a memory`, 2);
  if (!mem) bindMemory(finalMemory);
  bindExports(instance.exports);
  dynamic?.bind(instance.exports, finalMemory);
  return { instance, memory: finalMemory };
}

/** Calls the command entry point; returns the guest's exit code. Traps are thrown as TrapError. */
export function callStart(instance: WebAssembly.Instance, file: string): number {
  const start = instance.exports._start;
  if (typeof start !== 'function') throw new WasmxError(`${file}: the module has no _start export (not a WASI command)`, 2);
  try {
    (start as () => void)();
    return 0;
  } catch (e) {
    const code = (e as { wasmxExitCode?: number } | null)?.wasmxExitCode;
    if (typeof code === 'number') return code;
    const trap = asTrap(e);
    if (trap) throw trap;
    throw e;
  }
}

/** The --stats counters so far (host-wide; see the stats option), most time first. */
export function importStats(): ImportStatsRow[] {
  return native().importStats();
}
