/**
 * `wasmx serve`: N independent instances of one module (each its own process and memory) on the worker pool,
 * sharing the port like nginx workers — through SO_REUSEPORT on the sockets the guests bind, or one listener
 * wasmx opens (`--tcplisten`) preopened in every instance. Instances that exit or trap are restarted with
 * backoff; too many failures in a minute stop the server. SIGINT/SIGTERM drain gracefully: accepts stop, in-flight
 * connections get the grace period, then every instance still running gets SIGTERM (its handler, or the default
 * action) and whatever is left is released (its threads unwind wherever they are blocked). SIGHUP, SIGQUIT,
 * SIGUSR1 and SIGUSR2 are passed on to every instance.
 */
import fs from 'node:fs';
import os from 'node:os';
import type Piscina from 'piscina';
import { WasmxError } from './errors';
import { LinkOptions, createImportedMemory, planLinking } from './linker';
import { LoadedModule } from './loader';
import { native } from './native';
import { RunOptions, createGuestProcess } from './runner';
import { ProcessOutcome, createThreadPool, runThreadedProcess } from './threads';

export interface ServeOptions extends RunOptions {
  /** Instances (default: the number of cores). */
  instances?: number;
  /** Listeners wasmx opens once and preopens in every instance (after the preopened dirs). */
  tcpListen?: { host: string; port: number }[];
  /** Seconds in-flight connections get to finish on SIGINT/SIGTERM (default 5). */
  graceSeconds?: number;
  /** Failures (exits or traps) within a minute that stop the server (default 10). */
  maxFailuresPerMinute?: number;
  /** Where log lines go (default: stderr). */
  log?: (line: string) => void;
}

interface Slot {
  index: number;
  processId?: number;
  startedAt: number;
  consecutive: number;
}

export class Server {
  private readonly pool: Piscina;
  private readonly slots: Slot[];
  private readonly failures: number[] = [];
  private readonly listenerFds: number[];
  private readonly log: (line: string) => void;
  private draining = false;
  private stopped = false;
  private resolveDone!: (code: number) => void;
  /** Called when an instance ends while the server is stopping. */
  private onStoppedEnd?: () => void;
  /** Resolves with the server's exit code once it has stopped. */
  readonly done: Promise<number>;

  constructor(private readonly loaded: LoadedModule, private readonly opts: ServeOptions) {
    const n = opts.instances ?? os.availableParallelism();
    if (!Number.isInteger(n) || n < 1) throw new WasmxError(`--threads must be a positive integer`, 2);
    planLinking(loaded.imports, opts); // link errors (and --strict) surface before anything starts
    this.log = opts.log ?? ((line) => fs.writeSync(2, `wasmx serve: ${line}\n`));
    this.listenerFds = (opts.tcpListen ?? []).map((l) => {
      try {
        return native().listenTcp(l.host, l.port);
      } catch (e) {
        throw new WasmxError((e as Error).message, 2);
      }
    });
    this.pool = createThreadPool({ warm: n });
    this.slots = Array.from({ length: n }, (_, index) => ({ index, startedAt: 0, consecutive: 0 }));
    this.done = new Promise((r) => (this.resolveDone = r));
  }

  start(): void {
    const where = this.opts.tcpListen?.length
      ? `listening on ${this.opts.tcpListen.map((l) => `${l.host}:${l.port}`).join(', ')}`
      : 'on the addresses the guest binds (shared with SO_REUSEPORT)';
    this.log(`${this.loaded.file}: ${this.slots.length} instance${this.slots.length === 1 ? '' : 's'} ${where}`);
    for (const slot of this.slots) this.launch(slot);
  }

  private launch(slot: Slot): void {
    if (this.draining || this.stopped) return;
    const env = [...(this.opts.env ?? []), `WASMX_INSTANCE=${slot.index}`, `WASMX_INSTANCES=${this.slots.length}`];
    const link: LinkOptions = { strict: this.opts.strict };
    const processId = createGuestProcess({ ...this.opts, env, exitEndsHost: false, reusePort: true, socketFds: this.listenerFds });
    const plan = planLinking(this.loaded.imports, link);
    const memory = plan.memoryImport ? createImportedMemory(plan.memoryImport) : undefined;
    slot.processId = processId;
    slot.startedAt = Date.now();
    runThreadedProcess(this.pool, this.loaded, processId, memory, link).then((o) => this.onInstanceEnd(slot, processId, o));
  }

  private onInstanceEnd(slot: Slot, processId: number, outcome: ProcessOutcome): void {
    if (slot.processId !== processId) return; // released already by stop()
    native().releaseProcess(processId);
    slot.processId = undefined;
    if (this.stopped) return this.onStoppedEnd?.();
    if (this.draining) return this.maybeFinishDrain();
    const reason =
      outcome.status === 'exit' ? `exited with code ${outcome.code}` : outcome.status === 'trap' ? `trapped: ${outcome.message}` : `failed: ${outcome.message}`;
    const now = Date.now();
    this.failures.push(now);
    while (this.failures.length && this.failures[0] < now - 60_000) this.failures.shift();
    const max = this.opts.maxFailuresPerMinute ?? 10;
    if (this.failures.length > max) {
      this.log(`instance ${slot.index} ${reason}; ${this.failures.length} failures in the last minute (limit ${max}): stopping`);
      return this.stop(1);
    }
    // Backoff: 100 ms doubling per consecutive quick failure, up to 5 s; reset after 10 s of healthy running.
    slot.consecutive = now - slot.startedAt > 10_000 ? 0 : slot.consecutive + 1;
    const delay = Math.min(5_000, 100 * 2 ** Math.max(0, slot.consecutive - 1));
    this.log(`instance ${slot.index} ${reason}; restarting in ${delay} ms`);
    setTimeout(() => this.launch(slot), delay);
  }

  /** Graceful stop: instances stop waiting for new connections, finish what they hold, then the server exits 0. */
  drain(): void {
    if (this.draining) return;
    this.draining = true;
    const grace = (this.opts.graceSeconds ?? 5) * 1000;
    this.log(`draining (up to ${grace / 1000} s for in-flight connections)`);
    for (const s of this.slots) if (s.processId !== undefined) native().beginDrain(s.processId);
    const deadline = Date.now() + grace;
    let quietPolls = 0;
    const poll = (): void => {
      if (this.stopped) return;
      const open = this.slots.reduce((n, s) => n + (s.processId === undefined ? 0 : native().openConnections(s.processId)), 0);
      quietPolls = open === 0 ? quietPolls + 1 : 0;
      if (quietPolls >= 2 || Date.now() >= deadline) return this.stop(0);
      setTimeout(poll, 50);
    };
    poll();
  }

  private maybeFinishDrain(): void {
    if (this.slots.every((s) => s.processId === undefined)) this.stop(0);
  }

  /** Sends `sig` (WASIX number) to every running instance. */
  signal(sig: number): void {
    for (const s of this.slots) if (s.processId !== undefined) native().signalProcess(s.processId, sig);
  }

  /**
   * Ends the server: instances still running get SIGTERM (wherever their threads are blocked, the call returns
   * EINTR and the guest's handler or default action runs); those not gone within a second are released, which
   * unwinds their threads. Then `done` resolves.
   */
  private stop(code: number): void {
    if (this.stopped) return;
    this.stopped = true;
    const finish = (): void => {
      clearTimeout(timer);
      this.onStoppedEnd = undefined;
      for (const s of this.slots) {
        if (s.processId === undefined) continue;
        native().releaseProcess(s.processId);
        s.processId = undefined;
      }
      this.resolveDone(code);
    };
    const timer = setTimeout(finish, 1000);
    this.onStoppedEnd = () => {
      if (this.slots.every((s) => s.processId === undefined)) finish();
    };
    this.signal(SIGTERM);
    this.onStoppedEnd();
  }
}

/** WASIX (= Linux) signal numbers of the host signals serve passes on. */
const SIGHUP = 1;
const SIGQUIT = 3;
const SIGUSR1 = 10;
const SIGUSR2 = 12;
const SIGTERM = 15;

/**
 * Runs a server until it stops; returns the exit code. While it runs, SIGINT/SIGTERM drain it and SIGHUP, SIGQUIT,
 * SIGUSR1, SIGUSR2 go to every instance; the handlers are removed when it stops.
 */
export async function serve(loaded: LoadedModule, opts: ServeOptions): Promise<number> {
  const server = new Server(loaded, opts);
  const handlers: [NodeJS.Signals, () => void][] = [
    ['SIGINT', () => server.drain()],
    ['SIGTERM', () => server.drain()],
    ['SIGHUP', () => server.signal(SIGHUP)],
    ['SIGQUIT', () => server.signal(SIGQUIT)],
    // --stats takes SIGUSR1 for its report (import_observer.h); without it the instances get the signal.
    ['SIGUSR1', () => { if (!native().reportStatsNow()) server.signal(SIGUSR1); }],
    ['SIGUSR2', () => server.signal(SIGUSR2)],
  ];
  for (const [sig, fn] of handlers) process.on(sig, fn);
  try {
    server.start();
    return await server.done;
  } finally {
    for (const [sig, fn] of handlers) process.off(sig, fn);
  }
}
