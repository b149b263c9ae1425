import { describe, expect, it } from 'vitest';
import { wasmx, wat } from './helpers';

describe('guest threads (wasi.thread-spawn on shared memory)', () => {
  it('N threads adding to one shared counter reach the exact total', async () => {
    const r = await wasmx(['run', wat('threads_counter')]);
    expect(r.stderr).toBe('');
    expect(r.stdout.toString()).toBe('total=400000 threads=4\n');
    expect(r.code).toBe(0);
  });

  it('proc_exit from a non-main thread ends every thread with its code', async () => {
    const r = await wasmx(['run', wat('threads_exit'), 'exit']);
    expect(r.code).toBe(42);
  });

  it('a trap in a non-main thread ends the process with a trap report', async () => {
    const r = await wasmx(['run', wat('threads_exit'), 'trap']);
    expect(r.code).toBe(134);
    expect(r.stderr).toMatch(/^wasmx: trap: unreachable/m);
  });

  it('main calling thread_exit leaves the process running until its last thread ends', async () => {
    const r = await wasmx(['run', wat('threads_exit'), 'last']);
    expect(r.stdout.toString()).toBe('child done\n');
    expect(r.code).toBe(0);
  });
});
