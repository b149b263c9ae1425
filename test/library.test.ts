// The library API through the built package entry (dist/index.js, what `require('wasmx')` loads): threaded and
// unthreaded runs on workers, the event loop staying free, stdio pipes, AbortSignal, option errors, serve's
// handle, and scripts that end by themselves once their guests have.
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, freePort, wat } from './helpers';

const DIST = path.join(ROOT, 'dist', 'index.js');
// eslint-disable-next-line @typescript-eslint/no-var-requires
const wasmx = require(DIST) as typeof import('../src/index');
const HELLO_SERVER = path.join(ROOT, 'examples', 'hello-server.wat');

function collect(s: NodeJS.ReadableStream | null): () => string {
  let text = '';
  s?.on('data', (d: Buffer) => (text += d.toString()));
  return () => text;
}

/** Resolves true when 127.0.0.1:port accepts a connection, false when it refuses. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1' }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

async function waitUntil(cond: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Runs `node -e SCRIPT`; resolves with how it ended and how long it took (killed after limitMs). */
function nodeScript(script: string, limitMs: number, onStdout?: (text: string, child: ReturnType<typeof spawn>) => void) {
  return new Promise<{ code: number | null; signal: string | null; ms: number; stdout: string; stderr: string }>((resolve) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
      onStdout?.(stdout, child);
    });
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, ms: Date.now() - t0, stdout, stderr });
    });
  });
}

describe('library run()', () => {
  it('runs a threaded module with its threads (total=400000 threads=4), resolving 0', async () => {
    const r = wasmx.run(wat('threads_counter'), { stdio: 'pipe' });
    const out = collect(r.stdout);
    expect(await r).toBe(0);
    expect(out()).toBe('total=400000 threads=4\n');
  });

  it('keeps the event loop free: a 200 ms interval fires during a 1 s guest sleep (and not with inThread)', async () => {
    const ticksDuring = async (opts: object): Promise<number> => {
      let ticks = 0;
      const timer = setInterval(() => ticks++, 200);
      try {
        expect(await wasmx.run(wat('lib_sleep'), { stdio: 'ignore', ...opts })).toBe(0);
      } finally {
        clearInterval(timer);
      }
      return ticks;
    };
    expect(await ticksDuring({})).toBeGreaterThanOrEqual(4); // 5 intervals fit in the sleep
    expect(await ticksDuring({ inThread: true })).toBe(0); // the mode that blocks the loop, for contrast
  });

  it("stdio 'pipe': stdin is a Writable, stdout and stderr Readables; 200 kB round-trip, nothing lost", async () => {
    const r = wasmx.run(wat('lib_echo'), { stdio: 'pipe' });
    const out = collect(r.stdout);
    const err = collect(r.stderr);
    const data = 'abcdefghij'.repeat(20_000);
    r.stdin!.end(data);
    expect(await r).toBe(0);
    expect(out()).toBe(data);
    expect(err()).toBe('done 200000\n');
  });

  it("stdio entries mix: ['pipe', 'ignore', 'pipe']", async () => {
    const r = wasmx.run(wat('lib_echo'), { stdio: ['pipe', 'ignore', 'pipe'] });
    expect(r.stdout).toBeNull();
    const err = collect(r.stderr);
    r.stdin!.end('xyz');
    expect(await r).toBe(0);
    expect(err()).toBe('done 3\n');
  });

  it('an AbortSignal ends a guest blocked in accept: 143, and its listener is closed', async () => {
    const port = await freePort();
    const ac = new AbortController();
    const r = wasmx.run(HELLO_SERVER, { net: true, env: { PORT: String(port) }, signal: ac.signal, quiet: true });
    await waitUntil(() => accepts(port), 'the guest to listen');
    const t0 = Date.now();
    ac.abort();
    expect(await r).toBe(143);
    expect(Date.now() - t0).toBeLessThan(2_000);
    await waitUntil(async () => !(await accepts(port)), 'the listener to close', 3_000);
  });

  it('an AbortSignal ends a guest asleep for 30 s in poll_oneoff: 143 at once, and the script then exits by itself', async () => {
    const script = `
      const ac = new AbortController();
      const r = require(${JSON.stringify(DIST)}).run(${JSON.stringify(wat('lib_sleep'))}, { args: ['long'], stdio: ['ignore', 'pipe', 'inherit'], signal: ac.signal });
      r.stdout.on('data', (d) => { if (String(d).includes('sleeping')) { console.log('aborting'); ac.abort(); } });
      r.then((code) => console.log('ended', code));`;
    const r = await nodeScript(script, 15_000);
    expect(r.stdout).toBe('aborting\nended 143\n');
    expect(r.code).toBe(0);
    expect(r.ms).toBeLessThan(5_000);
  });

  it('unknown options and wrong kinds are a UsageError naming the option, thrown at once', () => {
    expect(() => wasmx.run(wat('cli_hello'), { stdoutt: 'pipe' } as never)).toThrow(/run: unknown option 'stdoutt'/);
    expect(() => wasmx.run(wat('cli_hello'), { stdoutt: 'pipe' } as never)).toThrow(wasmx.UsageError);
    expect(() => wasmx.run(wat('cli_hello'), { net: 'yes' } as never)).toThrow(/option 'net' must be a boolean/);
    expect(() => wasmx.run(wat('cli_hello'), { stdio: 'pipe', inThread: true })).toThrow(/stdio 'pipe' needs the guest on a worker/);
    return expect(wasmx.serve(HELLO_SERVER, { threads: 2 } as never)).rejects.toThrow(/serve: unknown option 'threads'/);
  });

  it('a script that runs a guest and serves, then closes, exits by itself', async () => {
    const port = await freePort();
    const script = `
      const w = require(${JSON.stringify(DIST)});
      const threads = () => require('fs').readdirSync('/proc/self/task').length;
      (async () => {
        const before = threads();
        const code = await w.run(${JSON.stringify(wat('lib_sleep'))}, { stdio: 'ignore' });
        const t = await w.run(${JSON.stringify(wat('threads_counter'))}, { stdio: 'ignore' });
        const s = await w.serve(${JSON.stringify(HELLO_SERVER)}, { instances: 2, env: { PORT: '${port}' }, quiet: true, log: () => {}, handleSignals: true });
        const body = await fetch('http://' + s.address + '/').then((r) => r.text());
        console.log('run', code, t, 'serve', s.address, body, 'close', await s.close());
        // What is left once the server has stopped: no worker ports, no signal handlers, no threads (workers
        // destroyed); only this timer and stdio.
        setTimeout(() => console.log('left', process.getActiveResourcesInfo().filter((r) => !['Timeout', 'PipeWrap', 'TTYWrap'].includes(r)).join(',') || 'nothing',
          'SIGTERM listeners', process.listenerCount('SIGTERM'), 'threads', threads() - before), 300);
      })();`;
    const r = await nodeScript(script, 20_000);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`run 0 0 serve 127.0.0.1:${port} Hello, World! close 0\nleft nothing SIGTERM listeners 0 threads 0\n`);
    expect(r.code).toBe(0);
    expect(r.ms).toBeLessThan(10_000);
  });

  it('SIGTERM to a host running a library guest ends it (no handler left installed, no spin)', async () => {
    const script = `require(${JSON.stringify(DIST)}).run(${JSON.stringify(wat('lib_sleep'))}, { args: ['long'] }).then((c) => console.log('ended', c));`;
    let sent = 0;
    const r = await nodeScript(script, 10_000, (out, child) => {
      if (out.includes('sleeping') && !sent) {
        sent = Date.now();
        child.kill('SIGTERM');
      }
    });
    expect(sent).toBeGreaterThan(0);
    expect(r.signal).toBe('SIGTERM');
    expect(Date.now() - sent).toBeLessThan(3_000);
  });
});

describe('library serve()', () => {
  it('resolves once listening: address, listening event, requests answered, close() drains and frees the port', async () => {
    const port = await freePort();
    const lines: string[] = [];
    const server = await wasmx.serve(HELLO_SERVER, { instances: 2, env: { PORT: String(port) }, log: (l) => lines.push(l) });
    expect(server.address).toBe(`127.0.0.1:${port}`);
    expect(server.addresses).toEqual([`127.0.0.1:${port}`]);
    expect(lines).toContain(`listening on 127.0.0.1:${port}`);
    const body = await fetch(`http://${server.address}/`).then((r) => r.text());
    expect(body).toBe('Hello, World!');
    let closed: number | undefined;
    server.on('close', (code: number) => (closed = code));
    expect(await server.close()).toBe(0);
    expect(closed).toBe(0);
    expect(await accepts(port)).toBe(false);
  });

  it('rejects with the reason when the instances end before listening (one failure, no restarts)', async () => {
    const lines: string[] = [];
    const p = wasmx.serve(wat('cli_hello'), { instances: 1, log: (l) => lines.push(l) });
    await expect(p).rejects.toThrow(/stopped \(exit 1\) before listening: instance 0 exited with code 0 before listening/);
    expect(lines.filter((l) => /restarting/.test(l))).toEqual([]);
  });

  it('tcpListen: listening at once on the address wasmx opened; a guest that accepts on it answers', async () => {
    const port = await freePort();
    const server = await wasmx.serve(path.join(ROOT, 'examples', 'accept-loop.wat'), { instances: 1, tcpListen: [`127.0.0.1:${port}`], log: () => {}, quiet: true });
    expect(server.address).toBe(`127.0.0.1:${port}`);
    const body = await fetch(`http://${server.address}/`).then((r) => r.text());
    expect(body).toBe('Hello, accept-loop');
    expect(await server.close()).toBe(0);
    expect(await accepts(port)).toBe(false);
  });

  it('emits instanceExit and instanceRestart for an instance that ends after the server listens', async () => {
    const port = await freePort();
    const server = await wasmx.serve(wat('cli_hello'), { instances: 1, tcpListen: [`127.0.0.1:${port}`], log: () => {}, quiet: true });
    const exits: object[] = [];
    const restarts: object[] = [];
    server.on('instanceExit', (e: object) => exits.push(e));
    server.on('instanceRestart', (e: object) => restarts.push(e));
    await waitUntil(() => restarts.length >= 2, 'two restarts');
    expect(exits[0]).toEqual({ instance: 0, status: 'exit', code: 0, reason: 'exited with code 0' });
    expect(restarts.slice(0, 2)).toEqual([{ instance: 0, delayMs: 100 }, { instance: 0, delayMs: 200 }]);
    expect(await server.close()).toBe(0);
  });
});
