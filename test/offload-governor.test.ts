/**
 * The offload pool's governor and its figures (native/src/offload/offload_threads.cc, README "Offload"): the pool
 * hands ops off only while a usable core is idle, and WASMX_OFFLOAD_STATS reports what it did. The guest is
 * examples/hello-server.wat (send, shutdown(WR), recv, close per connection); the load is real: a busy loop pinned
 * with the guest to one CPU (taskset), so that no usable core is idle.
 */
import { spawn, spawnSync, ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, ROOT, exchange, freePort, tmpdir } from './helpers';

const HELLO = path.join(ROOT, 'examples', 'hello-server.wat');
const hasTaskset = spawnSync('taskset', ['-c', '0', 'true']).status === 0;
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

interface Stats { ops: number; sends: number; inline_ops: number; governed: boolean; handoff_us: { p50: number; p99: number } }

/** Waits until the stats file (rewritten about every second) shows `ok`. */
async function statsWhen(file: string, ok: (s: Stats) => boolean, timeoutMs = 8000): Promise<Stats> {
  const end = Date.now() + timeoutMs;
  let last: Stats | null = null;
  while (Date.now() < end) {
    try {
      last = JSON.parse(fs.readFileSync(file, 'utf8')) as Stats;
      if (ok(last)) return last;
    } catch { /* not written yet, or being rewritten */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`stats never matched; last: ${JSON.stringify(last)}`);
}

async function serve(env: Record<string, string>, prefix: string[] = []): Promise<{ port: number; stats: string }> {
  const port = await freePort();
  const stats = path.join(tmpdir('wasmx-gov-'), 'stats.json');
  const argv = [...prefix, process.execPath, CLI, 'run', '--net', '--offload', 'threads', '--env', `PORT=${port}`, HELLO];
  const child = spawn(argv[0], argv.slice(1), { stdio: 'ignore', env: { ...process.env, WASMX_OFFLOAD_STATS: stats, ...env } });
  children.push(child);
  return { port, stats };
}

const REQUESTS = 20;
async function requests(port: number): Promise<void> {
  for (let i = 0; i < REQUESTS; i++) expect((await exchange(port, 'GET / HTTP/1.1\r\n\r\n')).toString()).toBe('HTTP/1.1 200 OK\r\n\r\nHello, World!');
}

describe('offload governor', () => {
  it('WASMX_OFFLOAD_GOVERN=0: every send, shutdown and close of every connection is handed off and counted', async () => {
    const { port, stats } = await serve({ WASMX_OFFLOAD_GOVERN: '0' });
    await requests(port);
    const s = await statsWhen(stats, (x) => x.sends >= REQUESTS && x.ops >= 3 * REQUESTS);
    expect(s.governed).toBe(false);
    expect(s.inline_ops).toBe(0);
    expect(s.sends).toBe(REQUESTS);
    expect(s.ops).toBe(3 * REQUESTS); // send, shutdown(WR), close per connection
    expect(s.handoff_us.p50).toBeGreaterThan(0);
  });

  it.skipIf(!hasTaskset)('no usable core idle (guest and a busy loop pinned to one CPU): every op runs inline', async () => {
    const spinner = spawn('taskset', ['-c', '0', process.execPath, '-e', 'for(;;){}'], { stdio: 'ignore' });
    children.push(spinner);
    const { port, stats } = await serve({}, ['taskset', '-c', '0']);
    await requests(port);
    // The governor looks at the CPUs every 200 ms: after a few windows, still nothing was handed off.
    await new Promise((r) => setTimeout(r, 1000));
    await requests(port);
    const s = await statsWhen(stats, (x) => x.inline_ops >= 2 * 3 * REQUESTS);
    expect(s.governed).toBe(true);
    expect(s.ops).toBe(0);
    expect(s.inline_ops).toBe(2 * 3 * REQUESTS);
  });
});
