/**
 * The library's options, checked once where they enter (run(), serve()): an unknown key or a value of the wrong
 * kind is a UsageError naming it, and the public shapes become the internal GuestProcessOptions.
 */
import { UsageError } from './errors';
import { OffloadMode } from './native';
import { GuestProcessOptions, Preopen } from './runner';

/** Options run() and serve() share. */
export interface GuestOptions {
  /** Guest arguments after argv[0]. */
  args?: string[];
  /** The guest's argv[0] (default: the module's path, or `main.wasm` for bytes). */
  argv0?: string;
  /** Guest environment: `{ KEY: 'value' }` or `['KEY=value']`. Nothing of the host's is passed unless given. */
  env?: Record<string, string> | string[];
  /** Preopened directories: `[{ host, guest }]` or `{ guestPath: hostPath }`. */
  dirs?: Preopen[] | Record<string, string>;
  /** Allow sockets (default false for run, true for serve). */
  net?: boolean;
  /** Refuse to start when the module imports functions wasmx does not provide. */
  strict?: boolean;
  /** Offload pool for accepted TCP sockets (README "Offload"). */
  offload?: OffloadMode;
  offloadMaxBytes?: number;
  offloadThreads?: number;
  /** wasmx's diagnostics on stderr (offload backend, fallbacks). */
  verbose?: boolean;
  /** No `wasmx: listening on ADDR` line on stderr. */
  quiet?: boolean;
  /** Count and time every import call (README "--stats and --trace"); the table goes to stderr when the run ends.
   * The counters are host-wide: they cover every guest this Node process runs. */
  stats?: boolean;
  /** Also write the stats report as JSON to this file. */
  statsJson?: string;
  /** One line per import call on stderr (or traceFile); WASMX_TRACE=name,name selects imports. */
  trace?: boolean;
  traceFile?: string;
}

export const GUEST_OPTION_KEYS = ['args', 'argv0', 'env', 'dirs', 'net', 'strict', 'offload', 'offloadMaxBytes', 'offloadThreads', 'verbose', 'quiet', 'stats', 'statsJson', 'trace', 'traceFile'] as const;

/** Throws a UsageError for the first key of `opts` not in `known`, or when `opts` is not an object. */
export function checkKeys(fn: string, opts: unknown, known: readonly string[]): void {
  if (opts === undefined) return;
  if (opts === null || typeof opts !== 'object' || Array.isArray(opts)) throw new UsageError(`${fn}: options must be an object`);
  for (const key of Object.keys(opts)) {
    if (!known.includes(key)) throw new UsageError(`${fn}: unknown option '${key}' (known: ${known.join(', ')})`);
  }
}

function expect(fn: string, key: string, ok: boolean, what: string): void {
  if (!ok) throw new UsageError(`${fn}: option '${key}' must be ${what}`);
}

const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

/** The internal process options for `opts` (checked) and the module name used as argv[0]. */
export function toProcessOptions(fn: string, opts: GuestOptions, moduleName: string): GuestProcessOptions {
  const { args, argv0, env, dirs, net, strict, offload, offloadMaxBytes, offloadThreads, verbose, quiet, stats, statsJson, trace, traceFile } = opts;
  expect(fn, 'args', args === undefined || isStringArray(args), 'an array of strings');
  expect(fn, 'argv0', argv0 === undefined || typeof argv0 === 'string', 'a string');
  let envList: string[] = [];
  if (Array.isArray(env)) {
    expect(fn, 'env', isStringArray(env) && env.every((kv) => kv.includes('=')), "an array of 'KEY=value' strings or an object");
    envList = env;
  } else if (env !== undefined) {
    expect(fn, 'env', typeof env === 'object' && env !== null && Object.values(env).every((v) => typeof v === 'string'), 'an object of strings or an array');
    envList = Object.entries(env).map(([k, v]) => `${k}=${v}`);
  }
  let preopens: Preopen[] = [];
  if (Array.isArray(dirs)) {
    expect(fn, 'dirs', dirs.every((d) => d && typeof d.host === 'string' && typeof d.guest === 'string'), 'an array of { host, guest }');
    preopens = dirs;
  } else if (dirs !== undefined) {
    expect(fn, 'dirs', typeof dirs === 'object' && dirs !== null && Object.values(dirs).every((v) => typeof v === 'string'), 'an object { guestPath: hostPath }');
    preopens = Object.entries(dirs).map(([guest, host]) => ({ guest, host }));
  }
  for (const [key, v] of Object.entries({ net, strict, verbose, quiet, stats, trace })) expect(fn, key, v === undefined || typeof v === 'boolean', 'a boolean');
  expect(fn, 'offload', offload === undefined || ['off', 'threads', 'uring', 'auto'].includes(offload), "'off', 'threads', 'uring' or 'auto'");
  for (const [key, v] of Object.entries({ offloadMaxBytes, offloadThreads })) expect(fn, key, v === undefined || (Number.isInteger(v) && (v as number) >= 1), 'a positive integer');
  for (const [key, v] of Object.entries({ statsJson, traceFile })) expect(fn, key, v === undefined || typeof v === 'string', 'a file name');
  return {
    args: [argv0 ?? moduleName, ...(args ?? [])],
    env: envList,
    dirs: preopens,
    net: net ?? false,
    strict: strict ?? false,
    ...(offload ? { offload } : {}),
    ...(offloadMaxBytes ? { offloadMaxBytes } : {}),
    ...(offloadThreads ? { offloadThreads } : {}),
    verbose: verbose ?? false,
    announceListen: !quiet,
    ...(stats ? { stats } : {}),
    ...(statsJson !== undefined ? { statsJson } : {}),
    ...(trace ? { trace } : {}),
    ...(traceFile !== undefined ? { traceFile } : {}),
  };
}
