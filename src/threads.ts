/**
 * Running a threaded guest (one that imports thread-spawn or a shared memory). Every guest thread, the main one
 * included, runs on a worker of a warm piscina pool, so the main JS thread stays free to dispatch spawns: the
 * addon's thread-spawn calls back here through a thread-safe function, and the new thread's instance starts on
 * an idle worker without a cold worker start.
 */
import path from 'node:path';
import type Piscina from 'piscina';
import { GuestOutcome, GuestTask } from './guest-task';
import { LinkOptions } from './linker';
import { LoadedModule } from './loader';
import { MAIN_TID, ModuleRef } from './runner';
import { native } from './native';

export interface ThreadPoolOptions {
  /** Workers kept started and idle, ready for the next guest thread (default: 2). */
  warm?: number;
  /** Most guest threads alive at once (each occupies a worker while it runs). */
  maxThreads?: number;
  /** How long an idle worker beyond the warm ones is kept (default 60 s; 0 = a fresh worker per thread). */
  idleTimeoutMs?: number;
}

export function createThreadPool(opts: ThreadPoolOptions = {}): Piscina {
  const warm = opts.warm ?? 2;
  // Loaded here, not at the top: single-threaded `wasmx run` never needs it, and it costs ~15 ms of startup.
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const PiscinaPool = require('piscina') as typeof Piscina;
  return new PiscinaPool({
    filename: path.join(__dirname, 'pool-worker.js'),
    minThreads: warm,
    maxThreads: Math.max(warm, opts.maxThreads ?? 256),
    idleTimeout: opts.idleTimeoutMs ?? 60_000,
    // A guest thread blocks its worker for its whole life: never queue a thread behind another.
    concurrentTasksPerWorker: 1,
  });
}

/** True when the module needs the threaded runner: it can spawn threads or shares its memory. */
export function isThreaded(loaded: LoadedModule): boolean {
  return loaded.imports.some(
    (i) =>
      (i.kind === 'function' && ((i.module === 'wasi' && i.name === 'thread-spawn') || (i.module === 'wasix_32v1' && i.name.startsWith('thread_spawn')))) ||
      (i.kind === 'memory' && i.limits.shared),
  );
}

/** How a threaded guest process ended. */
export type ProcessOutcome = Exclude<GuestOutcome, { status: 'returned' } | { status: 'thread-exit' }>;

/**
 * Runs process `processId`'s main thread and every thread it spawns on `pool`; resolves when the process is
 * over: `_start` returned (code 0), a thread called proc_exit (when the addon does not end the host itself),
 * a thread trapped, or the last thread exited.
 */
export function runThreadedProcess(pool: Piscina, module: ModuleRef, processId: number, memory: WebAssembly.Memory | undefined, linkOpts: LinkOptions): Promise<ProcessOutcome> {
  const loaded: ModuleRef = { file: module.file, module: module.module, imports: module.imports, ...(module.table ? { table: module.table } : {}) };
  // What crosses to the workers: plain data only; this thread has said the link-time warnings already.
  const link: LinkOptions = { strict: !!linkOpts.strict, planned: true };
  return new Promise((resolve) => {
    let done = false;
    const finish = (o: ProcessOutcome): void => {
      if (!done) {
        done = true;
        resolve(o);
      }
    };
    const settle = (tid: number, o: GuestOutcome): void => {
      const alive = native().threadExited(processId, tid);
      if (o.status === 'returned' && tid === MAIN_TID) return finish({ status: 'exit', code: 0 });
      if (o.status === 'returned' || o.status === 'thread-exit') {
        if (alive === 0) finish({ status: 'exit', code: 0 });
        return;
      }
      finish(o);
    };
    const run = (task: GuestTask): void => {
      pool.run(task).then(
        (o: GuestOutcome) => settle(task.tid, o),
        (e: Error) => settle(task.tid, { status: 'error', message: e.message, exitCode: 1 }),
      );
    };
    native().setThreadSpawner(processId, (tid: number, startArg: number) => {
      if (!done) run({ kind: 'thread', loaded, processId, memory, tid, startArg, link });
    });
    run({ kind: 'main', loaded, processId, memory, tid: MAIN_TID, link });
  });
}


