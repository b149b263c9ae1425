// The library API through the built package entry (dist/index.js, what `require('wasmx')` loads): threaded and
// unthreaded runs on workers, the event loop staying free, stdio pipes, AbortSignal, option errors, serve's
// handle, and scripts that end by themselves once their guests have.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
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

/** Threads of this process asleep in poll(2) — a guest's wait primitive (Node's own loops sleep in epoll). */
function threadsInPoll(): number {
  let n = 0;
  for (const t of fs.readdirSync('/proc/self/task')) {
    try {
      const stat = fs.readFileSync(`/proc/self/task/${t}/stat`, 'utf8');
      const wchan = fs.readFileSync(`/proc/self/task/${t}/wchan`, 'utf8');
      if (stat[stat.lastIndexOf(')') + 2] === 'S' && /poll_schedule_timeout|do_sys_poll/.test(wchan)) n++;
    } catch {
      // the thread ended meanwhile
    }
  }
  return n;
}

describe('library run()', () => {
  it('runs a threaded module with its threads (total=400000 threads=4), resolving 0', async () => {
    const r = wasmx.run(wat('threads_counter'), { stdio: 'pipe' });
    const out = collect(r.stdout);
    expect(await r).toBe(0);
    expect(out()).toBe('total=400000 threads=4\n');
  });

  it('keeps the event loop free: a 200 ms interval keeps firing through a 1 s guest sleep (inThread: it stalls)', async () => {
    /** The longest the event loop went without a tick of a 200 ms interval while the guest ran, and the ticks. */
    const loopDuring = async (opts: object): Promise<{ ticks: number; longestGapMs: number }> => {
      const stamps: number[] = [];
      const timer = setInterval(() => stamps.push(Date.now()), 200);
      try {
        stamps.push(Date.now());
        expect(await wasmx.run(wat('lib_sleep'), { stdio: 'ignore', ...opts })).toBe(0);
        stamps.push(Date.now());
      } finally {
        clearInterval(timer);
      }
      const gaps = stamps.slice(1).map((t, k) => t - stamps[k]);
      return { ticks: stamps.length - 2, longestGapMs: Math.max(...gaps) };
    };
    const worker = await loopDuring({});
    expect(worker.ticks).toBeGreaterThanOrEqual(4); // 5 intervals fit in the sleep
    expect(worker.longestGapMs).toBeLessThan(700);
    const inThread = await loopDuring({ inThread: true }); // the mode that blocks the loop, for contrast
    expect(inThread.longestGapMs).toBeGreaterThanOrEqual(950);
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

  it('an AbortSignal reaches a threaded guest with a handler: its blocked threads are interrupted, the handler runs, exit 0', async () => {
    const ac = new AbortController();
    const r = wasmx.run(wat('signals_mt'), { stdio: ['ignore', 'pipe', 'inherit'], signal: ac.signal });
    const out = collect(r.stdout);
    await waitUntil(() => out().includes('blocked child\n'), 'the marker');
    // the child asleep in thread_sleep's poll (the main thread's join parks on a futex, as idle workers do)
    await waitUntil(() => threadsInPoll() >= 1, 'the child asleep in the kernel');
    ac.abort();
    expect(await r).toBe(0);
    expect(out()).toMatch(/signal 15 on [12]\n/);
    expect(out()).toContain('child sleep r=27\n'); // INTR
    expect(out().endsWith('join r=0\ndone\n')).toBe(true);
  });

  it('a trap rejects with TrapError (worker and inThread alike); bytes of WAT text run too', async () => {
    await expect(wasmx.run(wat('core_trap'), { stdio: 'ignore' })).rejects.toThrow(wasmx.TrapError);
    await expect(wasmx.run(wat('core_trap'), { stdio: 'ignore', inThread: true })).rejects.toThrow(wasmx.TrapError);
    const text = fs.readFileSync(path.join(ROOT, 'examples', 'hello.wat'));
    const r = wasmx.run(text, { stdio: ['ignore', 'pipe', 'inherit'] });
    const out = collect(r.stdout);
    expect(await r).toBe(0);
    expect(out()).toBe('Hello from wasmx\n');
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
    const r = await nodeScript(script, 40_000);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`run 0 0 serve 127.0.0.1:${port} Hello, World! close 0\nleft nothing SIGTERM listeners 0 threads 0\n`);
    expect(r.code).toBe(0);
    expect(r.ms).toBeLessThan(25_000); // ~5 s unloaded; a hang would be killed at 40 s
  }, 45_000);

  it.each([
    ['an unthreaded', 'lib_sleep', 'sleeping'],
    ['a threaded', 'signals_mt', 'blocked child'],
  ])('SIGTERM to a host running %s library guest ends it (run() installs no handler: no swallowed signal, no spin)', async (_, fixture, marker) => {
    const script = `require(${JSON.stringify(DIST)}).run(${JSON.stringify(wat(fixture))}, { args: ['long'] }).then((c) => console.log('ended', c));`;
    let sent = 0;
    const r = await nodeScript(script, 10_000, (out, child) => {
      if (out.includes(marker) && !sent) {
        sent = Date.now();
        child.kill('SIGTERM');
      }
    });
    expect(sent).toBeGreaterThan(0);
    expect(r.signal).toBe('SIGTERM');
    expect(Date.now() - sent).toBeLessThan(3_000);
  });
});

describe('the public surface', () => {
  it("README's Library API table names exactly what src/index.ts exports (values and types)", () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const start = readme.indexOf('## Library API');
    const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
    const named = new Set<string>();
    for (const row of section.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| export'))) {
      const [, first, second] = row.split('|');
      const cell = first.trim() === 'types' ? second : first.split('→')[0];
      for (const m of cell.matchAll(/`(\w+)/g)) named.add(m[1]);
    }
    const dts = fs.readFileSync(path.join(ROOT, 'dist', 'index.d.ts'), 'utf8');
    const exported = [...dts.matchAll(/export (?:type )?\{([^}]+)\}/g)].flatMap((m) => m[1].split(',').map((x) => x.trim()));
    expect([...named].sort()).toEqual(exported.sort());
    expect(Object.keys(wasmx).sort()).toEqual(['LinkError', 'LoadError', 'Server', 'TrapError', 'UsageError', 'WasmxError', 'importStats', 'loadModule', 'run', 'serve', 'watToWasm']);
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
