/** The `wasmx` command line. */
import fs from 'node:fs';
import path from 'node:path';
import { TrapError, UsageError, WasmxError } from './errors';
import { Preopen, callStart, configureObservation, createGuestProcess, instantiate } from './runner';
import { loadModule } from './loader';
import { createImportedMemory, planLinking } from './linker';
import { OffloadMode, native } from './native';
import { createThreadPool, isThreaded, runThreadedProcess } from './threads';
import { AdminAddress, attachAdmin, formatAddress, parseAdminAddress, startAdmin } from './admin';
import { Server, ServerConfig, parseHostPort } from './serve';
import type { GuestOptions } from './options';

const HELP = `wasmx — run WASIX modules on Node.js, with the system calls in a C++ addon

Usage:
  wasmx run [options] <module.wasm|module.wat> [args...]
  wasmx [options] <module> [args...]          (the same as run, wasmer/wasmtime style)
  wasmx serve [--threads N] [--tcplisten HOST:PORT]... [options] <module> [args...]
  wasmx --help | --version

Options go before the module: everything after it goes to the guest.

Run options:
  --dir HOST[::GUEST]     preopen host directory HOST as GUEST (default: the same path)
  --mapdir GUEST:HOST     preopen host directory HOST as GUEST (wasmer's spelling; GUEST::HOST works too)
                          (a WASIX module also gets /dev after these: a private /dev/shm, /dev/null, /dev/stdin...;
                          --dir HOST::/dev replaces it)
  --env KEY=VALUE         set a guest environment variable (--env KEY copies the host's value)
  --net                   allow sockets (without it, socket calls fail with EACCES; serve implies it)
  --strict                refuse to start when the module imports functions wasmx does not provide
  --quiet                 no "wasmx: listening on ADDR" line when the guest listens
  --offload MODE          send/shutdown/close of accepted TCP sockets on background threads: off, threads,
                          uring (io_uring; falls back to threads) or auto (default: threads on Linux, handing
                          off only while a core is idle; elsewhere threads from 4 cores, else off;
                          WASMX_OFFLOAD=MODE changes the default; see README "Offload")
  --offload-max-bytes N   bytes in flight per process in the offload pool (default 8388608)
  --offload-threads N     offload pool threads (default: 1 per 4 cores, 1..4)
  --verbose               diagnostics on stderr (the offload backend chosen, fallbacks)
  --admin [HOST:]PORT     HTTP /healthz, /readyz and /metrics (Prometheus) on HOST:PORT (default host 127.0.0.1;
                          0.0.0.0 in a container); off by default. Under run, the guest then runs on a worker
                          thread (see docs/deploy.md)
  --                      end of options; everything after the module goes to the guest anyway

Observing the guest (run and serve; README "--stats and --trace"):
  --stats                 at exit (and on SIGUSR1, without exiting) print per import: calls, errors, total and
                          mean time spent in the host, like strace -c
  --stats-json FILE       also write that report as JSON to FILE (implies --stats)
  --trace                 one line per import call on stderr: arguments, result (errno name), time in the host;
                          WASMX_TRACE=name,name... traces only those imports (and turns tracing on by itself)
  --trace-file FILE       trace lines go to FILE instead of stderr (implies --trace)

Serve options (N instances of the module sharing the port, supervised; sockets allowed):
  --threads N             number of instances (default: the number of cores)
  --tcplisten HOST:PORT   open this listener once and preopen it in every instance (fd 3, after --dir preopens),
                          for programs that accept on a preopened socket instead of binding their own
  --grace SECONDS         on SIGINT/SIGTERM, time given to in-flight connections before the instances get
                          SIGTERM (default 5); SIGHUP/SIGQUIT/SIGUSR1/SIGUSR2 go to every instance
  --max-failures N        instance exits or traps per minute that stop the server (default 10)
  Each instance sees WASMX_INSTANCE (0..N-1) and WASMX_INSTANCES in its environment; sockets the guests
  bind get SO_REUSEPORT so they can all bind the same address. An instance that ends before any has listened
  stops the server at once, with the reason.

Exit status: the guest's exit code; 134 when the guest traps or aborts; 128+N when signal N's default action
ends it (SIGTERM 143, SIGINT 130); 2 for usage, load or link errors. Under run, SIGINT, SIGTERM, SIGHUP,
SIGQUIT, SIGUSR1 and SIGUSR2 go to the guest and interrupt its blocked calls (README "Signals").

Examples:
  wasmx run examples/hello.wat
  wasmx run --dir . --env GREETING=hi examples/hello.wat first-arg
  wasmx examples/hello.wat
  wasmx run --net examples/hello-server.wat      # then: curl http://127.0.0.1:8080/
  wasmx serve --threads 4 examples/hello-server.wat
  wasmx serve --threads 2 --tcplisten 127.0.0.1:8080 examples/accept-loop.wat
`;

function version(): string {
  return JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')).version;
}

export interface RunCommand {
  module: string;
  guestArgs: string[];
  options: ServerConfig;
  /** --admin: where /healthz, /readyz and /metrics are served (src/admin.ts). */
  admin?: AdminAddress;
}

function parsePreopen(spec: string, order: 'host-guest' | 'guest-host', flag: string): Preopen {
  // wasmer's --mapdir is GUEST:HOST; with exactly one colon and no '::' that is unambiguous.
  const parts = order === 'guest-host' && !spec.includes('::') && spec.split(':').length === 2 ? spec.split(':') : spec.split('::');
  if (parts.length > 2 || parts.some((p) => p === '')) throw new UsageError(`${flag} ${spec}: expected ${order === 'host-guest' ? 'HOST[::GUEST]' : 'GUEST:HOST'}`);
  if (order === 'guest-host') {
    if (parts.length !== 2) throw new UsageError(`${flag} ${spec}: expected GUEST:HOST (or GUEST::HOST)`);
    return { guest: parts[0], host: parts[1] };
  }
  return { host: parts[0], guest: parts[1] ?? parts[0] };
}

function positiveInt(flag: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} ${v}: expected a positive integer`);
  return n;
}

/** Parses `run`'s (or `serve`'s) arguments after the command word. Options stop at the module path. */
export function parseRunArgs(argv: string[], command: 'run' | 'serve' = 'run'): RunCommand {
  const serveOpts: ServerConfig = {};
  const dirs: Preopen[] = [];
  const env: string[] = [];
  let net = false;
  let strict = false;
  let verbose = false;
  let quiet = false;
  let admin: AdminAddress | undefined;
  let offload: OffloadMode | undefined;
  let offloadMaxBytes: number | undefined;
  let offloadThreads: number | undefined;
  const observe: Pick<GuestOptions, 'stats' | 'statsJson' | 'trace' | 'traceFile'> = {};
  let i = 0;
  const value = (flag: string): string => {
    const v = argv[++i];
    if (v === undefined) throw new UsageError(`${flag} needs a value`);
    return v;
  };
  for (; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      i++;
      break;
    }
    if (!a.startsWith('-') || a === '-') break;
    const [flag, inline] = a.includes('=') && a.startsWith('--') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const arg = (): string => inline ?? value(flag);
    switch (flag) {
      case '--dir':
        dirs.push(parsePreopen(arg(), 'host-guest', '--dir'));
        break;
      case '--mapdir':
        dirs.push(parsePreopen(arg(), 'guest-host', '--mapdir'));
        break;
      case '--env': {
        const kv = arg();
        if (kv.includes('=')) env.push(kv);
        else if (process.env[kv] !== undefined) env.push(`${kv}=${process.env[kv]}`);
        break;
      }
      case '--net':
        net = true;
        break;
      case '--strict':
        strict = true;
        break;
      case '--verbose':
        verbose = true;
        break;
      case '--admin':
        admin = parseAdminAddress(arg());
        break;
      case '--quiet':
        quiet = true;
        break;
      case '--offload': {
        const m = arg();
        if (!['off', 'threads', 'uring', 'auto'].includes(m)) throw new UsageError(`--offload ${m}: expected off, threads, uring or auto`);
        offload = m as OffloadMode;
        break;
      }
      case '--offload-max-bytes':
        offloadMaxBytes = positiveInt(flag, arg());
        break;
      case '--offload-threads':
        offloadThreads = positiveInt(flag, arg());
        break;
      case '--threads':
        if (command !== 'serve') throw new UsageError(`--threads is a serve option (see wasmx --help)`);
        serveOpts.instances = positiveInt(flag, arg());
        break;
      case '--tcplisten':
        if (command !== 'serve') throw new UsageError(`--tcplisten is a serve option (see wasmx --help)`);
        (serveOpts.tcpListen ??= []).push(parseHostPort(arg()));
        break;
      case '--grace': {
        if (command !== 'serve') throw new UsageError(`--grace is a serve option (see wasmx --help)`);
        const g = Number(arg());
        if (!(g >= 0)) throw new UsageError(`--grace: expected seconds`);
        serveOpts.graceSeconds = g;
        break;
      }
      case '--max-failures':
        if (command !== 'serve') throw new UsageError(`--max-failures is a serve option (see wasmx --help)`);
        serveOpts.maxFailuresPerMinute = positiveInt(flag, arg());
        break;
      // --stats / --trace (import_observer.h)
      case '--stats':
        observe.stats = true;
        break;
      case '--stats-json':
        observe.stats = true;
        observe.statsJson = arg();
        break;
      case '--trace':
        observe.trace = true;
        break;
      case '--trace-file':
        observe.trace = true;
        observe.traceFile = arg();
        break;
      default:
        throw new UsageError(`unknown option ${a} (see wasmx --help)`);
    }
  }
  const module = argv[i];
  if (module === undefined) throw new UsageError(`missing module (usage: wasmx ${command} [options] <module> [args...])`);
  const guestArgs = argv.slice(i + 1);
  const offloadOpts = { ...(offload ? { offload } : {}), ...(offloadMaxBytes ? { offloadMaxBytes } : {}), ...(offloadThreads ? { offloadThreads } : {}) };
  // serve implies --net: a server's instances need sockets (README "Serve").
  if (command === 'serve') net = true;
  const options: ServerConfig = { ...serveOpts, ...offloadOpts, ...observe, dirs, env, net, strict, verbose, quiet, announceListen: !quiet, args: [module, ...guestArgs] };
  return { module, guestArgs, options, ...(admin ? { admin } : {}) };
}

/** `wasmx FILE`: a word that names a module file rather than a command (an existing file, or *.wasm / *.wat). */
function looksLikeModule(word: string): boolean {
  return /\.(wasm|wat)$/.test(word) || (word.includes('/') && fs.existsSync(word));
}

function writeErr(line: string): void {
  fs.writeSync(2, line.endsWith('\n') ? line : line + '\n');
}

async function runCommand(argv: string[]): Promise<number> {
  const cmd = parseRunArgs(argv);
  const loaded = await loadModule(cmd.module);
  configureObservation(cmd.options);
  const processId = createGuestProcess({ ...cmd.options, exitEndsHost: true }, loaded);
  native().installSignalHandlers(processId);
  const plan = planLinking(loaded.imports, cmd.options);
  const admin = cmd.admin;
  if ((isThreaded(loaded) && plan.memoryImport?.shared) || admin) {
    // Every guest thread on a pool worker; this thread dispatches spawns (and answers --admin, which a guest
    // running on this thread would block). When the guest is done, end the host at once: a worker may still be
    // blocked in a guest syscall and would never join.
    if (admin) {
      const a = await startAdmin(admin, { processIds: () => [processId], instanceCount: 1, isDraining: false });
      writeErr(`wasmx: admin on http://${formatAddress(a.address)} (/healthz /readyz /metrics)`);
    }
    const memory = plan.memoryImport?.shared ? createImportedMemory(plan.memoryImport) : undefined;
    const outcome = await runThreadedProcess(createThreadPool(), loaded, processId, memory, cmd.options);
    let code: number;
    if (outcome.status === 'exit') code = outcome.code & 0xff;
    else if (outcome.status === 'trap') {
      writeErr(`wasmx: trap: ${outcome.message}`);
      code = 134;
    } else {
      writeErr(`wasmx: error: ${outcome.message}`);
      code = outcome.exitCode;
    }
    native().exitHost(code);
  }
  const { instance } = instantiate(loaded, processId, cmd.options);
  return callStart(instance, cmd.module);
}

export async function main(argv: string[]): Promise<void> {
  let code: number;
  try {
    const [command, ...rest] = argv;
    if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
      process.stdout.write(HELP);
      code = command === undefined ? 2 : 0;
    } else if (command === '--version' || command === '-V') {
      process.stdout.write(`wasmx ${version()}\n`);
      code = 0;
    } else if (command === 'run' || command === 'serve') {
      if (rest[0] === '--help' || rest[0] === '-h') {
        process.stdout.write(HELP);
        code = 0;
      } else if (command === 'run') code = await runCommand(rest);
      else {
        const cmd = parseRunArgs(rest, 'serve');
        const server = new Server(await loadModule(cmd.module), { ...cmd.options, handleSignals: true });
        if (cmd.admin) await attachAdmin(server, cmd.admin);
        configureObservation(cmd.options);
        server.start();
        code = await server.done;
        native().exitHost(code); // workers may be blocked in guest syscalls: do not join them
      }
    } else if (command.startsWith('-') || looksLikeModule(command)) {
      // wasmer/wasmtime habit: `wasmx app.wasm`, `wasmx --dir . app.wasm` mean run.
      code = await runCommand(argv);
    } else {
      throw new UsageError(`unknown command '${command}' (see wasmx --help)`);
    }
  } catch (e) {
    if (e instanceof TrapError) {
      writeErr(`wasmx: trap: ${e.message}`);
      code = e.exitCode;
    } else if (e instanceof WasmxError) {
      writeErr(`wasmx: error: ${e.message}`);
      code = e.exitCode;
    } else {
      writeErr(`wasmx: internal error: ${(e as Error)?.stack ?? String(e)}`);
      code = 70;
    }
  }
  // _start returned (or the run failed): offloaded sends and closes still reach the kernel (bounded drain).
  try {
    native().prepareExit();
    native().reportStatsAtExit(); // --stats
  } catch {
    // the addon may not load at all (that error was reported above)
  }
  process.exit(code);
}
