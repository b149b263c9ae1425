/** The `wasmx` command line. */
import fs from 'node:fs';
import path from 'node:path';
import { TrapError, UsageError, WasmxError } from './errors';
import { Preopen, RunOptions, callStart, createGuestProcess, instantiate } from './runner';
import { loadModule } from './loader';
import { createImportedMemory, planLinking } from './linker';
import { native } from './native';
import { createThreadPool, isThreaded, runThreadedProcess } from './threads';

const HELP = `wasmx — run WASIX modules on Node.js, with the system calls in a C++ addon

Usage:
  wasmx run [options] <module.wasm|module.wat> [args...]
  wasmx --help | --version

Run options:
  --dir HOST[::GUEST]     preopen host directory HOST as GUEST (default: the same path)
  --mapdir GUEST::HOST    preopen host directory HOST as GUEST (wasmer's spelling)
  --env KEY=VALUE         set a guest environment variable (--env KEY copies the host's value)
  --net                   allow sockets (without it, socket calls fail with EACCES)
  --strict                refuse to start when the module imports functions wasmx does not provide
  --                      end of options; everything after the module goes to the guest anyway

Exit status: the guest's exit code; 134 when the guest traps; 2 for usage, load or link errors.

Examples:
  wasmx run hello.wasm
  wasmx run --dir ./public::/www --env PORT=8080 --net server.wasm --verbose
  wasmx run --net examples/hello-server.wat      # then: curl http://127.0.0.1:8080/
`;

function version(): string {
  return JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')).version;
}

export interface RunCommand {
  module: string;
  guestArgs: string[];
  options: RunOptions;
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

/** Parses `run`'s arguments (after the word `run`). Options stop at the module path. */
export function parseRunArgs(argv: string[]): RunCommand {
  const dirs: Preopen[] = [];
  const env: string[] = [];
  let net = false;
  let strict = false;
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
      default:
        throw new UsageError(`unknown option ${a} (see wasmx --help)`);
    }
  }
  const module = argv[i];
  if (module === undefined) throw new UsageError('missing module (usage: wasmx run [options] <module> [args...])');
  const guestArgs = argv.slice(i + 1);
  return { module, guestArgs, options: { dirs, env, net, strict, args: [module, ...guestArgs] } };
}

function writeErr(line: string): void {
  fs.writeSync(2, line.endsWith('\n') ? line : line + '\n');
}

async function runCommand(argv: string[]): Promise<number> {
  const cmd = parseRunArgs(argv);
  const loaded = await loadModule(cmd.module);
  const processId = createGuestProcess({ ...cmd.options, exitEndsHost: true });
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
    } else if (command === 'run') {
      if (rest[0] === '--help' || rest[0] === '-h') {
        process.stdout.write(HELP);
        code = 0;
      } else code = await runCommand(rest);
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
  process.exit(code);
}
