/**
 * The offload pool (README "Offload", native/src/offload/): sends, shutdown(WR) and closes of accepted TCP sockets
 * run on background threads (or io_uring), and the guest must not be able to tell except by speed. Real sockets on
 * loopback; the guest is test/fixtures/c/offload_cases.c, the peer is Node's net module. The same suite runs for
 * both backends; uring is skipped only where the kernel (or the build) refuses it, and the skip says why.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT, cfix, connectWhenUp, keyValues, startWasmx, wasmx } from './helpers';

const ERR = { CONNRESET: 15, PIPE: 64 };
const MiB = 1 << 20;

let fixture = '';
beforeAll(() => {
  const src = path.join(ROOT, 'test', 'fixtures', 'c', 'offload_cases.c');
  const out = path.join(ROOT, 'test', 'fixtures', 'build', 'offload_cases.wasm');
  const headers = ['sockets.h', 'epoll.h', 'fd.h'].map((h) => path.join(ROOT, 'include', 'wasix', h));
  const stale = !fs.existsSync(out) || [src, ...headers].some((f) => fs.statSync(f).mtimeMs > fs.statSync(out).mtimeMs);
  if (stale) {
    fs.mkdirSync(path.dirname(out), { recursive: true });
    execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'build-fixtures.js'), src, out], { stdio: 'inherit' });
  }
  fixture = cfix('offload_cases');
});

/** Why the uring backend cannot run here ('' when it can): the runtime says so once under --verbose. */
function uringReason(): string {
  const r = execFileSync(process.execPath, ['-e', `
    const { spawnSync } = require('node:child_process');
    const p = spawnSync(process.execPath, [${JSON.stringify(path.join(ROOT, 'bin', 'wasmx.js'))}, 'run', '--net', '--offload', 'uring', '--verbose', ${JSON.stringify(path.join(ROOT, 'test', 'fixtures', 'build', 'offload_cases.wasm'))}, 'none'], { encoding: 'utf8' });
    process.stdout.write(p.stderr || '');
  `], { encoding: 'utf8' });
  const m = /offload: io_uring unavailable \(([^)]*)\)/.exec(r);
  return m ? m[1] : '';
}

type Guest = ReturnType<typeof startWasmx>;

async function until(g: Guest, key: string, timeoutMs = 20_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = keyValues(g.stdout)[key];
    if (v !== undefined) return v;
    if (g.child.exitCode !== null || Date.now() > deadline) throw new Error(`guest never printed ${key}=:\n${g.stdout}\n${g.stderr}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function exited(g: Guest): Promise<number | null> {
  if (g.child.exitCode !== null) return Promise.resolve(g.child.exitCode);
  return new Promise((r) => g.child.once('close', (code) => r(code)));
}

/** Collects everything a socket receives until EOF (optionally pausing after each chunk: a slow reader). */
function collect(s: net.Socket, slowMs = 0): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    s.on('data', (d: Buffer) => {
      chunks.push(d);
      if (slowMs) {
        s.pause();
        setTimeout(() => s.resume(), slowMs);
      }
    });
    s.on('end', () => resolve(Buffer.concat(chunks)));
    s.on('error', reject);
  });
}

/** The guest's stream pattern (offload_cases.c pat()). */
function checkPattern(b: Buffer, from = 0): number {
  for (let i = 0; i < b.length; i++) {
    const k = from + i;
    const want = (k * 7 + Math.floor(k / 65536)) % 251;
    if (b[i] !== want) return i;
  }
  return -1;
}

const reason = uringReason();

describe.each(['threads', 'uring'] as const)('offload %s', (mode) => {
  if (mode === 'uring' && reason) {
    it.skip(`uring: the kernel refuses io_uring here (${reason}); the threads suite covers the pool`, () => {});
    return;
  }

  // WASMX_OFFLOAD_GOVERN=0: the pool takes every op, whatever the CPUs do (the governor would run them inline on a
  // busy machine, and this suite is about what the pool does).
  const start = (c: string, extra: string[] = []): Guest =>
    startWasmx(['run', '--net', '--offload', mode, ...extra, fixture, c], { env: { ...process.env, WASMX_OFFLOAD_GOVERN: '0' } });

  it('order: 1000 numbered chunks arrive complete and in order, then EOF', async () => {
    const g = start('order');
    const port = Number(await until(g, 'port'));
    const s = await connectWhenUp(port);
    const data = (await collect(s)).toString();
    expect(await exited(g), g.stderr).toBe(0);
    const want = Array.from({ length: 1000 }, (_, i) => `chunk ${String(i).padStart(4, '0')}\n`).join('');
    expect(data.length).toBe(want.length);
    expect(data === want).toBe(true);
    expect(keyValues(g.stdout).sent).toBe('1000');
  }, 30_000);

  it('several pool threads (--offload-threads 3): entries are sharded by fd and each fd keeps its order', async () => {
    const g = start('order', ['--offload-threads', '3']);
    const port = Number(await until(g, 'port'));
    const data = (await collect(await connectWhenUp(port))).toString();
    expect(await exited(g), g.stderr).toBe(0);
    const want = Array.from({ length: 1000 }, (_, i) => `chunk ${String(i).padStart(4, '0')}\n`).join('');
    expect(data === want).toBe(true);
  }, 30_000);

  it('big sends: 64 MiB in 1 MiB sends to a slow reader arrive intact', async () => {
    const g = start('big');
    const port = Number(await until(g, 'port'));
    const s = await connectWhenUp(port);
    const data = await collect(s, 1);
    expect(await exited(g), g.stderr).toBe(0);
    expect(data.length).toBe(64 * MiB);
    expect(checkPattern(data)).toBe(-1);
  }, 60_000);

  it('peer reset while queued: the error surfaces on that fd only; the reused fd number sees none', async () => {
    const g = start('reset');
    const port = Number(await until(g, 'port'));
    const a = await connectWhenUp(port);
    a.on('error', () => {});
    const b = await connectWhenUp(port);
    const bData = collect(b);
    await until(g, 'accepted');
    a.resetAndDestroy();
    await new Promise((r) => setTimeout(r, 100));
    b.write('go');
    const c = await connectWhenUp(port);
    c.write('x');
    const cData = collect(c);
    expect(await exited(g), `${g.stdout}\n${g.stderr}`).toBe(0);
    const kv = keyValues(g.stdout);
    expect([String(ERR.PIPE), String(ERR.CONNRESET)]).toContain(kv.a_err);
    expect(kv.b_send).toBe('0');
    expect(kv.b_send2).toBe('0');
    expect(kv.c_same_fd).toBe('1');
    expect(kv.c_send).toBe('0');
    expect(kv.c_recv).toBe('0');
    expect((await cData).toString()).toBe('hello C');
    expect((await bData).toString()).toBe('B1B2');
  }, 30_000);

  for (const [c, how] of [['nonblock_epoll', 'EPOLLOUT with EPOLLET'], ['nonblock_poll', 'poll_oneoff FD_WRITE']] as const) {
    it(`non-blocking: AGAIN at the cap, then ${how} once the peer reads`, async () => {
      const g = start(c, ['--offload-max-bytes', '262144']);
      const port = Number(await until(g, 'port'));
      const s = await connectWhenUp(port);
      s.pause();
      const total = Number(await until(g, 'total'));
      expect(total).toBeGreaterThan(0);
      s.resume();
      const data = await collect(s);
      expect(await exited(g), `${g.stdout}\n${g.stderr}`).toBe(0);
      const kv = keyValues(g.stdout);
      expect(kv.again).toBe('1');
      expect(kv.ready).toBe('1');
      expect(kv.after).toBe('0');
      expect(data.length).toBe(Number(kv.final));
      expect(checkPattern(data)).toBe(-1);
    }, 60_000);
  }

  for (const c of ['exit_proc', 'exit_return']) {
    it(`exit with queued data (${c === 'exit_proc' ? 'proc_exit' : '_start returns'}): the peer still gets every byte`, async () => {
      const g = start(c, ['--offload-max-bytes', String(32 * MiB)]);
      const port = Number(await until(g, 'port'));
      const s = await connectWhenUp(port);
      s.pause();
      await until(g, 'sent'); // the guest is exiting now, with data still queued for a peer that is not reading
      await new Promise((r) => setTimeout(r, 300));
      s.resume();
      const data = await collect(s);
      expect(await exited(g), g.stderr).toBe(0);
      expect(data.length).toBe(16 * MiB);
      expect(checkPattern(data)).toBe(-1);
    }, 30_000);
  }
});

describe('offload options', () => {
  it('--offload rejects an unknown mode', async () => {
    const r = await wasmx(['run', '--offload', 'fast', fixture, 'order']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--offload fast: expected off, threads, uring or auto/);
  });
  it('uring falls back to threads, and says so once under --verbose, where io_uring is refused', async () => {
    // WASMX_IO_URING=0 makes io_uring_queue_init's refusal happen on demand (as seccomp or
    // kernel.io_uring_disabled would); the guest then runs on the threads backend with nothing lost.
    const g = startWasmx(['run', '--net', '--offload', 'uring', '--verbose', fixture, 'order'], { env: { ...process.env, WASMX_IO_URING: '0' } });
    const port = Number(await until(g, 'port'));
    const data = (await collect(await connectWhenUp(port))).toString();
    expect(await exited(g)).toBe(0);
    expect(data.split('\n').length).toBe(1001);
    expect(g.stderr.match(/offload: io_uring unavailable \(io_uring disabled by WASMX_IO_URING=0\); falling back to threads/g)?.length).toBe(1);
  });
  it('--verbose says which backend runs', async () => {
    const r = await wasmx(['run', '--net', '--offload', 'threads', '--verbose', fixture, 'none']);
    expect(r.stderr).toMatch(/wasmx: offload: threads/);
  });
});
