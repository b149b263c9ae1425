/**
 * Unix socket addresses are file names, confined beneath the preopens like path_open (native/src/unix_addr.h):
 * sock_bind, sock_connect and sock_send_to with a path that leaves the sandbox (`..`, an absolute host path, a
 * symlink, a directory swapped for a symlink while binding) are refused and nothing happens on the host; paths
 * inside work. Abstract names need --net. sock_pair (allowed without --net) was the way in before.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tmpdir } from './helpers';
import { SyscallHarness, openHarness } from './syscalls';

const AF_UNIX = 3, STREAM = 1, DGRAM = 2;
const ACCES = 2, AGAIN = 6, NOTCAPABLE = 76;
const ADDR = 512, OUT = 0, IOV = 128, DATA = 2048;

let root: string, sb: string, outside: string;
const harnesses: SyscallHarness[] = [];
const servers: net.Server[] = [];
function harness(opts: Parameters<typeof openHarness>[0]): SyscallHarness {
  const h = openHarness(opts);
  harnesses.push(h);
  return h;
}

beforeEach(() => {
  root = tmpdir('wasmx-unix-');
  sb = path.join(root, 'sb');
  outside = path.join(root, 'outside');
  fs.mkdirSync(sb);
  fs.mkdirSync(outside);
  fs.mkdirSync(path.join(sb, 'sub'));
  fs.symlinkSync('../outside', path.join(sb, 'out'));
});
afterEach(async () => {
  for (const h of harnesses.splice(0)) h.release();
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
  fs.rmSync(root, { recursive: true, force: true });
});

/** Writes a Unix addr_port (110 bytes: tag 3, then the path bytes) at ADDR. */
function unixAddr(h: SyscallHarness, p: string | Buffer): number {
  const b = h.bytes();
  b.fill(0, ADDR, ADDR + 110);
  b[ADDR] = AF_UNIX;
  b.set(typeof p === 'string' ? Buffer.from(p) : p, ADDR + 2);
  return ADDR;
}
function pair(h: SyscallHarness, type: number): [number, number] {
  expect(h.x.sock_pair(AF_UNIX, type, 0, OUT, OUT + 4)).toBe(0);
  return [h.u32(OUT), h.u32(OUT + 4)];
}
function sendTo(h: SyscallHarness, fd: number, to: string): number {
  h.str(DATA, 'ping');
  h.view().setUint32(IOV, DATA, true);
  h.view().setUint32(IOV + 4, 4, true);
  return h.x.sock_send_to(fd, IOV, 1, 0, unixAddr(h, to), OUT);
}
function listen(p: string): Promise<{ server: net.Server; connections: () => number }> {
  let n = 0;
  const server = net.createServer((s) => { n++; s.destroy(); });
  servers.push(server);
  return new Promise((r) => server.listen(p, () => r({ server, connections: () => n })));
}
const escapes = (): string[] => [`/sb/../outside/x.sock`, `${outside}/x.sock`, `/sb/out/x.sock`, `x.sock`, `../outside/x.sock`, `/sb/sub/../../outside/x.sock`];

describe('sock_bind with a Unix path', () => {
  it('every path that leaves the preopen is NOTCAPABLE and creates nothing, on a sock_pair socket without --net', () => {
    const h = harness({ dirs: [[sb, '/sb']] });
    for (const p of escapes()) {
      const [a] = pair(h, STREAM);
      expect([p, h.x.sock_bind(a, unixAddr(h, p))]).toEqual([p, NOTCAPABLE]);
    }
    expect(fs.readdirSync(outside)).toEqual([]);
    expect(fs.existsSync(path.join(process.cwd(), 'x.sock'))).toBe(false);
  });

  it('a path inside binds there, relative to a root preopen too, and sock_addr_local reports the guest\'s name', () => {
    const h = harness({ dirs: [[sb, '/sb']] });
    const [a] = pair(h, STREAM);
    expect(h.x.sock_bind(a, unixAddr(h, '/sb/sub/../in.sock'))).toBe(0);
    expect(fs.statSync(path.join(sb, 'in.sock')).isSocket()).toBe(true);
    expect(h.x.sock_addr_local(a, ADDR)).toBe(0);
    expect(Buffer.from(h.bytes().subarray(ADDR + 2, ADDR + 2 + 18)).toString()).toBe('/sb/sub/../in.sock');
    const r = harness({ dirs: [[sb, '/']] });
    const [b] = pair(r, DGRAM);
    expect(r.x.sock_bind(b, unixAddr(r, 'rel.sock'))).toBe(0); // relative to the cwd "/"
    expect(fs.statSync(path.join(sb, 'rel.sock')).isSocket()).toBe(true);
  });

  it('a directory swapped for a symlink to outside while binding never puts a socket outside (race)', async () => {
    const h = harness({ dirs: [[sb, '/sb']] });
    fs.mkdirSync(path.join(sb, 'd'));
    // Another process flips sb/d between a real directory and a symlink to ../outside as fast as it can.
    const flipper = spawn(process.execPath, ['-e', `
      const fs = require('fs'); const d = ${JSON.stringify(path.join(sb, 'd'))}, t = d + '.tmp';
      fs.mkdirSync(t); fs.symlinkSync('../outside', d + '.lnk');
      process.stdout.write('go\\n');
      for (;;) { try { fs.renameSync(d + '.lnk', t + '2'); fs.renameSync(d, d + '.lnk'); fs.renameSync(t + '2', d); } catch {}
                 try { fs.renameSync(d, t + '2'); fs.renameSync(d + '.lnk', d); fs.renameSync(t + '2', d + '.lnk'); } catch {} }`]);
    await new Promise((r) => flipper.stdout!.once('data', r));
    let bound = 0, refused = 0;
    try {
      for (let i = 0; i < 3000; i++) {
        const [a, b] = pair(h, DGRAM);
        const r = h.x.sock_bind(a, unixAddr(h, `/sb/d/s${i}.sock`));
        if (r === 0) bound++; else refused++;
        h.p1.fd_close(a);
        h.p1.fd_close(b);
      }
    } finally {
      flipper.kill('SIGKILL');
    }
    expect(fs.readdirSync(outside)).toEqual([]);
    expect(bound).toBeGreaterThan(0); // the race was real: binds landed in the directory some of the time
    expect(refused).toBeGreaterThan(0);
  });

  it('abstract names need --net', () => {
    const name = Buffer.from(`\0wasmx-test-${process.pid}-${Date.now()}`);
    const h = harness({ dirs: [[sb, '/sb']] });
    const [a] = pair(h, STREAM);
    expect(h.x.sock_bind(a, unixAddr(h, name))).toBe(ACCES);
    const n = harness({ dirs: [[sb, '/sb']], net: true });
    const [b] = pair(n, STREAM);
    expect(n.x.sock_bind(b, unixAddr(n, name))).toBe(0);
  });
});

describe('sock_connect and sock_send_to with a Unix path', () => {
  it('connect reaches a socket inside (also through a symlink that stays inside), never one outside', async () => {
    const inside = await listen(path.join(sb, 'srv.sock'));
    const out = await listen(path.join(outside, 'x.sock'));
    fs.symlinkSync('srv.sock', path.join(sb, 'alias.sock'));
    fs.symlinkSync('../outside/x.sock', path.join(sb, 'evil.sock'));
    const h = harness({ dirs: [[sb, '/sb']] }); // no --net: AF_UNIX sockets are file capabilities
    const connect = (p: string): number => {
      expect(h.x.sock_open(AF_UNIX, STREAM, 0, OUT)).toBe(0);
      return h.x.sock_connect(h.u32(OUT), unixAddr(h, p));
    };
    for (const p of [...escapes(), '/sb/evil.sock']) expect([p, connect(p)]).toEqual([p, NOTCAPABLE]);
    expect(connect('/sb/srv.sock')).toBe(0);
    expect(connect('/sb/alias.sock')).toBe(0);
    const deadline = Date.now() + 5000;
    while (inside.connections() < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(inside.connections()).toBe(2);
    expect(out.connections()).toBe(0);
  });

  it('send_to on a sock_pair datagram socket (no --net) delivers inside only', () => {
    const receiver = harness({ dirs: [[root, '/r']], net: true });
    const bindDgram = (p: string): number => {
      expect(receiver.x.sock_open(AF_UNIX, DGRAM, 0, OUT)).toBe(0);
      const fd = receiver.u32(OUT);
      expect(receiver.x.sock_bind(fd, unixAddr(receiver, p))).toBe(0);
      return fd;
    };
    const outFd = bindDgram('/r/outside/x.sock');
    const inFd = bindDgram('/r/sb/ok.sock');
    const h = harness({ dirs: [[sb, '/sb']] });
    const [a] = pair(h, DGRAM);
    for (const p of escapes()) expect([p, sendTo(h, a, p)]).toEqual([p, NOTCAPABLE]);
    expect(sendTo(h, a, '/sb/ok.sock')).toBe(0);
    const recv = (fd: number): number => {
      receiver.view().setUint32(IOV, DATA, true);
      receiver.view().setUint32(IOV + 4, 16, true);
      return receiver.x.sock_recv_from(fd, IOV, 1, 8 /* DONT_WAIT */, OUT, OUT + 4, ADDR);
    };
    expect(recv(inFd)).toBe(0);
    expect(receiver.u32(OUT)).toBe(4);
    expect(recv(outFd)).toBe(AGAIN);
  });
});
