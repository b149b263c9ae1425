/**
 * WASIX sockets end to end: real kernel sockets on loopback, driven by the guest test/fixtures/c/sock_cases.c
 * (one mode per scenario, `key=value` output) and by examples/hello-server.wat, with Node's net module on the other
 * side. Errno numbers are WASI's (ABI §1.2); addresses are the 110-byte addr_port_t of ABI §6.1.1.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT, cfix, connectWhenUp, exchange, freePort, keyValues, startWasmx, wasmx } from './helpers';

const ERR = { ACCES: 2, AGAIN: 6, BADF: 8, CONNREFUSED: 14, FAULT: 21, INVAL: 28, NOTCONN: 53, NOTSOCK: 57, NOTSUP: 58, AFNOSUPPORT: 5, PIPE: 64, TIMEDOUT: 73 };
const HINT = /the guest tried to use the network, which is off; pass --net/;
const HELLO = 'HTTP/1.1 200 OK\r\n\r\nHello, World!';

let fixture = '';
beforeAll(() => {
  // Build this file's guest if `npm run fixtures` has not (only when missing or stale).
  const src = path.join(ROOT, 'test', 'fixtures', 'c', 'sock_cases.c');
  const out = path.join(ROOT, 'test', 'fixtures', 'build', 'sock_cases.wasm');
  const header = path.join(ROOT, 'include', 'wasix', 'sockets.h');
  const stale = !fs.existsSync(out) || [src, header].some((f) => fs.statSync(f).mtimeMs > fs.statSync(out).mtimeMs);
  if (stale) {
    fs.mkdirSync(path.dirname(out), { recursive: true });
    execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'build-fixtures.js'), src, out], { stdio: 'inherit' });
  }
  fixture = cfix('sock_cases');
});

/** Runs one guest mode to completion; returns its key=value output and stderr. */
async function runMode(mode: string, extra: string[] = [], withNet = true) {
  const r = await wasmx(['run', ...(withNet ? ['--net'] : []), fixture, mode, ...extra]);
  const out = r.stdout.toString();
  expect(r.code, `guest ${mode} failed:\n${out}\n${r.stderr}`).toBe(0);
  return { kv: keyValues(out), stderr: r.stderr };
}

/** Starts a guest mode in the background and waits until it printed `key=`. */
async function startMode(mode: string, key: string, extra: string[] = []) {
  const g = startWasmx(['run', '--net', fixture, mode, ...extra]);
  const deadline = Date.now() + 15_000;
  while (keyValues(g.stdout)[key] === undefined) {
    if (g.child.exitCode !== null || Date.now() > deadline) {
      await g.stop();
      throw new Error(`guest ${mode} never printed ${key}:\n${g.stdout}\n${g.stderr}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return g;
}

async function waitExit(g: ReturnType<typeof startWasmx>): Promise<number | null> {
  if (g.child.exitCode !== null) return g.child.exitCode;
  return new Promise((r) => g.child.once('close', (code) => r(code)));
}

const le16 = (port: number) => Buffer.from([port & 0xff, port >> 8]);

/** The addr_port_t image libc produces for an IPv4 sockaddr (ABI §6.1.1): tag, 0, LE port, octets, zeros. */
function img4(octets: number[], port: number): Buffer {
  const b = Buffer.alloc(110);
  b[0] = 1;
  le16(port).copy(b, 2);
  Buffer.from(octets).copy(b, 4);
  return b;
}
/** The same for IPv6 (flowinfo and scope id zero). */
function img6(addr: Buffer, port: number): Buffer {
  const b = Buffer.alloc(110);
  b[0] = 2;
  le16(port).copy(b, 2);
  addr.copy(b, 4);
  return b;
}
const LOOP6 = Buffer.from('00000000000000000000000000000001', 'hex');

describe('address images (ABI §6.1.1)', () => {
  it('the expected-image builders reproduce the reference byte images', () => {
    expect(img4([127, 0, 0, 1], 8080).subarray(0, 8)).toEqual(Buffer.from('0100901f7f000001', 'hex'));
    expect(img4([10, 0, 0, 5], 51234).subarray(0, 8)).toEqual(Buffer.from('010022c80a000005', 'hex')); // §9.1
    expect(img6(Buffer.from('20010db8000000000000000000000001', 'hex'), 443).subarray(0, 20)).toEqual(
      Buffer.from('0200bb0120010db8000000000000000000000001', 'hex'),
    );
  });
});

describe('error paths', () => {
  it('every socket syscall: bad fd → BADF, non-socket → NOTSOCK, bad pointer → FAULT, bad enum → INVAL', async () => {
    const { kv, stderr } = await runMode('errors');
    expect(stderr).not.toMatch(HINT);
    const withFd = [
      'sock_bind', 'sock_listen', 'sock_accept_v2', 'sock_accept', 'sock_connect', 'sock_status', 'sock_addr_local',
      'sock_addr_peer', 'sock_set_opt_flag', 'sock_get_opt_flag', 'sock_set_opt_time', 'sock_get_opt_time',
      'sock_set_opt_size', 'sock_get_opt_size', 'sock_recv', 'sock_recv_from', 'sock_send', 'sock_send_to', 'sock_shutdown',
    ];
    for (const name of withFd) {
      expect(kv[`${name}.badf`], `${name}.badf`).toBe(String(ERR.BADF));
      expect(kv[`${name}.notsock`], `${name}.notsock`).toBe(String(ERR.NOTSOCK));
    }
    expect(kv['sock_accept_alias.badf']).toBe(String(ERR.BADF));
    const faults = ['sock_open', 'sock_bind', 'sock_accept_v2', 'sock_accept', 'sock_connect', 'sock_status', 'sock_addr_local',
      'sock_addr_peer', 'sock_get_opt_flag', 'sock_set_opt_time', 'sock_get_opt_time', 'sock_get_opt_size', 'sock_recv',
      'sock_recv_from', 'sock_send', 'sock_send_to'];
    for (const name of faults) expect(kv[`${name}.fault`], `${name}.fault`).toBe(String(ERR.FAULT));
    expect(kv['sock_recv.fault_out']).toBe(String(ERR.FAULT));
    const invals = ['sock_open.inval_af', 'sock_open.inval_type', 'sock_open.inval_proto', 'sock_bind.inval', 'sock_bind.family',
      'sock_accept_v2.inval', 'sock_connect.inval', 'sock_set_opt_flag.inval_flag', 'sock_set_opt_flag.inval_opt',
      'sock_get_opt_flag.inval', 'sock_set_opt_time.inval_opt', 'sock_set_opt_time.inval_tag', 'sock_get_opt_time.inval',
      'sock_set_opt_size.inval_opt', 'sock_set_opt_size.inval_size', 'sock_get_opt_size.inval', 'sock_recv.inval',
      'sock_recv_from.inval', 'sock_send.inval', 'sock_send_to.inval', 'sock_shutdown.inval', 'sock_shutdown.inval0'];
    for (const k of invals) expect(kv[k], k).toBe(String(ERR.INVAL));
    // Known but unsupported socket kinds.
    expect(kv['sock_open.unix']).toBe('0'); // AF_UNIX: confined like files (test/unix-sockets.test.ts)
    expect(kv['sock_open.raw']).toBe(String(ERR.NOTSUP));
    expect(kv['sock_open.stream_udp']).toBe(String(ERR.NOTSUP));
    expect(kv['sock_open.filetype']).toBe('6'); // SOCKET_STREAM
    // State errors from the kernel, mapped.
    expect(kv['sock_addr_peer.notconn']).toBe(String(ERR.NOTCONN));
    expect(kv['sock_recv.notconn']).toBe(String(ERR.NOTCONN));
    expect(kv['sock_shutdown.notconn']).toBe(String(ERR.NOTCONN));
    expect([String(ERR.PIPE), String(ERR.NOTCONN)]).toContain(kv['sock_send.unconnected']);
  });

  it('without --net sock_open fails with ACCES and stderr gets exactly one hint line', async () => {
    const { kv, stderr } = await runMode('noperm', [], false);
    expect(kv.first).toBe(String(ERR.ACCES));
    expect(kv.second).toBe(String(ERR.ACCES));
    const lines = stderr.split('\n').filter((l) => l.trim() !== '');
    expect(lines.filter((l) => HINT.test(l))).toHaveLength(1);
    expect(lines).toHaveLength(1);
  });

  it('connecting to a closed port is CONNREFUSED, also for a NONBLOCK socket (connect completes in-call)', async () => {
    const port = await freePort();
    const { kv } = await runMode('refused', [String(port)]);
    expect(kv.blocking).toBe(String(ERR.CONNREFUSED));
    expect(kv.nonblocking).toBe(String(ERR.CONNREFUSED));
  });
});

describe('hello server (examples/hello-server.wat)', () => {
  it('answers 200 sequential requests with exactly the response, then EOF', async () => {
    const port = await freePort();
    const server = startWasmx(['run', '--net', '--env', `PORT=${port}`, path.join(ROOT, 'examples', 'hello-server.wat')]);
    try {
      for (let i = 0; i < 200; i++) {
        const got = await exchange(port, `GET /${i} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
        expect(got.toString('latin1')).toBe(HELLO);
      }
      // A client that sends nothing gets the same.
      expect((await exchange(port)).toString('latin1')).toBe(HELLO);
      expect(server.child.exitCode).toBeNull();
      expect(server.stderr).toBe(`wasmx: listening on 127.0.0.1:${port}\n`);
    } finally {
      await server.stop();
    }
  }, 60_000);

  it('npm start runs it with --net', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    expect(pkg.scripts.start).toBe('node bin/wasmx.js run --net examples/hello-server.wat');
  });
});

describe('TCP, guest as client', () => {
  it('connects to a Node server, sends, receives, sees EOF as 0 bytes; peer and recv_from addresses are the server', async () => {
    let clientPort = 0;
    let received = '';
    const server = net.createServer((s) => {
      clientPort = s.remotePort!;
      s.on('data', (d) => {
        received += d.toString();
        if (received === 'hello from guest') s.end(`reply:${received}`);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const { kv } = await runMode('client', [String(port)]);
      expect(received).toBe('hello from guest');
      expect(kv.sent).toBe('16');
      expect(kv.received).toBe('reply:hello from guest');
      expect(kv.eof).toBe('1');
      expect(kv.status_before).toBe('0'); // OPENING
      expect(kv.status_after).toBe('1'); // OPENED
      expect(kv.peer).toBe(img4([127, 0, 0, 1], port).toString('hex'));
      expect(kv.from).toBe(img4([127, 0, 0, 1], port).toString('hex'));
      expect(Number(kv.local_port)).toBe(clientPort);
    } finally {
      server.close();
    }
  });
});

describe('TCP, guest as server', () => {
  it('IPv6: binds [::1]:0, accepts, and the peer address round-trips byte for byte', async () => {
    const g = await startMode('server6', 'port');
    try {
      const port = Number(keyValues(g.stdout).port);
      expect(port).toBeGreaterThan(0);
      expect(keyValues(g.stdout).local).toBe(img6(LOOP6, port).toString('hex'));
      const s = await connectWhenUp(port, '::1');
      const localPort = s.localPort!;
      const data = await new Promise<string>((resolve, reject) => {
        let d = '';
        s.on('data', (c) => (d += c.toString()));
        s.on('end', () => resolve(d));
        s.on('error', reject);
      });
      s.destroy();
      expect(data).toBe('hi over v6');
      expect(await waitExit(g)).toBe(0);
      const kv = keyValues(g.stdout);
      expect(kv.done).toBe('1');
      expect(kv.peer).toBe(img6(LOOP6, localPort).toString('hex'));
      expect(kv.addr_peer).toBe(kv.peer);
    } finally {
      await g.stop();
    }
  });

  it('IPv4: a hand-made bind image comes back identical from addr_local; both accept forms serve; peer bytes match', async () => {
    const port = await freePort();
    const g = await startMode('server4', 'port', [String(port)]);
    try {
      // The guest bound with the raw §6.1.1 image; the host's getsockname → WriteAddrPort gives the same 110 bytes.
      expect(keyValues(g.stdout).local).toBe(img4([127, 0, 0, 1], port).toString('hex'));
      const s = await connectWhenUp(port);
      const localPort = s.localPort!;
      const first = await new Promise<string>((resolve, reject) => {
        let d = '';
        s.on('data', (c) => (d += c.toString()));
        s.on('end', () => resolve(d));
        s.on('error', reject);
      });
      s.destroy();
      expect(first).toBe('first');
      expect((await exchange(port)).toString()).toBe('second'); // preview1 sock_accept (3 params)
      expect(await waitExit(g)).toBe(0);
      const kv = keyValues(g.stdout);
      // wasix_32v1.sock_accept (4-param alias) wrote all 110 bytes (the guest pre-filled them with 0xee).
      expect(kv.peer).toBe(img4([127, 0, 0, 1], localPort).toString('hex'));
      expect(kv.accepted_filetype).toBe('6');
      expect(kv.done).toBe('1');
    } finally {
      await g.stop();
    }
  });

  it("libc's byte-order probe: bind 0.0.0.0:10275, addr_local echoes 10275 (native LE), close", async () => {
    const { kv } = await runMode('probe');
    expect(kv.bind).toBe('0');
    expect(kv.addr_local).toBe('0');
    expect(kv.port).toBe('10275');
    expect(kv.close).toBe('0');
  });
});

describe('blocking and non-blocking', () => {
  it('AGAIN when nothing is ready, timeouts, PEEK, EOF, NONBLOCK inheritance on accept', async () => {
    const { kv } = await runMode('nonblock');
    expect(kv.accept_empty).toBe(String(ERR.AGAIN)); // non-blocking listener, no pending connection
    expect(kv.accept_timeout).toBe(String(ERR.TIMEDOUT)); // ACCEPT_TIMEOUT honoured by a blocking accept
    expect(kv.accepted_blocking_flags).toBe('0');
    expect(kv.recv_dont_wait).toBe(String(ERR.AGAIN)); // RECV_DONT_WAIT on an empty blocking socket
    expect(kv.recv_dont_wait_n).toBe('77'); // nothing written on failure
    expect(kv.recv_timeout).toBe(String(ERR.AGAIN)); // SO_RCVTIMEO expiry, as on Linux
    expect(kv.recv_nonblock).toBe(String(ERR.AGAIN));
    expect(kv.read_nonblock).toBe(String(ERR.AGAIN)); // fd_read on a socket shares the path
    expect(kv.sent_dont_wait).toBe('4');
    expect(kv.peek).toBe('ping');
    expect(kv.peek_roflags).toBe('0');
    expect(kv.recv).toBe('ping'); // PEEK did not consume
    expect(kv.fd_write_then_recv).toBe('pong');
    expect(kv.eof_n).toBe('0');
    expect(kv.accepted_inherit_flags).toBe('4'); // NONBLOCK inherited from the listener (wasmer's rule)
  });
});

describe('options', () => {
  it('flag, time and size options round-trip', async () => {
    const { kv } = await runMode('opts');
    for (const name of ['reuse_addr', 'reuse_port', 'no_delay', 'keep_alive', 'broadcast', 'oob_inline']) {
      expect(kv[`${name}.initial`], name).toBe('0');
      expect(kv[`${name}.on`], name).toBe('1');
      expect(kv[`${name}.off`], name).toBe('0');
    }
    expect(kv['only_v6.on']).toBe('1');
    expect(kv['only_v6.on_v4']).toBe(String(ERR.INVAL));
    expect(kv.noop).toBe('0');
    const times: Record<string, string> = {
      recv_timeout: '1500000000', send_timeout: '2000000000', linger: '3000000000', connect_timeout: '2000000123', accept_timeout: '7',
    };
    for (const [name, ns] of Object.entries(times)) {
      expect(kv[name], `${name} initial`).toBe('00'.repeat(16)); // NONE, all 16 bytes written
      expect(kv[`${name}.tag`], name).toBe('1');
      expect(kv[`${name}.ns`], name).toBe(ns);
      expect(kv[`${name}.none`], name).toBe('0');
    }
    expect(kv.ttl).toBe('42');
    expect(kv.ttl6).toBe('17');
    expect(kv.recv_buf_ge).toBe('1');
    expect(kv.send_buf_ge).toBe('1');
    expect(kv.proto).toBe('6');
    expect(kv.type).toBe('1');
    expect(kv['status.fresh']).toBe('0');
    expect(kv['status.bound']).toBe('1');
    expect(kv['listening.before']).toBe('0');
    expect(kv['listening.after']).toBe('1');
  });
});

describe('UDP', () => {
  it('send_to coalesces iovecs into one datagram; recv_from reports truncation and the sender', async () => {
    const { kv } = await runMode('udp');
    expect(kv.filetype).toBe('5'); // SOCKET_DGRAM
    expect(kv.sent).toBe('8');
    expect(kv.nread).toBe('3');
    expect(kv.roflags).toBe('1'); // DATA_TRUNCATED
    expect(kv.data).toBe('dat');
    expect(kv.from_matches).toBe('1');
    expect(kv.again).toBe(String(ERR.AGAIN));
  });
});
