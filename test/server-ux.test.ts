// What the CLI says about servers and how it takes wasmer/wasmtime habits: the "listening on" line, bind hints,
// serve's defaults and first-failure stop, --tcplisten's report, the --help examples run as written, npm start,
// `wasmx FILE`, --mapdir GUEST:HOST, WAT in a .wasm file, and a type-mismatched import reported once.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, exchange, freePort, startWasmx, tmpdir, wasmx, wat } from './helpers';

const HELLO_SERVER = path.join(ROOT, 'examples', 'hello-server.wat');
const tmp = tmpdir('wasmx-ux-');
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

async function waitFor(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Holds 127.0.0.1:port (or finds it already held by someone else) until release(). */
async function holdPort(port: number): Promise<{ release: () => Promise<void> }> {
  const s = net.createServer();
  const held = await new Promise<boolean>((resolve) => {
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => resolve(true));
  });
  return { release: () => new Promise<void>((r) => (held ? s.close(() => r()) : r())) };
}

describe('listening and bind failures', () => {
  it('run prints "wasmx: listening on ADDR" once the guest listens; --quiet silences it', async () => {
    const port = await freePort();
    const s = startWasmx(['run', '--net', '--env', `PORT=${port}`, HELLO_SERVER]);
    await waitFor(() => s.stderr.includes('\n') || s.child.exitCode !== null, 'a line on stderr');
    expect(s.stderr).toBe(`wasmx: listening on 127.0.0.1:${port}\n`);
    expect((await exchange(port, 'GET / HTTP/1.0\r\n\r\n')).toString()).toMatch(/Hello, World!$/);
    await s.stop();
    const q = startWasmx(['run', '--net', '--quiet', '--env', `PORT=${port}`, HELLO_SERVER]);
    expect((await exchange(port, 'GET / HTTP/1.0\r\n\r\n')).toString()).toMatch(/Hello, World!$/);
    await q.stop();
    expect(q.stderr).toBe('');
  });

  it('a bind failing with EADDRINUSE gets one hint line naming the address (run and serve)', async () => {
    const port = await freePort();
    const hold = await holdPort(port);
    try {
      const r = await wasmx(['run', '--net', '--env', `PORT=${port}`, HELLO_SERVER]);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(`wasmx: cannot bind 127.0.0.1:${port}: address already in use (another server holds the port; stop it or use another port)\n`);
      const s = await wasmx(['serve', '--threads', '2', '--env', `PORT=${port}`, HELLO_SERVER]);
      expect(s.code).toBe(1);
      expect(s.stderr.match(/cannot bind/g)).toHaveLength(1);
      expect(s.stderr).toMatch(/instance \d exited with code 1 before listening; stopping/);
    } finally {
      await hold.release();
    }
  });

  it('npm start prints the address, or one line saying 8080 is taken', async () => {
    const hold = await holdPort(8080); // taken either by us or by someone else: the outcome is the same
    try {
      const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const child = spawn('npm', ['start', '--silent'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
        let stderr = '';
        child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        child.on('close', (code) => {
          clearTimeout(timer);
          resolve({ code, stderr });
        });
      });
      expect(r.stderr).toContain('wasmx: cannot bind 127.0.0.1:8080: address already in use');
      expect(r.stderr.split('\n').filter((l) => l.startsWith('wasmx:'))).toHaveLength(1);
      expect(r.code).not.toBe(0);
    } finally {
      await hold.release();
    }
  });
});

describe('serve', () => {
  it('implies --net: a server guest listens and answers without it', async () => {
    const port = await freePort();
    const s = startWasmx(['serve', '--threads', '2', '--env', `PORT=${port}`, HELLO_SERVER]);
    try {
      expect((await exchange(port, 'GET / HTTP/1.0\r\n\r\n')).toString()).toMatch(/Hello, World!$/);
      await waitFor(() => s.stderr.includes('wasmx: listening on'), 'the listening line');
      expect(s.stderr.match(/wasmx: listening on 127\.0\.0\.1:\d+/g)).toEqual([`wasmx: listening on 127.0.0.1:${port}`]);
    } finally {
      await s.stop();
    }
  });

  it('an instance that ends before any has listened stops the server at once, with one line saying why', async () => {
    const t0 = Date.now();
    const r = await wasmx(['serve', '--threads', '2', wat('cli_hello')]);
    expect(r.code).toBe(1);
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(r.stderr.match(/stopping/g)).toHaveLength(1);
    expect(r.stderr).toMatch(/wasmx serve: instance \d exited with code 0 before listening; stopping \(a restart would fail the same way\)/);
    expect(r.stderr).not.toMatch(/restarting/);
  });

  it('--tcplisten says what wasmx opened, and says so when the guest listens on a socket of its own instead', async () => {
    const [mine, theirs] = [await freePort(), await freePort()];
    const s = startWasmx(['serve', '--threads', '1', '--tcplisten', `127.0.0.1:${mine}`, '--env', `PORT=${theirs}`, HELLO_SERVER]);
    try {
      await waitFor(() => /listens on .* itself/.test(s.stderr), 'the own-listener line');
      expect(s.stderr).toContain(`wasmx: listening on 127.0.0.1:${mine} (--tcplisten: opened by wasmx, fd 3 in every instance)`);
      expect(s.stderr).toContain(`instance 0 listens on 127.0.0.1:${theirs} itself; the --tcplisten socket 127.0.0.1:${mine} is not the one it serves`);
    } finally {
      await s.stop();
    }
  });
});

describe('--help examples work as written', () => {
  it('every example in wasmx --help runs (servers: listen, answer, stop on SIGTERM)', async () => {
    const help = (await wasmx(['--help'])).stdout.toString();
    const examples = help
      .slice(help.indexOf('Examples:'))
      .split('\n')
      .filter((l) => l.startsWith('  wasmx '))
      .map((l) => l.replace(/#.*$/, '').trim().split(/\s+/).slice(1));
    expect(examples.length).toBeGreaterThanOrEqual(6);
    for (const words of examples) {
      // The one change: a free port for 8080 (other tests and engineers share this machine), passed to the
      // example servers through PORT as README says.
      const port = await freePort();
      const args = words.map((w) => w.replace('8080', String(port)));
      if (['run', 'serve'].includes(args[0])) args.splice(1, 0, '--env', `PORT=${port}`);
      const server = args[0] === 'serve' || args.includes('--net');
      if (!server) {
        const r = await wasmx(args, { cwd: ROOT });
        expect({ args, code: r.code, stderr: r.stderr }).toEqual({ args, code: 0, stderr: '' });
        expect(r.stdout.toString()).toBe('Hello from wasmx\n');
        continue;
      }
      const s = startWasmx(args, { cwd: ROOT });
      try {
        const body = (await exchange(port, 'GET / HTTP/1.0\r\n\r\n')).toString();
        expect({ args, body }).toEqual({ args, body: expect.stringMatching(/^HTTP\/1\.1 200 OK\r\n\r\nHello, /) });
        await waitFor(() => s.stderr.includes(`wasmx: listening on 127.0.0.1:${port}`), `${args.join(' ')}: the listening line`);
        s.child.kill('SIGTERM');
        await waitFor(() => s.child.exitCode !== null || s.child.signalCode !== null, `${args.join(' ')} to stop`);
        expect({ args, code: s.child.exitCode }).toEqual({ args, code: args[0] === 'serve' ? 0 : 143 });
      } finally {
        await s.stop();
      }
    }
    expect(help).not.toContain('accept-loop.wasm');
  }, 60_000);
});

describe("wasmer's and wasmtime's spellings", () => {
  it('wasmx FILE runs the module (no `run`), options before it too', async () => {
    const r = await wasmx([path.join(ROOT, 'examples', 'hello.wat')]);
    expect([r.code, r.stdout.toString()]).toEqual([0, 'Hello from wasmx\n']);
    const o = await wasmx(['--env', 'A=1', path.join(ROOT, 'examples', 'hello.wat')]);
    expect([o.code, o.stdout.toString()]).toEqual([0, 'Hello from wasmx\n']);
  });

  it('--mapdir GUEST:HOST (single colon) preopens HOST', async () => {
    const ok = await wasmx(['run', '--mapdir', `/m:${tmp}`, path.join(ROOT, 'examples', 'hello.wat')]);
    expect([ok.code, ok.stderr]).toEqual([0, '']);
    const bad = await wasmx(['run', '--mapdir', '/m:/no/such/dir', path.join(ROOT, 'examples', 'hello.wat')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/\/no\/such\/dir: No such file or directory/);
  });

  it('a .wasm file holding WebAssembly text runs; one holding neither is one clear error', async () => {
    const file = path.join(tmp, 'text.wasm');
    fs.copyFileSync(path.join(ROOT, 'examples', 'hello.wat'), file);
    const r = await wasmx(['run', file]);
    expect([r.code, r.stdout.toString()]).toEqual([0, 'Hello from wasmx\n']);
    const junk = path.join(tmp, 'junk.wasm');
    fs.writeFileSync(junk, 'hello world\n');
    const j = await wasmx(['run', junk]);
    expect([j.code, j.stderr]).toEqual([2, `wasmx: error: ${junk}: neither a WebAssembly binary (bad magic number) nor WebAssembly text\n`]);
  });
});

describe('imports', () => {
  it('a type-mismatched import is reported once, at link time, and not again as "not implemented"', async () => {
    const r = await wasmx(['run', wat('cli_type_mismatch')]);
    expect(r.code).toBe(0);
    expect(r.stdout.toString()).toBe('ok\n');
    expect(r.stderr).toBe(
      'wasmx: warning: import wasi_snapshot_preview1.fd_write has type (iii:i), the host\'s is (iiii:i); it is linked to a stub that returns ENOSYS\n',
    );
  });
});


