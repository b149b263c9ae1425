/**
 * Dynamic calls and closures (call_dynamic, reflect_signature, closure_allocate/prepare/free): a C program that
 * uses them the way libffi's WASIX port does (test/fixtures/c/dyncall_closures.c checks every result itself and
 * prints one line per check), and the edge cases C cannot reach through a WAT module driven from here.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModule } from '../src/loader';
import { createGuestProcess, instantiate } from '../src/runner';
import { native } from '../src/native';
import { TABLE_EXPORT, ValType, exposeTable, readTableLayout } from '../src/wasm-binary';
import { closureModuleBytes } from '../src/closure-module';
import { CLI, ROOT, cfix, wasmx, wat } from './helpers';

const FAULT = 21, INVAL = 28, NOTSUP = 58;

describe('dynamic calls and closures', () => {
  it('a libffi-style C program: reflection, packed calls, closures through function pointers, slot reuse, errors', async () => {
    // --strict: the five imports are provided, not stubs.
    const r = await wasmx(['run', '--strict', cfix('dyncall_closures')]);
    const out = r.stdout.toString();
    const lines = out.trim().split('\n');
    expect(lines.filter((l) => !l.startsWith('ok ')), out).toEqual(['checks: 52 failed: 0']);
    expect(lines.length).toBe(53);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('edge cases: imported table with a maximum, multi-value results, v128, traps, no __stack_pointer', async () => {
    const loaded = await loadModule(wat('dyncall_edges'));
    const pid = createGuestProcess({ args: ['edges'] });
    try {
      const { instance, memory } = instantiate(loaded, pid, {});
      const x = instance.exports as Record<string, (...a: number[]) => number>;
      const view = (): DataView => new DataView(memory.buffer);
      // $pair(7) -> (7, 7000): results packed back to back, i32 then i64 (12 bytes).
      view().setInt32(0, 7, true);
      expect(x.call_dynamic(1, 0, 4, 16, 12, 1)).toBe(0);
      expect(view().getInt32(16, true)).toBe(7);
      expect(view().getBigInt64(20, true)).toBe(7000n);
      expect(x.call_dynamic(1, 0, 4, 16, 8, 1)).toBe(INVAL);
      // Not strict, room for the first result only: the i64 is dropped.
      view().setBigInt64(20, -1n, true);
      expect(x.call_dynamic(1, 0, 4, 16, 8, 0)).toBe(0);
      expect(view().getBigInt64(20, true)).toBe(-1n);
      // v128 can be reflected (type 4) but not passed through call_dynamic.
      expect(x.reflect_signature(2, 32, 4, 40, 4, 48)).toBe(0);
      expect([view().getUint8(32), view().getUint8(40), view().getUint16(50, true), view().getUint16(52, true)]).toEqual([4, 4, 1, 1]);
      expect(x.call_dynamic(2, 0, 16, 64, 16, 1)).toBe(INVAL);
      // The u16 lengths of reflect_signature: only the low 16 bits count (0x10000 = 0: OVERFLOW for one result).
      expect(x.reflect_signature(1, 32, 0x10001, 40, 0x10000, 48)).toBe(61);
      // A trap inside the called function is the guest's trap, not an errno.
      expect(() => x.call_dynamic(3, 0, 0, 0, 0, 1)).toThrow(WebAssembly.RuntimeError);
      // The imported table had maximum 5 and is full: closure_allocate still gets a slot (wasmx lifts the maximum).
      expect(x.closure_allocate(100)).toBe(0);
      const slot = view().getUint32(100, true);
      expect(slot).toBeGreaterThanOrEqual(5);
      expect(x.closure_allocate(0xfffffff0)).toBe(FAULT);
      // No exported __stack_pointer: nowhere for a closure's frame.
      view().setUint8(200, 0);
      expect(x.closure_prepare(4, slot, 200, 1, 0, 0, 0)).toBe(NOTSUP);
      expect(x.closure_free(slot)).toBe(0);
    } finally {
      native().releaseProcess(pid);
    }
  });

  it('the closure module compiles for the most values V8 allows (1000 parameters, 1000 results) of every type', () => {
    const all: ValType[] = ['i32', 'i64', 'f32', 'f64', 'v128'];
    const many = (n: number): ValType[] => Array.from({ length: n }, (_, i) => all[i % all.length]);
    for (const shared of [false, true]) {
      expect(() => new WebAssembly.Module(closureModuleBytes({ params: many(1000), results: many(1000) }, shared) as Uint8Array<ArrayBuffer>)).not.toThrow();
    }
  });

  it('exposeTable exports a private table without its maximum; modules that have nothing to change stay as they are', async () => {
    const wabt = await (require('wabt') as () => Promise<any>)();
    const bin = (text: string): Uint8Array => {
      const m = wabt.parseWat('t.wat', text, { reference_types: true });
      try { return new Uint8Array(m.toBinary({}).buffer); } finally { m.destroy(); }
    };
    const priv = bin('(module (table 2 2 funcref) (elem (i32.const 1) $f) (func $f (param i64) (result f32) f32.const 1) (func (export "g")))');
    const out = exposeTable(priv);
    const m = new WebAssembly.Module(out as Uint8Array<ArrayBuffer>);
    expect(WebAssembly.Module.exports(m)).toContainEqual({ name: TABLE_EXPORT, kind: 'table' });
    const t = new WebAssembly.Instance(m).exports[TABLE_EXPORT] as WebAssembly.Table;
    expect(t.grow(3)).toBe(2); // no maximum any more
    expect(readTableLayout(out)).toMatchObject({ segments: [{ offset: 1, typeIndexes: [0] }], access: { export: TABLE_EXPORT } });
    const open = bin('(module (table (export "tbl") 1 funcref))');
    expect(exposeTable(open)).toBe(open);
    expect(readTableLayout(open).access).toEqual({ export: 'tbl' });
  });
});

// Like the addon's imports, the dynamic calls deliver what waits for the thread as they return: a guest that makes
// no other call (test/fixtures/wat/dyncall_signal.wat spins in closure_free) still gets its signals, and still
// unwinds when its process ends. Without that, both guests below spin until the test kills them.
describe('signals and exits at a dynamic call', () => {
  // Starts `node args`, resolves once its stdout has "spin\n" (the guest is in its loop), then on `act`.
  const spinning = (args: string[]) => {
    const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    const ended = new Promise<{ code: number | null; out: string; err: string }>((resolve) =>
      child.on('close', (code) => (clearTimeout(killer), resolve({ code, out, err }))));
    const ready = (async () => {
      for (const t0 = Date.now(); !out.includes('spin\n'); await new Promise((r) => setTimeout(r, 10))) {
        if (Date.now() - t0 > 15_000 || child.exitCode !== null) throw new Error(`no "spin" line; stderr: ${err}`);
      }
    })();
    return { child, ready, ended };
  };

  it('a host signal reaches the handler of a guest spinning in closure_free', async () => {
    // The signal is sent once "spin" is out, and can still beat the return of the fd_write that printed it on a
    // busy machine: then fd_write delivered it ("handled before loop") and the run proved nothing about
    // closure_free, so it is run again (a few times at most).
    let r: { code: number | null; out: string; err: string } | undefined;
    for (let attempt = 0; attempt < 3; attempt++) {
      const g = spinning([CLI, 'run', wat('dyncall_signal'), 'handler']);
      await g.ready;
      g.child.kill('SIGUSR2');
      r = await g.ended;
      if (r.out !== 'spin\nhandled before loop\n') break;
    }
    expect(r).toEqual({ code: 0, out: 'spin\nhandled in loop\n', err: '' });
  }, 45_000);

  it("run()'s abort (SIGTERM, no handler) unwinds a guest spinning in closure_free: 143", async () => {
    const script = `const w = require(${JSON.stringify(path.join(ROOT, 'dist', 'index.js'))});
      const ac = new AbortController();
      process.stdin.once('data', () => ac.abort());
      w.run(${JSON.stringify(wat('dyncall_signal'))}, { signal: ac.signal }).then((code) => { process.stderr.write('code=' + code); process.exit(0); });`;
    const g = spinning(['-e', script]);
    await g.ready;
    g.child.stdin.write('go\n');
    expect(await g.ended).toEqual({ code: 0, out: 'spin\n', err: 'code=143' });
  }, 20_000);
});
