/** Shared helpers for the tests: run the real CLI, find fixtures, get free loopback ports, talk TCP. */
import { spawn, SpawnOptions } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const ROOT = path.join(__dirname, '..');
export const CLI = path.join(ROOT, 'bin', 'wasmx.js');

/** A WAT fixture's path (test/fixtures/wat/NAME.wat). */
export const wat = (name: string): string => path.join(ROOT, 'test', 'fixtures', 'wat', `${name}.wat`);
/** A built C fixture's path (test/fixtures/build/NAME.wasm, made by `npm run fixtures`). */
export const cfix = (name: string): string => {
  const p = path.join(ROOT, 'test', 'fixtures', 'build', `${name}.wasm`);
  if (!fs.existsSync(p)) throw new Error(`fixture ${p} is missing: run npm run fixtures`);
  return p;
};

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
}

/** Runs `wasmx ARGS...` to completion (killed after timeoutMs). */
export function wasmx(args: string[], opts: SpawnOptions & { input?: string | Buffer; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['pipe', 'pipe', 'pipe'], ...opts });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (d: Buffer) => out.push(d));
    child.stderr!.on('data', (d: Buffer) => err.push(d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 20_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8') });
    });
    if (opts.input !== undefined) child.stdin!.end(opts.input);
    else child.stdin!.end();
  });
}

/** Starts `wasmx ARGS...` in the background; the caller stops it. */
export function startWasmx(args: string[], opts: SpawnOptions = {}) {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return {
    child,
    get stdout() { return stdout; },
    get stderr() { return stderr; },
    stop: () => new Promise<void>((r) => { if (child.exitCode !== null || child.signalCode !== null) return r(); child.once('close', () => r()); child.kill('SIGKILL'); }),
  };
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, host, () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** Connects to host:port, retrying until the server listens (up to timeoutMs). */
export async function connectWhenUp(port: number, host = '127.0.0.1', timeoutMs = 10_000): Promise<net.Socket> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await new Promise<net.Socket>((resolve, reject) => {
        const s = net.connect({ port, host }, () => resolve(s));
        s.once('error', reject);
      });
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** Sends `request` (if any) on a new connection and collects everything until the server closes it. */
export async function exchange(port: number, request?: string | Buffer, host = '127.0.0.1'): Promise<Buffer> {
  const s = await connectWhenUp(port, host);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    s.on('data', (d) => chunks.push(d));
    s.on('end', () => resolve(Buffer.concat(chunks)));
    s.on('error', reject);
    if (request !== undefined) s.write(request);
  });
}

/** A fresh temporary directory, removed by the caller's afterEach/afterAll if wanted. */
export const tmpdir = (prefix = 'wasmx-'): string => fs.mkdtempSync(path.join(os.tmpdir(), prefix));

/** Parses the "key=value" lines a test guest prints (the first "=" splits) into a map. */
export function keyValues(text: string): Record<string, string> {
  const kv: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) kv[line.slice(0, i)] = line.slice(i + 1);
  }
  return kv;
}
