// The `wasmx` command line: help/version, usage and load errors (exit 2, one clear line), unknown imports
// (ENOSYS stubs, warnings, --strict), `--` handling and --env / --dir.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, cfix, tmpdir, wasmx, wat } from './helpers';

const tmp = tmpdir('wasmx-cli-');
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const lines = (s: string): string[] => s.split('\n').filter((l) => l !== '');

describe('help and version', () => {
  for (const args of [['--help'], ['-h'], ['run', '--help']]) {
    it(`${args.join(' ')} lists the run options and examples, exit 0`, async () => {
      const r = await wasmx(args);
      expect(r.code).toBe(0);
      const out = r.stdout.toString();
      expect(out).toMatch(/Usage:\n\s+wasmx run \[options\] <module/);
      for (const opt of ['--dir', '--mapdir', '--env', '--net', '--strict', '--  ']) expect(out).toContain(`  ${opt}`);
      expect(out).toMatch(/Examples:\n\s+wasmx run /);
      expect(r.stderr).toBe('');
    });
  }

  it('--version prints the package version', async () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    const r = await wasmx(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.toString()).toBe(`wasmx ${pkg.version}\n`);
  });

  it('no arguments prints the help and exits 2', async () => {
    const r = await wasmx([]);
    expect(r.code).toBe(2);
    expect(r.stdout.toString()).toContain('Usage:');
  });
});

describe('usage errors', () => {
  it('an unknown option exits 2 with one line naming it', async () => {
    const r = await wasmx(['run', '--bogus', wat('cli_hello')]);
    expect(r.code).toBe(2);
    expect(r.stdout.length).toBe(0);
    expect(lines(r.stderr)).toEqual(['wasmx: error: unknown option --bogus (see wasmx --help)']);
  });

  it('an unknown command exits 2 with one line', async () => {
    const r = await wasmx(['frobnicate']);
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toEqual(["wasmx: error: unknown command 'frobnicate' (see wasmx --help)"]);
  });

  it('an option without its value exits 2', async () => {
    const r = await wasmx(['run', '--env']);
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toEqual(['wasmx: error: --env needs a value']);
  });

  it('run without a module exits 2', async () => {
    const r = await wasmx(['run']);
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/^wasmx: error: missing module/);
  });
});

describe('load errors', () => {
  it('a missing module: "<file>: no such file", exit 2', async () => {
    const file = path.join(tmp, 'absent.wasm');
    const r = await wasmx(['run', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`wasmx: error: ${file}: no such file\n`);
  });

  it('invalid WAT names the file, the position and the reason, exit 2', async () => {
    const file = wat('cli_bad');
    const r = await wasmx(['run', file]);
    expect(r.code).toBe(2);
    expect(r.stdout.length).toBe(0);
    expect(r.stderr.startsWith(`wasmx: error: ${file}: invalid WebAssembly text`)).toBe(true);
    expect(r.stderr).toContain('cli_bad.wat:4:');
    expect(r.stderr).toContain('i32.bogus_instruction');
    expect(r.stderr.trim().split('\n')).toHaveLength(1); // one line
  });

  it('a truncated wasm binary names the file and the reason, exit 2', async () => {
    const file = path.join(tmp, 'truncated.wasm');
    fs.writeFileSync(file, Buffer.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05]));
    const r = await wasmx(['run', file]);
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr.startsWith(`wasmx: error: ${file}: invalid WebAssembly module: `)).toBe(true);
  });

  it('a _start that takes parameters or returns a value is a link error, exit 2, and never runs', async () => {
    for (const [name, sig] of [['params', '(param i32)'], ['results', '(result i32)']]) {
      const file = path.join(tmp, `start_${name}.wat`);
      fs.writeFileSync(file, `(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start") ${sig} (call $exit (i32.const 7)) ${name === 'results' ? '(i32.const 0)' : ''}))`);
      const r = await wasmx(['run', file]);
      expect(r.code).toBe(2); // not 7: _start was never called
      expect(lines(r.stderr)).toEqual([`wasmx: error: ${file}: _start has type (${name === 'params' ? 'i:' : ':i'}); a WASI command's _start takes and returns nothing`]);
    }
  });

  it('a .wasm file that is not wasm at all, exit 2', async () => {
    const file = path.join(tmp, 'text.wasm');
    fs.writeFileSync(file, 'hello, world\n');
    const r = await wasmx(['run', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`wasmx: error: ${file}: neither a WebAssembly binary (bad magic number) nor WebAssembly text\n`);
  });

  it('a directory given as the module, exit 2', async () => {
    const r = await wasmx(['run', tmp]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`wasmx: error: ${tmp}: is a directory\n`);
  });
});

describe('unknown imports', () => {
  const names = ['wasix_32v1.wasmx_test_missing_a', 'wasi_snapshot_preview1.wasmx_test_missing_b', 'wasix_32v1.wasmx_test_missing_void'];

  it('are linked to stubs returning ENOSYS (52), with one warning per name when first called', async () => {
    const r = await wasmx(['run', wat('cli_unknown')]);
    expect(r.code).toBe(0);
    expect(r.stdout.toString()).toBe('a=52 a=52 b=52 void=ok\n');
    const warnings = lines(r.stderr);
    expect(warnings).toHaveLength(3); // missing_a is called twice but warned about once
    for (const n of names) expect(warnings.filter((w) => w.startsWith('wasmx: warning:') && w.includes(` ${n},`))).toHaveLength(1);
    // the no-result import got a no-result stub (the call returned, and the module linked at all)
    expect(warnings.find((w) => w.includes('missing_void'))).toContain('the call did nothing');
  });

  it('--strict refuses to start and lists them all, exit 2', async () => {
    const r = await wasmx(['run', '--strict', wat('cli_unknown')]);
    expect(r.code).toBe(2);
    expect(r.stdout.length).toBe(0);
    expect(r.stderr).toBe(`wasmx: error: --strict: the module imports functions wasmx does not provide:\n${names.map((n) => `  ${n}\n`).join('')}`);
  });

  it('--strict runs a module whose imports are all provided', async () => {
    const r = await wasmx(['run', '--strict', wat('cli_hello')]);
    expect(r.code).toBe(0);
    expect(r.stdout.toString()).toBe('hello\n');
  });
});

describe('argument handling', () => {
  const argvOf = (stdout: Buffer): string[] =>
    stdout
      .toString()
      .split('\n')
      .filter((l) => l.startsWith('argv['))
      .map((l) => l.slice(l.indexOf('=') + 1));

  it('`--` ends the options: a module name that looks like an option still runs', async () => {
    const dashed = path.join(tmp, '--dashed.wasm');
    fs.copyFileSync(cfix('core_args_env'), dashed);
    const r = await wasmx(['run', '--', dashed, 'x'], { cwd: tmp });
    expect(r.code).toBe(0);
    expect(argvOf(r.stdout)).toEqual([dashed, 'x']);
  });

  it('everything after the module goes to the guest, options and -- included', async () => {
    const mod = cfix('core_args_env');
    const r = await wasmx(['run', '--env', 'A=1', mod, '--env', 'B=2', '--', '--strict', '-x']);
    expect(r.code).toBe(0);
    expect(argvOf(r.stdout)).toEqual([mod, '--env', 'B=2', '--', '--strict', '-x']);
    expect(r.stdout.toString()).toContain('envc=1\n');
  });

  it('--env K copies the host value; an unset K adds nothing', async () => {
    const r = await wasmx(['run', '--env', 'WASMX_T_INHERIT', '--env', 'WASMX_T_UNSET', '--env', 'WASMX_SHOW=WASMX_T_INHERIT,WASMX_T_UNSET', cfix('core_args_env')], {
      env: { ...process.env, WASMX_T_INHERIT: 'inherited value' },
    });
    expect(r.code).toBe(0);
    const out = r.stdout.toString();
    expect(out).toContain('env WASMX_T_INHERIT=inherited value\n');
    expect(out).toContain('env WASMX_T_UNSET=(unset)\n');
    expect(out).toContain('envc=2\n');
  });

  it('--dir that does not exist is a clear error, exit 2', async () => {
    const missing = path.join(tmp, 'no-such-dir');
    const r = await wasmx(['run', '--dir', missing, wat('cli_hello')]);
    expect(r.code).toBe(2);
    expect(r.stdout.length).toBe(0);
    expect(r.stderr).toBe(`wasmx: error: --dir ${missing}: No such file or directory\n`);
  });

  it('--dir with a malformed mapping is a usage error, exit 2', async () => {
    const r = await wasmx(['run', '--dir', 'a::b::c', wat('cli_hello')]);
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toEqual(['wasmx: error: --dir a::b::c: expected HOST[::GUEST]']);
  });

  it('a plain run of a WAT module prints and exits 0', async () => {
    const r = await wasmx(['run', wat('cli_hello')]);
    expect(r.code).toBe(0);
    expect(r.stdout.toString()).toBe('hello\n');
    expect(r.stderr).toBe('');
  });
});
