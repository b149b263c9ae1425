/**
 * `--admin`: /healthz, /readyz and /metrics of a real `wasmx serve` (and `run`) under a short load of real
 * connections. The counters are checked for exact deltas against what the clients sent and received; /readyz is
 * watched through a real SIGTERM drain while slow requests are still in flight.
 */
import http from 'node:http';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT, cfix, exchange, freePort, startWasmx, wat, wasmx } from './helpers';
import { PromText, parsePromText } from './prom-text';

const REQUEST = 'GET / HTTP/1.1\r\nHost: x\r\n\r\n';
const body = (b: Buffer) => b.toString().split('\r\n\r\n')[1];

function httpGet(port: number, path: string, method = 'GET'): Promise<{ status: number; body: string; type: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method, agent: false }, (res) => {
      let b = '';
      res.on('data', (d) => (b += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: b, type: String(res.headers['content-type']) }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function scrape(port: number): Promise<PromText> {
  const r = await httpGet(port, '/metrics');
  expect(r.status).toBe(200);
  expect(r.type).toMatch(/^text\/plain; version=0\.0\.4/);
  return parsePromText(r.body);
}

async function waitFor<T>(probe: () => Promise<T>, ok: (v: T) => boolean, what: string, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe().catch(() => undefined as T);
    if (v !== undefined && ok(v)) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(v)?.slice(0, 300)})`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The admin port from the "admin on http://HOST:PORT" line (the tests ask for port 0). */
async function adminPort(s: ReturnType<typeof startWasmx>): Promise<number> {
  const m = await waitFor(async () => /admin on http:\/\/127\.0\.0\.1:(\d+) /.exec(s.stderr), (m) => m !== null, 'the admin line');
  return Number(m![1]);
}

describe('wasmx serve --admin', () => {
  const running: ReturnType<typeof startWasmx>[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((s) => s.stop()));
  });

  it('metrics parse as Prometheus text and move by exactly the requests made; a trap counts one restart', async () => {
    const port = await freePort();
    const s = startWasmx(['serve', '--threads', '2', '--tcplisten', `127.0.0.1:${port}`, '--admin', '127.0.0.1:0', cfix('serve_instance'), 'preopen']);
    running.push(s);
    const admin = await adminPort(s);
    await waitFor(() => httpGet(admin, '/readyz'), (r) => r.status === 200, '/readyz 200');
    expect((await httpGet(admin, '/healthz')).body).toBe('ok\n');

    const before = await scrape(admin);
    for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds']) expect(before.types.has(name), name).toBe(true);
    expect(before.types.get('wasmx_connections_accepted_total')).toBe('counter');
    expect(before.types.get('wasmx_connections_open')).toBe('gauge');
    expect(before.get('wasmx_instances')).toBe(2);
    expect(before.get('wasmx_instances_configured')).toBe(2);

    // 120 requests, 8 at a time, each on its own connection (the fixture answers one request per connection).
    const N = 120;
    let sent = 0;
    let received = 0;
    const replies = new Set<string>();
    for (let i = 0; i < N; i += 8) {
      const answers = await Promise.all(Array.from({ length: Math.min(8, N - i) }, () => exchange(port, REQUEST)));
      for (const a of answers) {
        sent += REQUEST.length;
        received += a.length;
        replies.add(body(a));
      }
    }
    for (const r of replies) expect(r).toMatch(/^instance=[01]$/);
    // The guest closes right after its last send: wait until no instance holds a connection.
    const after = await waitFor(() => scrape(admin), (m) => m.get('wasmx_connections_open') === 0, 'connections_open 0');
    const delta = (name: string) => after.get(name)! - before.get(name)!;
    expect(delta('wasmx_connections_accepted_total')).toBe(N);
    expect(delta('wasmx_socket_received_bytes_total')).toBe(sent);
    expect(delta('wasmx_socket_sent_bytes_total')).toBe(received);
    expect(after.get('wasmx_instance_restarts_total', { cause: 'trap' })).toBe(0);

    // A trap: one exit with status trap/134, one restart by cause trap; ready again once the instance is back.
    await exchange(port, 'GET /trap HTTP/1.1\r\n\r\n').catch(() => Buffer.alloc(0));
    const trapped = await waitFor(() => scrape(admin), (m) => m.get('wasmx_instance_restarts_total', { cause: 'trap' }) === 1, 'the restart to be counted');
    expect(trapped.get('wasmx_guest_exits_total', { status: 'trap', code: '134' })).toBe(1);
    expect(trapped.get('wasmx_instance_restarts_total', { cause: 'exit' })).toBe(0);
    const back = await waitFor(() => scrape(admin), (m) => m.get('wasmx_instances') === 2, 'both instances running again');
    expect(back.get('wasmx_instance_restarts_total', { cause: 'trap' })).toBe(1);
    await waitFor(() => httpGet(admin, '/readyz'), (r) => r.status === 200, '/readyz 200 after the restart');

    expect((await httpGet(admin, '/nope')).status).toBe(404);
    expect((await httpGet(admin, '/metrics', 'POST')).status).toBe(405);
    expect((await httpGet(admin, '/healthz', 'HEAD')).status).toBe(200);
  });

  it('--offload threads: sends handed to the pool count exactly once; the queue gauge returns to 0', async () => {
    const port = await freePort();
    const s = startWasmx(['serve', '--threads', '1', '--offload', 'threads', '--tcplisten', `127.0.0.1:${port}`, '--admin', '127.0.0.1:0', cfix('serve_instance'), 'preopen']);
    running.push(s);
    const admin = await adminPort(s);
    await waitFor(() => httpGet(admin, '/readyz'), (r) => r.status === 200, '/readyz 200');
    const before = await scrape(admin);
    let received = 0;
    for (let i = 0; i < 40; i++) received += (await exchange(port, REQUEST)).length;
    const after = await waitFor(() => scrape(admin), (m) => m.get('wasmx_connections_open') === 0 && m.get('wasmx_offload_queued_ops') === 0, 'an idle pool');
    expect(after.get('wasmx_socket_sent_bytes_total')! - before.get('wasmx_socket_sent_bytes_total')!).toBe(received);
    expect(after.get('wasmx_connections_accepted_total')! - before.get('wasmx_connections_accepted_total')!).toBe(40);
    expect(after.get('wasmx_offload_queued_bytes')).toBe(0);
  });

  it('/readyz turns 503 as soon as a SIGTERM drain starts, while in-flight requests still complete; /healthz stays 200', async () => {
    const port = await freePort();
    const s = startWasmx(['serve', '--threads', '2', '--grace', '5', '--tcplisten', `127.0.0.1:${port}`, '--admin', '127.0.0.1:0', cfix('serve_instance'), 'preopen']);
    running.push(s);
    const admin = await adminPort(s);
    await waitFor(() => httpGet(admin, '/readyz'), (r) => r.status === 200, '/readyz 200');
    // Two requests that take 300 ms each; wait until both instances hold one (observable, not a sleep).
    let answered = 0;
    const inflight = Array.from({ length: 2 }, () =>
      exchange(port, 'GET /slow HTTP/1.1\r\n\r\n').then((a) => {
        answered++;
        return a;
      }),
    );
    await waitFor(() => scrape(admin), (m) => m.get('wasmx_connections_open') === 2, 'two connections in flight');
    s.child.kill('SIGTERM');
    const notReady = await waitFor(() => httpGet(admin, '/readyz'), (r) => r.status === 503, '/readyz 503');
    expect(answered).toBe(0); // the slow requests were still in flight when /readyz said 503
    expect(notReady.body).toBe('not ready: draining\n');
    expect((await httpGet(admin, '/healthz')).status).toBe(200);
    expect((await scrape(admin)).get('wasmx_draining')).toBe(1);
    for (const a of await Promise.all(inflight)) expect(body(a)).toMatch(/^instance=[01]$/);
    const code = await new Promise<number | null>((r) => (s.child.exitCode !== null ? r(s.child.exitCode) : s.child.once('exit', (c) => r(c))));
    expect(code).toBe(0);
  });

  it('bad --admin values and a taken port: one line, exit 2', async () => {
    const bad = await wasmx(['serve', '--admin', 'localhost:99999', cfix('serve_instance')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('wasmx: error: --admin localhost:99999: expected HOST:PORT or PORT (e.g. 127.0.0.1:9090, [::1]:9090, 9090 for loopback)\n');
    const taken = await freePort();
    const holder = http.createServer().listen(taken, '127.0.0.1');
    await new Promise((r) => holder.once('listening', r));
    try {
      const r = await wasmx(['serve', '--threads', '1', '--tcplisten', `127.0.0.1:${await freePort()}`, '--admin', String(taken), cfix('serve_instance'), 'preopen']);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(`wasmx: error: --admin 127.0.0.1:${taken}: cannot listen: address in use\n`);
    } finally {
      holder.close();
    }
  });
});

describe('wasmx run --admin', () => {
  it('answers /healthz and /readyz once the guest listens, and counts its connections', async () => {
    const port = await freePort();
    const s = startWasmx(['run', '--net', '--admin', '127.0.0.1:0', '--env', `PORT=${port}`, path.join(ROOT, 'examples', 'hello-server.wat')]);
    try {
      const admin = await adminPort(s);
      expect((await httpGet(admin, '/healthz')).status).toBe(200);
      await waitFor(() => httpGet(admin, '/readyz'), (r) => r.status === 200, '/readyz 200');
      const before = await scrape(admin);
      for (let i = 0; i < 5; i++) expect(body(await exchange(port, REQUEST))).toBe('Hello, World!');
      const after = await waitFor(() => scrape(admin), (m) => m.get('wasmx_connections_open') === 0, 'connections_open 0');
      expect(after.get('wasmx_connections_accepted_total')! - before.get('wasmx_connections_accepted_total')!).toBe(5);
      expect(after.get('wasmx_socket_sent_bytes_total')! - before.get('wasmx_socket_sent_bytes_total')!).toBe(5 * 32);
      expect(after.get('wasmx_instances')).toBe(1);
    } finally {
      await s.stop();
    }
  });

  it('/readyz is 503 while the guest runs without a listening socket; /healthz is 200', async () => {
    const s = startWasmx(['run', '--admin', '127.0.0.1:0', wat('admin_idle')]);
    try {
      const admin = await adminPort(s);
      await waitFor(async () => s.stdout, (o) => o.includes('idle\n'), 'the guest to start sleeping');
      expect(await httpGet(admin, '/readyz')).toMatchObject({ status: 503, body: 'not ready: 1 of 1 instances not listening yet\n' });
      expect((await httpGet(admin, '/healthz')).status).toBe(200);
    } finally {
      await s.stop();
    }
  });
});

describe('admin metrics from a per-import counter source', () => {
  it('exports calls, errors and host seconds per import as counters', async () => {
    const { AdminMetrics } = await import('../src/admin');
    let rows = [{ name: 'sock_send', calls: 3, errors: 1, totalNs: 1_500_000_000 }];
    const m = new AdminMetrics({ processIds: () => [], instanceCount: 1, isDraining: false }, () => rows);
    const first = parsePromText(await m.render());
    expect(first.types.get('wasmx_import_calls_total')).toBe('counter');
    expect(first.get('wasmx_import_calls_total', { import: 'sock_send' })).toBe(3);
    expect(first.get('wasmx_import_errors_total', { import: 'sock_send' })).toBe(1);
    expect(first.get('wasmx_import_host_seconds_total', { import: 'sock_send' })).toBe(1.5);
    rows = [{ name: 'sock_send', calls: 5, errors: 1, totalNs: 2e9 }, { name: 'fd_close', calls: 2, errors: 0, totalNs: 1000 }];
    const next = parsePromText(await m.render());
    expect(next.get('wasmx_import_calls_total', { import: 'sock_send' })).toBe(5);
    expect(next.get('wasmx_import_calls_total', { import: 'fd_close' })).toBe(2);
    expect(next.get('wasmx_instances')).toBe(0);
  });
});
