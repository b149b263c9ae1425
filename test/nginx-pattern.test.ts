/**
 * The nginx-pattern fixture (test/fixtures/c/posted_events_server.c: nginx's calls in nginx's order — a level-triggered
 * listener, accept4 non-blocking, EPOLLET | EPOLLRDHUP connections, open + fstat + read of a file and one writev per
 * request, keep-alive with timers) under wasmx, built for WASIX, and natively with the same client: a short
 * concurrent keep-alive load where every response must be complete and correct and none may take longer than
 * SLOW_MS (the count of slow requests must be 0; issue 9 saw 10 % of nginx's requests wait 80–500 ms under
 * wasmx). The bound is far above this shared machine's noise and below the stalls that were seen.
 */
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, ROOT, connectWhenUp, freePort, tmpdir } from './helpers';

const CONNECTIONS = 16;
const DURATION_MS = 2000;
const SLOW_MS = 500;
const PAGE = 'x'.repeat(896 - 15) + '<!-- nginx -->\n'; // 896 bytes, the size of nginx's default index.html
let builds: { native: string; wasm: string };
let docroot: string;
const children: ChildProcess[] = [];

beforeAll(() => {
  const out = execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'build-native-examples.js'), '--nginx-pattern'], { stdio: ['ignore', 'pipe', 'inherit'] });
  builds = JSON.parse(out.toString());
  docroot = tmpdir('wasmx-ngx-');
  fs.writeFileSync(path.join(docroot, 'index.html'), PAGE);
});
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

/** One keep-alive connection making requests back to back until `until`; returns each request's latency (ms). */
function client(port: number, until: number): Promise<{ latencies: number[]; bad: string[] }> {
  return new Promise((resolve, reject) => {
    const latencies: number[] = [];
    const bad: string[] = [];
    const s = net.connect({ port, host: '127.0.0.1' });
    let buf = Buffer.alloc(0);
    let t0 = 0;
    const send = () => {
      t0 = performance.now();
      s.write('GET /index.html HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: test\r\n\r\n');
    };
    s.setTimeout(10_000, () => {
      bad.push('no response within 10 s');
      s.destroy();
      resolve({ latencies, bad });
    });
    s.on('connect', send);
    s.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        const h = buf.indexOf('\r\n\r\n');
        if (h < 0) return;
        const head = buf.subarray(0, h).toString('latin1');
        const m = /\r\nContent-Length: (\d+)\r?/i.exec(head);
        const len = m ? Number(m[1]) : -1;
        if (len < 0 || !head.startsWith('HTTP/1.1 200 OK')) {
          bad.push(`unexpected response head: ${JSON.stringify(head.slice(0, 120))}`);
          s.destroy();
          return resolve({ latencies, bad });
        }
        if (buf.length < h + 4 + len) return;
        const body = buf.subarray(h + 4, h + 4 + len).toString('latin1');
        if (body !== PAGE) bad.push(`body of ${len} bytes differs from the file`);
        buf = buf.subarray(h + 4 + len);
        latencies.push(performance.now() - t0);
        if (performance.now() >= until) {
          s.end();
          return resolve({ latencies, bad });
        }
        send();
      }
    });
    s.on('error', reject);
  });
}

async function load(port: number) {
  await (await connectWhenUp(port)).destroy();
  const until = performance.now() + DURATION_MS;
  const all = await Promise.all(Array.from({ length: CONNECTIONS }, () => client(port, until)));
  const latencies = all.flatMap((r) => r.latencies);
  return { latencies, bad: all.flatMap((r) => r.bad), slow: latencies.filter((l) => l > SLOW_MS) };
}

const KINDS = [
  { name: 'WASIX build under wasmx (epoll, default offload)', argv: (port: number) => [process.execPath, CLI, 'run', '--net', '--dir', `${docroot}::/www`, builds.wasm, String(port), '/www'] },
  { name: 'WASIX build under wasmx --offload threads (pool always on)', env: { WASMX_OFFLOAD_GOVERN: '0' }, argv: (port: number) => [process.execPath, CLI, 'run', '--net', '--offload', 'threads', '--dir', `${docroot}::/www`, builds.wasm, String(port), '/www'] },
  { name: 'native build', argv: (port: number) => [builds.native, String(port), docroot] },
];

describe.each(KINDS)('nginx-pattern fixture: $name', (kind) => {
  it(`${CONNECTIONS} keep-alive connections for ${DURATION_MS / 1000} s: every response complete, none slower than ${SLOW_MS} ms`, async () => {
    const port = await freePort();
    const argv = kind.argv(port);
    let stderr = '';
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...(kind.env ?? {}) } });
    child.stderr!.on('data', (d) => (stderr += d));
    children.push(child);
    const r = await load(port);
    child.kill('SIGKILL');
    expect(r.bad, stderr).toEqual([]);
    expect(r.latencies.length, 'requests answered').toBeGreaterThan(CONNECTIONS * 5);
    expect(r.slow.map((l) => Math.round(l)), `requests slower than ${SLOW_MS} ms of ${r.latencies.length}`).toEqual([]);
  }, 30_000);
});
