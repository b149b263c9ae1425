/**
 * The keep-alive example server (examples/keepalive-server/server.c) end to end, built two ways from the same
 * source — WASIX (run under wasmx) and native (cc) — and driven by Node net sockets with the same table of
 * checks, so both builds are shown to behave identically: many concurrent keep-alive connections, pipelined
 * requests, requests split across writes, request bodies, Connection: close, malformed requests, clients that
 * reset mid-response, and the idle timeout. Every read is bounded by a timeout; no timing is asserted.
 */
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, connectWhenUp, freePort, startWasmx } from './helpers';

const BODY = 'Hello, World!';
const OK = `HTTP/1.1 200 OK\r\nContent-Length: 13\r\nContent-Type: text/plain\r\n\r\n${BODY}`;
const OK_CLOSE = `HTTP/1.1 200 OK\r\nContent-Length: 13\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n${BODY}`;
const OK_KEEPALIVE = `HTTP/1.1 200 OK\r\nContent-Length: 13\r\nContent-Type: text/plain\r\nConnection: keep-alive\r\n\r\n${BODY}`;
const BAD = 'HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// --- the two builds -------------------------------------------------------------------------------------------

let builds: { native: string; wasm: string };
beforeAll(() => {
  // Builds both forms if missing or older than the sources (the script tracks the example's files itself).
  const out = execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'build-native-examples.js')], { stdio: ['ignore', 'pipe', 'inherit'] });
  builds = JSON.parse(out.toString());
});

interface Server {
  port: number;
  alive(): boolean;
  logs(): string;
  stop(): Promise<void>;
}

interface Kind {
  name: string;
  start(port: number, env?: Record<string, string>): Server;
}

function wrap(child: ChildProcess, port: number, logs: () => string): Server {
  return {
    port,
    alive: () => child.exitCode === null && child.signalCode === null,
    logs,
    stop: () => new Promise<void>((r) => {
      if (child.exitCode !== null || child.signalCode !== null) return r();
      child.once('close', () => r());
      child.kill('SIGKILL');
    }),
  };
}

const KINDS: Kind[] = [
  {
    name: 'WASIX build under wasmx',
    start(port, env = {}) {
      const args = ['run', '--net', '--env', `PORT=${port}`];
      for (const [k, v] of Object.entries(env)) args.push('--env', `${k}=${v}`);
      const h = startWasmx([...args, builds.wasm]);
      return wrap(h.child, port, () => h.stdout + h.stderr);
    },
  },
  {
    name: 'native build',
    start(port, env = {}) {
      const child = spawn(builds.native, [String(port)], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
      return wrap(child, port, () => out);
    },
  },
];

// --- a client connection with exact, bounded reads --------------------------------------------------------------

class Client {
  private buf = Buffer.alloc(0);
  private ended = false;
  private error: Error | undefined;
  private wake: (() => void) | undefined;

  private constructor(readonly sock: net.Socket) {
    sock.setNoDelay(true);
    sock.on('data', (d: Buffer) => { this.buf = Buffer.concat([this.buf, d]); this.notify(); });
    sock.on('end', () => { this.ended = true; this.notify(); });
    sock.on('close', () => { this.ended = true; this.notify(); });
    sock.on('error', (e) => { this.error = e; this.notify(); });
  }

  /** Connects; retries for a while only when `waitUp` (a server just started), else a refusal fails at once. */
  static async open(port: number, waitUp = false): Promise<Client> {
    return new Client(await connectWhenUp(port, '127.0.0.1', waitUp ? 10_000 : 0));
  }

  private notify() {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  /** Bytes received and not yet consumed. */
  get pending(): number { return this.buf.length; }

  write(data: string | Buffer): Promise<void> {
    return new Promise((resolve, reject) => this.sock.write(data, (e) => (e ? reject(e) : resolve())));
  }

  private async until(done: () => boolean, what: string, ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while (!done()) {
      if (this.error) throw new Error(`${what}: socket error ${this.error.message} (have ${JSON.stringify(this.buf.toString())})`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${what}: timed out (have ${this.buf.length} bytes: ${JSON.stringify(this.buf.subarray(0, 200).toString())})`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.wake = () => { clearTimeout(t); r(); };
      });
    }
  }

  /** Exactly n bytes (fails on EOF, error or timeout before they arrive). */
  async read(n: number, ms = 15_000): Promise<string> {
    await this.until(() => this.buf.length >= n || this.ended, `reading ${n} bytes`, ms);
    if (this.buf.length < n) throw new Error(`EOF after ${this.buf.length} of ${n} bytes: ${JSON.stringify(this.buf.toString())}`);
    const out = this.buf.subarray(0, n).toString('latin1');
    this.buf = this.buf.subarray(n);
    return out;
  }

  /** Everything up to the server's EOF. */
  async readToEnd(ms = 15_000): Promise<string> {
    await this.until(() => this.ended, 'waiting for EOF', ms);
    const out = this.buf.toString('latin1');
    this.buf = Buffer.alloc(0);
    return out;
  }

  close() { this.sock.destroy(); }
}

const get = (target: string, extra = '') => `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: keepalive-test\r\n${extra}\r\n`;
const post = (target: string, body: string) => `POST ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
/** A body that itself looks like a request: the server must skip it, not answer it. */
const SNEAKY = 'GET /not-a-request HTTP/1.1\r\n\r\n';

// --- the table, run against each build ----------------------------------------------------------------------------

describe.each(KINDS)('keep-alive server: $name', (kind) => {
  let server: Server;

  beforeAll(async () => {
    server = kind.start(await freePort());
    (await Client.open(server.port, true)).close(); // up
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('answers 10 000 requests over 100 concurrent keep-alive connections, pipelined and split', async () => {
    const CONNS = 100;
    const PER_CONN = 100;
    let answered = 0;
    const one = async (i: number) => {
      const c = await Client.open(server.port);
      try {
        let sent = 0;
        for (let round = 0; sent < PER_CONN; round++) {
          // 1 to 4 requests per write (pipelined when > 1); every 7th request carries a body.
          const batch = Math.min(1 + ((i + round) % 4), PER_CONN - sent);
          let bytes = '';
          for (let k = 0; k < batch; k++, sent++) bytes += sent % 7 === 3 ? post(`/c${i}/r${sent}`, SNEAKY) : get(`/c${i}/r${sent}`);
          if (i % 5 === 0) {
            // Split the batch at a moving point (inside a head, a terminator or a body) over two writes.
            const cut = 1 + ((round * 13 + i) % (bytes.length - 1));
            await c.write(bytes.slice(0, cut));
            await new Promise((r) => setImmediate(r));
            await c.write(bytes.slice(cut));
          } else {
            await c.write(bytes);
          }
          expect(await c.read(OK.length * batch)).toBe(OK.repeat(batch));
          answered += batch;
        }
        await sleep(0);
        expect(c.pending).toBe(0); // nothing beyond one response per request
      } finally {
        c.close();
      }
    };
    await Promise.all(Array.from({ length: CONNS }, (_, i) => one(i)));
    expect(answered).toBe(CONNS * PER_CONN);
    expect(server.alive()).toBe(true);
  }, 120_000);

  it('answers several requests sent in one write, in order, skipping request bodies', async () => {
    const c = await Client.open(server.port);
    try {
      const reqs = [
        get('/a'),
        post('/b', SNEAKY),
        `GET /c HTTP/1.0\r\nConnection: keep-alive\r\n\r\n`,
        post('/d', ''),
        `GET /e HTTP/1.1\r\nhost: x\r\ncontent-length:  4 \r\nX-Empty:\r\n\r\nbody`,
        get('/f'),
      ];
      await c.write(reqs.join(''));
      const want = OK + OK + OK_KEEPALIVE + OK + OK + OK;
      expect(await c.read(want.length)).toBe(want);

      // Far more than one read's or one send's worth: 2 000 requests (~90 KB) in one write.
      const N = 2000;
      await c.write(get('/bulk').repeat(N));
      expect(await c.read(OK.length * N)).toBe(OK.repeat(N));

      // Still usable afterwards, and nothing extra was sent.
      await c.write(get('/after'));
      expect(await c.read(OK.length)).toBe(OK);
      await sleep(50);
      expect(c.pending).toBe(0);
    } finally {
      c.close();
    }
  });

  it('answers a request split across writes only once its head is complete', async () => {
    const c = await Client.open(server.port);
    try {
      // Byte by byte, with a pause after each byte so the server sees many partial reads.
      const req = get('/slow', 'X-Long: abcdefghij\r\n');
      for (let i = 0; i < req.length; i++) {
        await c.write(req[i]);
        await sleep(2);
        if (i < req.length - 1) expect(c.pending, `response before byte ${i + 1} of ${req.length}`).toBe(0);
      }
      expect(await c.read(OK.length)).toBe(OK);

      // A body split across writes (and containing a request-like text) is skipped; the request after it counts.
      const p = post('/body', `${SNEAKY}tail`);
      const headEnd = p.indexOf('\r\n\r\n') + 4;
      await c.write(p.slice(0, headEnd + 5));
      expect(await c.read(OK.length)).toBe(OK);
      await sleep(20);
      await c.write(p.slice(headEnd + 5, headEnd + 20));
      await sleep(20);
      await c.write(p.slice(headEnd + 20) + get('/next').slice(0, 7));
      await sleep(20);
      expect(c.pending).toBe(0);
      await c.write(get('/next').slice(7));
      expect(await c.read(OK.length)).toBe(OK);
      await sleep(50);
      expect(c.pending).toBe(0);
    } finally {
      c.close();
    }
  });

  it('honours Connection: close — the response, then EOF', async () => {
    const cases: Array<[string, string]> = [
      [get('/', 'Connection: close\r\n'), OK_CLOSE],
      [get('/', 'connection: Keep-Alive, CLOSE\r\n'), OK_CLOSE],
      // Earlier pipelined requests are answered; nothing after the closing one is.
      [get('/1') + get('/2', 'Connection: close\r\n') + get('/3'), OK + OK_CLOSE],
      // HTTP/1.0 closes unless asked to keep alive.
      ['GET / HTTP/1.0\r\n\r\n', OK_CLOSE],
    ];
    for (const [req, want] of cases) {
      const c = await Client.open(server.port);
      try {
        await c.write(req);
        expect(await c.readToEnd(), JSON.stringify(req)).toBe(want);
      } finally {
        c.close();
      }
    }
  });

  it('answers a malformed request with 400 and closes the connection', async () => {
    const bad = [
      'NOT A REQUEST\r\n\r\n',
      'GET / HTTP/1.1\r\nNoColonHere\r\n\r\n',
      'GET / HTTP/1.1\r\nContent-Length: 12abc\r\n\r\n',
      'GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxx',
      'GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      'GET  / HTTP/1.1\r\n\r\n',
      'GET / HTTP/2.0\r\n\r\n',
      '\r\n\r\n',
      `GET / HTTP/1.1\r\nX-Huge: ${'a'.repeat(20_000)}`, // a head that never ends within the server's buffer
    ];
    for (const req of bad) {
      const c = await Client.open(server.port);
      try {
        await c.write(req).catch(() => {}); // the server may close before it has read everything
        expect(await c.readToEnd(), JSON.stringify(req.slice(0, 60))).toBe(BAD);
      } finally {
        c.close();
      }
    }
    // A good request before the bad one in the same write is still answered.
    const c = await Client.open(server.port);
    try {
      await c.write(get('/ok') + 'BROKEN\r\n\r\n' + get('/never'));
      expect(await c.readToEnd()).toBe(OK + BAD);
    } finally {
      c.close();
    }
    expect(server.alive()).toBe(true);
  });

  it('survives clients that reset mid-response and keeps serving the others', async () => {
    const bystander = await Client.open(server.port);
    try {
      await bystander.write(get('/before'));
      expect(await bystander.read(OK.length)).toBe(OK);

      for (let round = 0; round < 3; round++) {
        // Ask for ~5 000 responses (~400 KB) and reset the connection as soon as the first bytes arrive, likely
        // while the server is still writing.
        const c = await Client.open(server.port);
        const first = new Promise<void>((r) => c.sock.once('data', () => r()));
        c.sock.write(get('/flood').repeat(5000));
        await first;
        c.sock.resetAndDestroy();
        // A client that stops reading: the server's output backs up (socket buffers full, response bytes
        // pending in the server) until the client resets.
        const stuck = await Client.open(server.port);
        stuck.sock.pause();
        // 7 MB of minimal requests ask for 32 MB of responses: more than loopback buffers hold (rmem/wmem maxima).
        stuck.sock.write('GET / HTTP/1.1\r\n\r\n'.repeat(400_000));
        await sleep(300); // (not a timing assertion: lets the server fill the buffers first)
        stuck.sock.resetAndDestroy();
        // A half-sent request, then a reset.
        const d = await Client.open(server.port);
        await d.write('GET /half HTTP/1.1\r\nHost:');
        d.sock.resetAndDestroy();
      }
      await sleep(100);
      expect(server.alive(), server.logs()).toBe(true);

      // The connection that was open all along still works, and so does a new one.
      await bystander.write(get('/after'));
      expect(await bystander.read(OK.length)).toBe(OK);
      const fresh = await Client.open(server.port);
      try {
        await fresh.write(get('/fresh') + get('/fresh2'));
        expect(await fresh.read(OK.length * 2)).toBe(OK + OK);
      } finally {
        fresh.close();
      }
    } finally {
      bystander.close();
    }
  });

  it('closes connections that stay idle past IDLE_TIMEOUT_MS', async () => {
    const idle = kind.start(await freePort(), { IDLE_TIMEOUT_MS: '300' });
    try {
      const used = await Client.open(idle.port, true);
      const silent = await Client.open(idle.port);
      try {
        await used.write(get('/'));
        expect(await used.read(OK.length)).toBe(OK);
        // Both the connection that went quiet after a request and the one that never sent anything are closed.
        expect(await used.readToEnd(10_000)).toBe('');
        expect(await silent.readToEnd(10_000)).toBe('');
      } finally {
        used.close();
        silent.close();
      }
      // The server itself carries on.
      const again = await Client.open(idle.port);
      try {
        await again.write(get('/again'));
        expect(await again.read(OK.length)).toBe(OK);
      } finally {
        again.close();
      }
    } finally {
      await idle.stop();
    }
  });
});
