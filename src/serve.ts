/**
 * `serve`: N independent instances of one module (each its own process and memory) on a worker pool, sharing
 * the port like nginx workers — through SO_REUSEPORT on the sockets the guests bind, or one listener wasmx
 * opens (`tcpListen`) preopened in every instance. The returned Server is an EventEmitter that says where it
 * listens and when instances exit and restart; close() drains it. Sockets are allowed by default (a server
 * needs them). An instance that ends before any instance has listened stops the server at once with the reason
 * (restarting a program that cannot start would fail the same way); after that, instances that exit or trap
 * are restarted with backoff, and too many failures in a minute stop the server. Stopping (close(), or
 * SIGINT/SIGTERM with handleSignals): accepts stop, in-flight connections get the grace period, then every
 * instance still running gets SIGTERM (its handler, or the default action) and whatever is left is released (its
 * threads unwind wherever they are blocked). With handleSignals, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 are passed
 * on to every instance.
 */
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import type Piscina from 'piscina';
import { UsageError, WasmxError } from './errors';
import { LinkOptions, createImportedMemory, planLinking } from './linker';
import { LoadedModule, loadModule } from './loader';
import { native } from './native';
import { GUEST_OPTION_KEYS, GuestOptions, checkKeys, toProcessOptions } from './options';
import { GuestProcessOptions, createGuestProcess } from './runner';
import { stopGuest } from './stop';
import { ProcessOutcome, createThreadPool, runThreadedProcess } from './threads';

export interface ServeOptions extends GuestOptions {
  /** Instances (default: the number of cores). */
  instances?: number;
  /** Listeners wasmx opens once and preopens in every instance (after the dirs): 'HOST:PORT' or { host, port }. */
  tcpListen?: (string | { host: string; port: number })[];
  /** Seconds in-flight connections get to finish on close() (default 5). */
  graceSeconds?: number;
  /** Failures (exits or traps) within a minute that stop the server (default 10). */
  maxFailuresPerMinute?: number;
  /** Where wasmx's log lines go (default: stderr, prefixed `wasmx serve:`). */
  log?: (line: string) => void;
  /** While the server runs, SIGINT/SIGTERM drain it and SIGHUP/SIGQUIT/SIGUSR1/SIGUSR2 go to every instance
   * (handlers removed when it stops). Default false. */
  handleSignals?: boolean;
}

const SERVE_KEYS = [...GUEST_OPTION_KEYS, 'instances', 'tcpListen', 'graceSeconds', 'maxFailuresPerMinute', 'log', 'handleSignals'] as const;

/** What the Server is made with (the CLI builds it directly). */
export interface ServerConfig extends GuestProcessOptions {
  instances?: number;
  tcpListen?: { host: string; port: number }[];
  graceSeconds?: number;
  maxFailuresPerMinute?: number;
  log?: (line: string) => void;
  quiet?: boolean;
  handleSignals?: boolean;
}

/** An instance that ended on its own (event 'instanceExit'). */
export interface InstanceExit {
  instance: number;
  status: 'exit' | 'trap' | 'error';
  /** Exit code (status 'exit'), or the code wasmx would exit with. */
  code: number;
  /** What happened, in words ("exited with code 1", "trapped: unreachable ..."). */
  reason: string;
}

/** "HOST:PORT" (IPv6 in brackets) → { host, port }; throws UsageError naming `what`. */
export function parseHostPort(spec: string, what = '--tcplisten'): { host: string; port: number } {
  const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(spec);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) throw new UsageError(`${what} ${spec}: expected HOST:PORT (e.g. 127.0.0.1:8080 or [::1]:8080)`);
  return { host: m[1], port };
}

interface Slot {
  index: number;
  processId?: number;
  startedAt: number;
  consecutive: number;
}

/**
 * A running server. Events: 'listening' (address: string) once per address the instances (or tcpListen) listen
 * on; 'instanceExit' (InstanceExit); 'instanceRestart' ({ instance, delayMs }); 'close' (exitCode).
 */
export class Server extends EventEmitter {
  /** Addresses listened on, in the order first seen ("127.0.0.1:8080", "[::1]:8080"). */
  readonly addresses: string[] = [];
  /** Resolves with the server's exit code once it has stopped (0 after a drain). */
  readonly done: Promise<number>;
  private readonly pool: Piscina;
  private readonly slots: Slot[];
  private readonly failures: number[] = [];
  private readonly listenerFds: number[];
  private readonly tcpAddresses: string[];
  private readonly say: (line: string) => void;
  private readonly signalHandlers: [NodeJS.Signals, () => void][] = [
    ['SIGINT', () => this.drain()],
    ['SIGTERM', () => this.drain()],
    ['SIGHUP', () => this.signal(SIGHUP)],
    ['SIGQUIT', () => this.signal(SIGQUIT)],
    // --stats takes SIGUSR1 for its report (import_observer.h); without it the instances get the signal.
    ['SIGUSR1', () => { if (!native().reportStatsNow()) this.signal(SIGUSR1); }],
    ['SIGUSR2', () => this.signal(SIGUSR2)],
  ];
  /** Called when an instance ends while the server is stopping. */
  private onStoppedEnd?: () => void;
  private draining = false;
  private stopped = false;
  private warnedOwnListener = false;
  private lastReason = '';
  private resolveDone!: (code: number) => void;

  constructor(private readonly loaded: LoadedModule, private readonly opts: ServerConfig) {
    super();
    const n = opts.instances ?? os.availableParallelism();
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`--threads must be a positive integer`);
    planLinking(loaded.imports, opts); // link errors (and --strict) surface before anything starts
    this.say = opts.log ?? ((line) => fs.writeSync(2, `wasmx serve: ${line}\n`));
    this.tcpAddresses = (opts.tcpListen ?? []).map((l) => `${l.host}:${l.port}`);
    this.listenerFds = [];
    for (const l of opts.tcpListen ?? []) {
      try {
        this.listenerFds.push(native().listenTcp(l.host, l.port));
      } catch (e) {
        for (const fd of this.listenerFds) native().closeFd(fd);
        throw new WasmxError((e as Error).message, 2);
      }
    }
    this.pool = createThreadPool({ warm: n });
    this.slots = Array.from({ length: n }, (_, index) => ({ index, startedAt: 0, consecutive: 0 }));
    this.done = new Promise((r) => (this.resolveDone = r));
  }

  /** The first address listened on (undefined until then). */
  /** True from the moment a drain starts (--admin's /readyz turns 503). */
  get isDraining(): boolean {
    return this.draining;
  }

  get instanceCount(): number {
    return this.slots.length;
  }

  /** The guest processes of the instances running now. */
  processIds(): number[] {
    return this.slots.flatMap((s) => (s.processId === undefined ? [] : [s.processId]));
  }

  get address(): string | undefined {
    return this.addresses[0];
  }

  /** Why the server stopped, when it stopped on failures. */
  get stopReason(): string {
    return this.lastReason;
  }

  start(): void {
    if (this.opts.handleSignals) for (const [sig, fn] of this.signalHandlers) process.on(sig, fn);
    const n = this.slots.length;
    this.say(`${this.loaded.file}: ${n} instance${n === 1 ? '' : 's'}${this.tcpAddresses.length ? '' : ', sharing the addresses they bind (SO_REUSEPORT)'}`);
    const firstFd = 3 + (this.opts.dirs?.length ?? 0);
    this.tcpAddresses.forEach((addr, i) => this.listening(addr, `--tcplisten: opened by wasmx, fd ${firstFd + i} in every instance`));
    for (const slot of this.slots) this.launch(slot);
  }

  private listening(addr: string, note?: string): void {
    if (this.addresses.includes(addr)) return;
    this.addresses.push(addr);
    if (!this.opts.quiet) {
      if (this.opts.log) this.opts.log(`listening on ${addr}${note ? ` (${note})` : ''}`);
      else fs.writeSync(2, `wasmx: listening on ${addr}${note ? ` (${note})` : ''}\n`);
    }
    this.emit('listening', addr);
  }

  private onGuestListen(slot: Slot, addr: string): void {
    if (this.tcpAddresses.length && !this.tcpAddresses.includes(addr) && !this.warnedOwnListener) {
      // The guest opened its own listener: the one wasmx preopened is not where its connections are accepted.
      this.warnedOwnListener = true;
      this.say(`instance ${slot.index} listens on ${addr} itself; the --tcplisten socket ${this.tcpAddresses.join(', ')} is not the one it serves`);
    }
    this.listening(addr);
  }

  private launch(slot: Slot): void {
    if (this.draining || this.stopped) return;
    const env = [...(this.opts.env ?? []), `WASMX_INSTANCE=${slot.index}`, `WASMX_INSTANCES=${this.slots.length}`];
    const link: LinkOptions = { strict: this.opts.strict };
    const processId = createGuestProcess({ ...this.opts, env, exitEndsHost: false, reusePort: true, socketFds: this.listenerFds, announceListen: false }, this.loaded);
    native().setListenNotifier(processId, (addr) => this.onGuestListen(slot, addr));
    const plan = planLinking(this.loaded.imports, { ...link, planned: true });
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
    const code = outcome.status === 'exit' ? outcome.code : outcome.status === 'trap' ? 134 : outcome.exitCode;
    this.emit('instanceExit', { instance: slot.index, status: outcome.status, code, reason } satisfies InstanceExit);
    if (this.addresses.length === 0) {
      this.lastReason = `instance ${slot.index} ${reason} before listening`;
      this.say(`${this.lastReason}; stopping (a restart would fail the same way)`);
      return this.stop(1);
    }
    const now = Date.now();
    this.failures.push(now);
    while (this.failures.length && this.failures[0] < now - 60_000) this.failures.shift();
    const max = this.opts.maxFailuresPerMinute ?? 10;
    if (this.failures.length > max) {
      this.lastReason = `instance ${slot.index} ${reason}; ${this.failures.length} failures in the last minute (limit ${max})`;
      this.say(`${this.lastReason}: stopping`);
      return this.stop(1);
    }
    // Backoff: 100 ms doubling per consecutive quick failure, up to 5 s; reset after 10 s of healthy running.
    slot.consecutive = now - slot.startedAt > 10_000 ? 0 : slot.consecutive + 1;
    const delay = Math.min(5_000, 100 * 2 ** Math.max(0, slot.consecutive - 1));
    this.say(`instance ${slot.index} ${reason}; restarting in ${delay} ms`);
    this.emit('instanceRestart', { instance: slot.index, delayMs: delay });
    setTimeout(() => this.launch(slot), delay);
  }

  /** Graceful stop: instances stop waiting for new connections, finish what they hold, then the server stops
   * (0). Resolves with the exit code. Same as drain(). */
  close(): Promise<number> {
    this.drain();
    return this.done;
  }

  /** Starts the graceful stop (see close()). */
  drain(): void {
    if (this.draining || this.stopped) return;
    this.draining = true;
    const grace = (this.opts.graceSeconds ?? 5) * 1000;
    this.say(`draining (up to ${grace / 1000} s for in-flight connections)`);
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
    for (const s of this.slots) if (s.processId !== undefined) stopGuest(s.processId, sig);
  }

  /**
   * Ends the server: instances still running get SIGTERM (wherever their threads are blocked, the call returns
   * EINTR and the guest's handler or default action runs); those not gone within a second are released, which
   * unwinds their threads. Then everything else the server holds goes (workers, listeners, signal handlers) and
   * `done` resolves.
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
      if (this.opts.handleSignals) for (const [sig, fn] of this.signalHandlers) process.off(sig, fn);
      for (const fd of this.listenerFds.splice(0)) native().closeFd(fd);
      this.pool.destroy().catch(() => undefined);
      this.resolveDone(code);
      this.emit('close', code);
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
 * Starts a server and resolves once it listens (its first address is `server.address`); rejects when it stops
 * before that (the reason in the message). Invalid options throw a UsageError at once.
 */
export async function serve(module: string | Uint8Array, options: ServeOptions = {}): Promise<Server> {
  checkKeys('serve', options, SERVE_KEYS);
  const proc = toProcessOptions('serve', options, typeof module === 'string' ? module : 'main.wasm');
  const { instances, tcpListen, graceSeconds, maxFailuresPerMinute, log, handleSignals } = options;
  const bad = (key: string, what: string): never => {
    throw new UsageError(`serve: option '${key}' must be ${what}`);
  };
  if (instances !== undefined && !(Number.isInteger(instances) && instances >= 1)) bad('instances', 'a positive integer');
  if (graceSeconds !== undefined && !(typeof graceSeconds === 'number' && graceSeconds >= 0)) bad('graceSeconds', 'a number of seconds');
  if (maxFailuresPerMinute !== undefined && !(Number.isInteger(maxFailuresPerMinute) && maxFailuresPerMinute >= 1)) bad('maxFailuresPerMinute', 'a positive integer');
  if (log !== undefined && typeof log !== 'function') bad('log', 'a function');
  if (handleSignals !== undefined && typeof handleSignals !== 'boolean') bad('handleSignals', 'a boolean');
  if (tcpListen !== undefined && !Array.isArray(tcpListen)) bad('tcpListen', "an array of 'HOST:PORT' or { host, port }");
  const listeners = (tcpListen ?? []).map((l) => (typeof l === 'string' ? parseHostPort(l, 'serve: tcpListen') : l));
  const loaded = await loadModule(module);
  const server = new Server(loaded, {
    ...proc,
    net: options.net ?? true,
    quiet: options.quiet,
    instances,
    tcpListen: listeners,
    graceSeconds,
    maxFailuresPerMinute,
    log,
    handleSignals,
  });
  const listening = new Promise<Server>((resolve, reject) => {
    server.once('listening', () => resolve(server));
    server.done.then((code) => reject(new WasmxError(`serve: the server stopped (exit ${code}) before listening: ${server.stopReason || 'no reason given'}`, code || 1)));
  });
  server.start();
  return listening;
}
