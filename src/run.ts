/**
 * The library's run(): one guest command, threaded or not, to completion. By default every guest thread runs on a
 * worker (a small piscina pool made for the run and destroyed after it), so the caller's event loop keeps
 * running while the guest blocks; `inThread: true` runs an unthreaded guest on the calling thread instead
 * (faster to start: README "Library API").
 *
 * stdio: the addon's fd_write/fd_read go straight to host fds, so 'pipe' is a host pipe whose guest end is the
 * guest's fd 0/1/2 (dup'd into its process) and whose other end is a non-blocking net.Socket here; 'ignore' is
 * /dev/null; a number is a host fd the guest gets a dup of.
 */
import fs from 'node:fs';
import net from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { TrapError, UsageError, WasmxError } from './errors';
import { createImportedMemory, planLinking } from './linker';
import { LoadedModule, loadModule } from './loader';
import { native } from './native';
import { GUEST_OPTION_KEYS, GuestOptions, checkKeys, toProcessOptions } from './options';
import { callStart, configureObservation, createGuestProcess, instantiate } from './runner';
import { stopGuest } from './stop';
import { ProcessOutcome, createThreadPool, isThreaded, runThreadedProcess } from './threads';

/** Where one of the guest's fds 0, 1, 2 goes: the host's own, a pipe to this process, /dev/null, or a host fd. */
export type StdioTarget = 'inherit' | 'pipe' | 'ignore' | number;
export type StdioOption = StdioTarget | [StdioTarget, StdioTarget, StdioTarget];

export interface RunOptions extends GuestOptions {
  /** Default 'inherit'. With 'pipe', the returned promise carries `stdin` (Writable), `stdout`, `stderr` (Readable). */
  stdio?: StdioOption;
  /** Aborting it sends the guest SIGTERM, as a host SIGTERM to `wasmx run` would (no handler: ends with 143). */
  signal?: AbortSignal;
  /** Run an unthreaded guest on the calling thread (blocks the event loop while the guest runs). Default false. */
  inThread?: boolean;
}

const RUN_KEYS = [...GUEST_OPTION_KEYS, 'stdio', 'signal', 'inThread'] as const;

/** What run() returns: a promise of the guest's exit status, with its piped stdio streams (null otherwise). */
export type GuestRun = Promise<number> & {
  stdin: Writable | null;
  stdout: Readable | null;
  stderr: Readable | null;
};

/** Exit status of a guest ended by signal `sig`'s default action (POSIX shells' convention). */
const SIGTERM = 15;

interface StdioPlan {
  /** Host fds handed to the guest process (it dups them). */
  fds: [number, number, number];
  /** Our copies of what we opened for the guest: closed once the process holds its dups. */
  guestEnds: number[];
  streams: [Writable | null, Readable | null, Readable | null];
}

function planStdio(stdio: StdioOption | undefined): StdioPlan {
  const targets = Array.isArray(stdio) ? stdio : [stdio ?? 'inherit', stdio ?? 'inherit', stdio ?? 'inherit'];
  if (targets.length !== 3) throw new UsageError(`run: option 'stdio' must be 'inherit', 'pipe', 'ignore', a fd, or an array of three of those`);
  const plan: StdioPlan = { fds: [-1, -1, -1], guestEnds: [], streams: [null, null, null] };
  try {
    targets.forEach((t, fd) => {
      if (t === 'inherit') return;
      if (t === 'ignore') {
        plan.fds[fd] = fs.openSync('/dev/null', fd === 0 ? 'r' : 'w');
        plan.guestEnds.push(plan.fds[fd]);
      } else if (typeof t === 'number' && Number.isInteger(t) && t >= 0) {
        plan.fds[fd] = t;
      } else if (t === 'pipe') {
        const [r, w] = native().pipe();
        const [ours, theirs] = fd === 0 ? [w, r] : [r, w];
        plan.fds[fd] = theirs;
        plan.guestEnds.push(theirs);
        const sock = new net.Socket({ fd: ours, readable: fd !== 0, writable: fd === 0 });
        // Writes after the guest has gone fail with EPIPE, like a child process's stdin: not an uncaught error.
        if (fd === 0) sock.on('error', (e: NodeJS.ErrnoException) => { if (e.code !== 'EPIPE' && e.code !== 'ECONNRESET') throw e; });
        plan.streams[fd] = sock;
      } else {
        throw new UsageError(`run: stdio[${fd}] must be 'inherit', 'pipe', 'ignore' or a fd number (got ${String(t)})`);
      }
    });
  } catch (e) {
    closeGuestEnds(plan);
    for (const s of plan.streams) s?.destroy();
    throw e;
  }
  return plan;
}

function closeGuestEnds(plan: StdioPlan): void {
  for (const fd of plan.guestEnds.splice(0)) native().closeFd(fd);
}

/** Resolves once a piped output stream that is being read has ended (so nothing the guest wrote is lost). */
function drained(s: Readable | null): Promise<void> {
  if (!s || s.readableEnded || s.destroyed) return Promise.resolve();
  if (!s.readableFlowing && !s.readableDidRead && s.listenerCount('data') === 0 && s.listenerCount('readable') === 0) return Promise.resolve();
  return new Promise((r) => s.once('close', r));
}

/**
 * Runs a WASI/WASIX command (a path to a .wasm/.wat file, or its bytes) to completion. Resolves with its exit
 * status; rejects with TrapError when it traps, with LoadError/LinkError/UsageError before it starts.
 * Invalid options throw a UsageError at once.
 */
export function run(module: string | Uint8Array, options: RunOptions = {}): GuestRun {
  checkKeys('run', options, RUN_KEYS);
  const proc = toProcessOptions('run', options, typeof module === 'string' ? module : 'main.wasm');
  const { signal, inThread = false } = options;
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new UsageError(`run: option 'signal' must be an AbortSignal`);
  if (typeof inThread !== 'boolean') throw new UsageError(`run: option 'inThread' must be a boolean`);
  if (inThread && signal) throw new UsageError(`run: 'signal' needs the guest on a worker (the event loop is blocked while an inThread guest runs)`);
  const stdioPlan = planStdio(options.stdio);
  if (inThread && stdioPlan.streams.some((s) => s)) {
    for (const s of stdioPlan.streams) s?.destroy();
    closeGuestEnds(stdioPlan);
    throw new UsageError(`run: stdio 'pipe' needs the guest on a worker (an inThread guest would block on a full pipe nobody reads)`);
  }
  const [stdin, stdout, stderr] = stdioPlan.streams;
  const exited = (async (): Promise<number> => {
    let loaded: LoadedModule;
    let processId: number | undefined;
    try {
      loaded = await loadModule(module);
      configureObservation(proc);
      if (signal?.aborted) return 128 + SIGTERM;
      const plan = planLinking(loaded.imports, proc);
      const threaded = isThreaded(loaded) && !!plan.memoryImport?.shared;
      if (inThread && threaded) throw new UsageError(`run: ${loaded.file} is a threaded module: it cannot run inThread`);
      processId = createGuestProcess({ ...proc, stdioFds: stdioPlan.fds }, loaded);
      closeGuestEnds(stdioPlan);
      if (inThread) {
        const { instance } = instantiate(loaded, processId, proc);
        return callStart(instance, loaded.file);
      }
      return settle(await runOnWorkers(loaded, processId, threaded ? createImportedMemory(plan.memoryImport!) : undefined, proc, threaded, signal));
    } finally {
      closeGuestEnds(stdioPlan);
      // The guest's fds close here (a piped stdin/stdout/stderr then sees EOF), offloaded sends are drained first.
      if (processId !== undefined) native().releaseProcess(processId);
      if (proc.stats) process.stderr.write(native().formatImportStats());
      if (processId === undefined) for (const s of stdioPlan.streams) s?.destroy();
      await Promise.all([drained(stdout), drained(stderr)]);
      stdin?.destroy();
    }
  })();
  return Object.assign(exited, { stdin, stdout, stderr });
}

function settle(outcome: ProcessOutcome): number {
  if (outcome.status === 'exit') return outcome.code;
  if (outcome.status === 'trap') throw new TrapError(outcome.message);
  throw new WasmxError(outcome.message, outcome.exitCode);
}

/** Every guest thread on a pool made for this run; the pool goes when the guest is done, or on abort. */
async function runOnWorkers(
  loaded: LoadedModule,
  processId: number,
  memory: WebAssembly.Memory | undefined,
  link: { strict?: boolean },
  threaded: boolean,
  signal: AbortSignal | undefined,
): Promise<ProcessOutcome> {
  const pool = createThreadPool({ warm: 1, maxThreads: threaded ? undefined : 1, idleTimeoutMs: 1_000 });
  // As a host SIGTERM: the guest's handler decides, or the default action ends it with 143 (its threads unwind
  // wherever they are blocked, and the outcome arrives as for any other end).
  const onAbort = (): void => stopGuest(processId, SIGTERM);
  try {
    const ended = runThreadedProcess(pool, loaded, processId, memory, link);
    if (signal) {
      signal.addEventListener('abort', onAbort, { once: true });
      if (signal.aborted) onAbort();
    }
    return await ended;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    // Wakes threads still blocked in the process (ending their calls), then ends the workers.
    stopGuest(processId, 0);
    pool.destroy().catch(() => undefined);
  }
}
