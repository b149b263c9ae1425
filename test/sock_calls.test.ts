// sock_send_file (sendfile(2)) and resolve (the host resolver), exercised by a C guest (test/fixtures/c/sock_calls.c)
// against real kernel objects: socket pairs, files, a loopback TCP connection, getaddrinfo.
import dns from 'node:dns';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cfix, freePort, startWasmx, tmpdir, wasmx } from './helpers';

const dir = tmpdir('wasmx-sockcalls-');
fs.writeFileSync(path.join(dir, 'data.bin'), Buffer.from(Array.from({ length: 100 }, (_, i) => i)));
fs.writeFileSync(path.join(dir, 'big.bin'), Buffer.alloc(8 << 20, 7));
fs.writeFileSync(path.join(dir, 'body.bin'), Buffer.alloc(512 * 1024, 'B'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function runCase(name: string, flags: string[] = [], arg?: string) {
  const r = await wasmx(['run', '--dir', `${dir}::/d`, ...flags, cfix('sock_calls'), name, ...(arg ? [arg] : [])], { timeoutMs: 25_000 });
  return { code: r.code, out: r.stdout.toString().trim(), stderr: r.stderr.trim() };
}
const ok = async (name: string, flags: string[] = []) => expect(await runCase(name, flags)).toEqual({ code: 0, out: `ok ${name}`, stderr: '' });

describe('sock_send_file', () => {
  it('an explicit offset reads there and keeps the file position; the fd_tell position advances by what was sent', () => ok('sendfile_offsets'));
  it('short counts at the end of the file; 0 bytes at or past it; the whole file in one blocking call', () => ok('sendfile_short'));
  it('non-blocking: what fits now, then AGAIN with nothing sent, then room again after the peer reads', () => ok('sendfile_nonblock'));
  it('NOTSOCK to a pipe or a file, NOTCAPABLE from a directory, BADF, FAULT, INVAL', () => ok('sendfile_errors'));

  for (const mode of ['off', 'threads']) {
    it(`keeps the order after sends queued on the socket (--offload ${mode}): all of the header, then the body`, async () => {
      const port = await freePort();
      const srv = startWasmx(['run', '--net', '--offload', mode, '--dir', `${dir}::/d`, cfix('sock_calls'), 'sendfile_after_send', String(port)]);
      try {
        for (const t0 = Date.now(); !srv.stdout.includes('listening'); await new Promise((r) => setTimeout(r, 20))) {
          if (Date.now() - t0 > 15_000) throw new Error(`server did not start: ${srv.stderr}`);
        }
        const data = await new Promise<Buffer>((resolve, reject) => {
          const chunks: Buffer[] = [];
          const s = net.connect({ port, host: '127.0.0.1' });
          s.on('data', (d) => chunks.push(d));
          s.on('end', () => resolve(Buffer.concat(chunks)));
          s.on('error', reject);
        });
        expect(data.length).toBe(1024 * 1024);
        expect(data.subarray(0, 512 * 1024).every((c) => c === 0x48)).toBe(true); // 'H'
        expect(data.subarray(512 * 1024).every((c) => c === 0x42)).toBe(true); // 'B'
      } finally {
        await srv.stop();
      }
    });
  }
});

describe('resolve', () => {
  it('numeric IPv4 and IPv6 addresses without a lookup and without --net; naddrs bounds what is written', () => ok('resolve_numeric'));
  it('localhost through the host resolver with --net: loopback addresses, at most naddrs', () => ok('resolve_localhost', ['--net']));
  it('a name without --net is refused with NOTSUP (and the --net hint)', async () => {
    const r = await runCase('resolve_name', [], 'localhost');
    expect(r).toEqual({ code: 0, out: 'errno 58\nok resolve_name', stderr: 'wasmx: the guest tried to use the network, which is off; pass --net to allow it' });
  });
  it('an unknown name is IO (AGAIN where the host resolver itself cannot reach a name server)', async () => {
    const name = 'no-such-host.invalid';
    const host = await new Promise<string | undefined>((resolve) => dns.lookup(name, (e) => resolve((e as NodeJS.ErrnoException | null)?.code)));
    const want = host === 'EAI_AGAIN' ? 6 : 29;
    expect(await runCase('resolve_name', ['--net'], name)).toEqual({ code: 0, out: `errno ${want}\nok resolve_name`, stderr: '' });
  });
});
