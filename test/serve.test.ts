import { afterEach, describe, expect, it } from 'vitest';
import { cfix, exchange, freePort, startWasmx } from './helpers';

const get = (path: string) => `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`;
const body = (b: Buffer) => b.toString().split('\r\n\r\n')[1];

async function waitFor(pred: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('wasmx serve', () => {
  const running: ReturnType<typeof startWasmx>[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((s) => s.stop()));
  });

  it('--threads 2: both instances bind the same port (SO_REUSEPORT) and both take connections', async () => {
    const port = await freePort();
    const s = startWasmx(['serve', '--threads', '2', '--net', '--env', `PORT=${port}`, cfix('serve_instance'), 'bind']);
    running.push(s);
    const seen = new Set<string>();
    // The kernel spreads connections by hash of the client port: a bounded number of fresh connections reaches both.
    for (let i = 0; i < 200 && seen.size < 2; i++) seen.add(body(await exchange(port, get('/'))));
    expect([...seen].sort()).toEqual(['instance=0', 'instance=1']);
    expect(s.stderr).toMatch(/wasmx serve: .*serve_instance\.wasm: 2 instances/);
  });

  it('an instance that traps is logged and restarted while the other keeps answering', async () => {
    const port = await freePort();
    const s = startWasmx(['serve', '--threads', '2', '--tcplisten', `127.0.0.1:${port}`, cfix('serve_instance'), 'preopen']);
    running.push(s);
    expect(body(await exchange(port, get('/')))).toMatch(/^instance=[01]$/);
    // The trapping connection gets no answer (the instance dies holding it); the server answers the next ones.
    await exchange(port, get('/trap')).catch(() => Buffer.alloc(0));
    await waitFor(() => /instance [01] trapped: /.test(s.stderr), 'the trap to be logged');
    await waitFor(() => /restarting in \d+ ms/.test(s.stderr), 'the restart');
    for (let i = 0; i < 20; i++) expect(body(await exchange(port, get('/')))).toMatch(/^instance=[01]$/);
    expect(s.child.exitCode).toBe(null);
  });

  it('--tcplisten preopens one listener in every instance (a preview1 program that only calls sock_accept)', async () => {
    const port = await freePort();
    const s = startWasmx(['serve', '--threads', '2', '--tcplisten', `127.0.0.1:${port}`, cfix('serve_instance'), 'preopen']);
    running.push(s);
    const seen = new Set<string>();
    for (let i = 0; i < 200 && seen.size < 2; i++) seen.add(body(await exchange(port, get('/'))));
    expect(seen.size).toBeGreaterThanOrEqual(1);
    for (const b of seen) expect(b).toMatch(/^instance=[01]$/);
    expect(s.stderr).toContain(`listening on 127.0.0.1:${port}`);
  });

  it('SIGTERM during requests: in-flight requests are answered, then the server exits 0', async () => {
    const port = await freePort();
    const s = startWasmx(['serve', '--threads', '2', '--grace', '5', '--tcplisten', `127.0.0.1:${port}`, cfix('serve_instance'), 'preopen']);
    running.push(s);
    expect(body(await exchange(port, get('/')))).toMatch(/^instance=/);
    // Requests that take 300 ms each are in flight when the signal arrives.
    const inflight = Array.from({ length: 2 }, () => exchange(port, get('/slow')));
    await new Promise((r) => setTimeout(r, 100));
    s.child.kill('SIGTERM');
    const answers = await Promise.all(inflight);
    for (const a of answers) expect(body(a)).toMatch(/^instance=[01]$/);
    const code = await new Promise<number | null>((r) => (s.child.exitCode !== null ? r(s.child.exitCode) : s.child.once('exit', (c) => r(c))));
    expect(code).toBe(0);
    expect(s.stderr).toMatch(/draining/);
  });

  it('too many failures per minute stop the server with a non-zero exit', async () => {
    const port = await freePort();
    const s = startWasmx(['serve', '--threads', '1', '--max-failures', '2', '--tcplisten', `127.0.0.1:${port}`, cfix('serve_instance'), 'preopen']);
    running.push(s);
    for (let i = 0; i < 3; i++) {
      await exchange(port, get('/trap')).catch(() => Buffer.alloc(0));
      await waitFor(() => (s.stderr.match(/trapped/g) ?? []).length > i || s.child.exitCode !== null, `trap ${i + 1}`);
    }
    const code = await new Promise<number | null>((r) => (s.child.exitCode !== null ? r(s.child.exitCode) : s.child.once('exit', (c) => r(c))));
    expect(code).toBe(1);
    expect(s.stderr).toMatch(/failures in the last minute \(limit 2\): stopping/);
  });
});
