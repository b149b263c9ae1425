/**
 * Calling the addon's syscalls straight from JS: a guest process with real preopens, one instance bound to a
 * memory the test owns, and the very import functions a module would be linked to (no wasm module in between).
 * Used by the WASI-suite behaviour tests and by the fuzzer (test/fuzz.ts).
 */
import { native } from '../src/native';

type Fn = (...args: (number | bigint)[]) => number;

export interface SyscallHarness {
  p1: Record<string, Fn>;
  x: Record<string, Fn>;
  memory: WebAssembly.Memory;
  /** A fresh view of the memory (it changes when the memory grows). */
  view(): DataView;
  bytes(): Uint8Array;
  /** Writes `s` at `ptr`; returns [ptr, length] for a path argument. */
  str(ptr: number, s: string): [number, number];
  u32(ptr: number): number;
  u64(ptr: number): bigint;
  release(): void;
}

export interface HarnessOptions {
  /** Preopens as [host, guest]. */
  dirs?: [string, string][];
  /** The module's ABI (decides where preview1 and WASIX differ): true = imports wasix_32v1. */
  wasix?: boolean;
  net?: boolean;
  pages?: number;
  maxPages?: number;
}

export function openHarness(opts: HarnessOptions = {}): SyscallHarness {
  const dirs = opts.dirs ?? [];
  const pid = native().createProcess({
    args: ['harness'], env: [], preopenHost: dirs.map((d) => d[0]), preopenGuest: dirs.map((d) => d[1]),
    net: opts.net ?? false, exitEndsHost: false, offload: 'off',
  });
  const memory = new WebAssembly.Memory({ initial: opts.pages ?? 1, maximum: opts.maxPages ?? 16 });
  const [imports] = native().createInstance(pid, memory, 1, opts.wasix ?? false);
  const im = imports as unknown as Record<string, Record<string, Fn>>;
  const h: SyscallHarness = {
    p1: im.wasi_snapshot_preview1,
    x: im.wasix_32v1,
    memory,
    view: () => new DataView(memory.buffer),
    bytes: () => new Uint8Array(memory.buffer),
    str(ptr, s) {
      const b = Buffer.from(s);
      h.bytes().set(b, ptr);
      return [ptr, b.length];
    },
    u32: (ptr) => h.view().getUint32(ptr, true),
    u64: (ptr) => h.view().getBigUint64(ptr, true),
    release: () => native().releaseProcess(pid),
  };
  return h;
}

/** WASI errno values the tests name. */
export const E = {
  SUCCESS: 0, BADF: 8, EXIST: 20, FAULT: 21, INVAL: 28, ISDIR: 31, NOENT: 44, NOTDIR: 54, NOTCAPABLE: 76, NOSYS: 52,
} as const;

/** Rights bits (WASI §4.3) the tests name. */
export const R = {
  FD_DATASYNC: 1n << 0n, FD_READ: 1n << 1n, FD_SEEK: 1n << 2n, FD_TELL: 1n << 5n, FD_WRITE: 1n << 6n,
  FD_ALLOCATE: 1n << 8n, PATH_OPEN: 1n << 13n, FD_READDIR: 1n << 14n, FD_FILESTAT_SET_SIZE: 1n << 22n,
} as const;
