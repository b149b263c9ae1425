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

describe('threads sharing sockets', () => {
  it('one thread accepts while two others send on and close the accepted fds', async () => {
    const { freePort, exchange, startWasmx } = await import('./helpers');
    const port = await freePort();
    const s = startWasmx(['run', '--net', wat('threads_accept'), String(port)]);
    try {
      const seen = new Set<string>();
      // At least 300 exchanges; more (bounded) while a worker has not taken one yet: the second pool worker can
      // start a few hundred ms late on a loaded machine, and until then the first takes every fd.
      for (let i = 0; i < 300 || (seen.size < 2 && i < 5000); i++) {
        const r = (await exchange(port, 'GET / HTTP/1.1\r\n\r\n')).toString();
        expect(r).toMatch(/^HTTP\/1\.1 200 OK\r\n\r\nthread=\d+$/);
        seen.add(r.split('thread=')[1]);
      }
      // Both workers (TIDs 2 and 3) took connections; the main thread (TID 1) only accepts.
      expect([...seen].sort()).toEqual(['2', '3']);
    } finally {
      await s.stop();
    }
  });
});

describe('thread_signal', () => {
  it('delivers to the caller at once (libc main sentinel), to another thread on its next syscall; SRCH, INVAL', async () => {
    const r = await wasmx(['run', wat('threads_signal')]);
    expect(r.stderr).toBe('');
    expect(r.stdout.toString()).toBe('self=10@1 other=12@2 srch=71 inval=28\n');
    expect(r.code).toBe(0);
  });
});
