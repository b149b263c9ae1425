/** The `wasmx` command line. */
import fs from 'node:fs';
import path from 'node:path';
import { TrapError, UsageError, WasmxError } from './errors';
import { Preopen, RunOptions, callStart, createGuestProcess, instantiate } from './runner';
import { loadModule } from './loader';
import { createImportedMemory, planLinking } from './linker';
import { OffloadMode, native } from './native';
import { createThreadPool, isThreaded, runThreadedProcess } from './threads';
import { ServeOptions, serve } from './serve';

const HELP = `wasmx — run WASIX modules on Node.js, with the system calls in a C++ addon

Usage:
  wasmx run [options] <module.wasm|module.wat> [args...]
  wasmx serve [--threads N] [--tcplisten HOST:PORT]... [options] <module> [args...]
  wasmx --help | --version

Run options:
  --dir HOST[::GUEST]     preopen host directory HOST as GUEST (default: the same path)
  --mapdir GUEST::HOST    preopen host directory HOST as GUEST (wasmer's spelling)
  --env KEY=VALUE         set a guest environment variable (--env KEY copies the host's value)
  --net                   allow sockets (without it, socket calls fail with EACCES)
  --strict                refuse to start when the module imports functions wasmx does not provide
  --offload MODE          send/shutdown/close of accepted TCP sockets on background threads: off, threads,
                          uring (io_uring; falls back to threads) or auto (default: threads on Linux, handing
                          off only while a core is idle; elsewhere threads from 4 cores, else off;
                          WASMX_OFFLOAD=MODE changes the default; see README "Offload")
  --offload-max-bytes N   bytes in flight per process in the offload pool (default 8388608)
  --offload-threads N     offload pool threads (default: 1 per 4 cores, 1..4)
  --verbose               diagnostics on stderr (the offload backend chosen, fallbacks)
  --                      end of options; everything after the module goes to the guest anyway

Serve options (N instances of the module sharing the port, supervised):
  --threads N             number of instances (default: the number of cores)
  --tcplisten HOST:PORT   open this listener once and preopen it in every instance (after --dir preopens)
  --grace SECONDS         on SIGINT/SIGTERM, time given to in-flight connections (default 5)
  --max-failures N        instance exits or traps per minute that stop the server (default 10)
  Each instance sees WASMX_INSTANCE (0..N-1) and WASMX_INSTANCES in its environment; sockets the guests
  bind get SO_REUSEPORT so they can all bind the same address.

Exit status: the guest's exit code; 134 when the guest traps; 2 for usage, load or link errors.

Examples:
  wasmx run hello.wasm
  wasmx run --dir ./public::/www --env PORT=8080 --net server.wasm --verbose
  wasmx run --net examples/hello-server.wat      # then: curl http://127.0.0.1:8080/
  wasmx serve --threads 4 --net examples/hello-server.wat
  wasmx serve --threads 2 --tcplisten 127.0.0.1:8080 accept-loop.wasm
`;

function version(): string {
  return JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')).version;
}

export interface RunCommand {
  module: string;
  guestArgs: string[];
  options: ServeOptions;
}

function parsePreopen(spec: string, order: 'host-guest' | 'guest-host', flag: string): Preopen {
  const parts = spec.split('::');
  if (parts.length > 2 || parts.some((p) => p === '')) throw new UsageError(`${flag} ${spec}: expected ${order === 'host-guest' ? 'HOST[::GUEST]' : 'GUEST::HOST'}`);
  if (order === 'guest-host') {
    if (parts.length !== 2) throw new UsageError(`${flag} ${spec}: expected GUEST::HOST`);
    return { guest: parts[0], host: parts[1] };
  }
  return { host: parts[0], guest: parts[1] ?? parts[0] };
}

function parseHostPort(spec: string): { host: string; port: number } {
  const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(spec);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) throw new UsageError(`--tcplisten ${spec}: expected HOST:PORT (e.g. 127.0.0.1:8080 or [::1]:8080)`);
  return { host: m[1], port };
}

function positiveInt(flag: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} ${v}: expected a positive integer`);
  return n;
}

/** Parses `run`'s (or `serve`'s) arguments after the command word. Options stop at the module path. */
export function parseRunArgs(argv: string[], command: 'run' | 'serve' = 'run'): RunCommand {
  const serveOpts: ServeOptions = {};
  const dirs: Preopen[] = [];
  const env: string[] = [];
  let net = false;
  let strict = false;
  let verbose = false;
  let offload: OffloadMode | undefined;
  let offloadMaxBytes: number | undefined;
  let offloadThreads: number | undefined;
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
      default:
        throw new UsageError(`unknown option ${a} (see wasmx --help)`);
    }
  }
  const module = argv[i];
  if (module === undefined) throw new UsageError(`missing module (usage: wasmx ${command} [options] <module> [args...])`);
  const guestArgs = argv.slice(i + 1);
  const offloadOpts = { ...(offload ? { offload } : {}), ...(offloadMaxBytes ? { offloadMaxBytes } : {}), ...(offloadThreads ? { offloadThreads } : {}) };
  return { module, guestArgs, options: { ...serveOpts, ...offloadOpts, dirs, env, net, strict, verbose, args: [module, ...guestArgs] } };
}

function writeErr(line: string): void {
  fs.writeSync(2, line.endsWith('\n') ? line : line + '\n');
}

async function runCommand(argv: string[]): Promise<number> {
  const cmd = parseRunArgs(argv);
  const loaded = await loadModule(cmd.module);
  const processId = createGuestProcess({ ...cmd.options, exitEndsHost: true });
  native().installSignalHandlers(processId);
  const plan = planLinking(loaded.imports, cmd.options);
  if (isThreaded(loaded) && plan.memoryImport?.shared) {
    // Every guest thread on a pool worker; this thread dispatches spawns. When the guest is done, end the host
    // at once: a worker may still be blocked in a guest syscall and would never join.
    const outcome = await runThreadedProcess(createThreadPool(), loaded, processId, createImportedMemory(plan.memoryImport), cmd.options);
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
        code = await serve(await loadModule(cmd.module), cmd.options);
        native().exitHost(code); // workers may be blocked in guest syscalls: do not join them
      }
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
  } catch {
    // the addon may not load at all (that error was reported above)
  }
  process.exit(code);
}
