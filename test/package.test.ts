// The npm package as a user gets it: `npm pack`, then `npm install` of the tarball into an empty project with no
// compiler on PATH (only node, npm, npx and sh), which works because the tarball carries the N-API prebuild for
// this platform (`npm test` makes it with prebuildify first). Then a guest runs through `npx wasmx` and through
// `require('wasmx')`; without the prebuild, wasmx says how to build the addon in one line.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, freePort, tmpdir } from './helpers';

const PREBUILD_DIR = path.join(ROOT, 'prebuilds', `${process.platform}-${process.arch}`);
const dir = tmpdir('wasmx-pkg-');
const project = path.join(dir, 'project');
const bin = path.join(dir, 'bin');
const installed = path.join(project, 'node_modules', 'wasmx');

/** PATH with only what npm needs to install a package that compiles nothing. */
function noCompilerEnv(): NodeJS.ProcessEnv {
  return { ...process.env, PATH: bin, CC: '', CXX: '', npm_config_update_notifier: 'false' };
}

function inProject(cmd: string, args: string[]) {
  return spawnSync(cmd, args, { cwd: project, env: noCompilerEnv(), encoding: 'utf8', timeout: 60_000 });
}

beforeAll(() => {
  const prebuilds = fs.existsSync(PREBUILD_DIR) ? fs.readdirSync(PREBUILD_DIR).filter((f) => f.endsWith('.node')) : [];
  if (prebuilds.length === 0) throw new Error(`no prebuild in ${PREBUILD_DIR}: run \`npm run prebuildify\` first (npm test does)`);
  fs.mkdirSync(bin);
  for (const tool of ['node', 'npm', 'npx', 'sh']) {
    const found = execFileSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim();
    fs.symlinkSync(fs.realpathSync(found), path.join(bin, tool));
  }
  for (const compiler of ['gcc', 'g++', 'cc', 'c++', 'make', 'python3', 'clang']) expect(fs.existsSync(path.join(bin, compiler))).toBe(false);
  // --ignore-scripts: no `prepare` (tsc) rewriting dist/ under the other test files; npm test built it already.
  const out = execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const tarball = path.join(dir, JSON.parse(out)[0].filename);
  fs.mkdirSync(project);
  fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'empty', version: '1.0.0', private: true }));
  const r = inProject('npm', ['install', tarball, '--prefer-offline', '--no-audit', '--no-fund']);
  if (r.status !== 0) throw new Error(`npm install failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
}, 90_000);

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('the packed tarball, installed with no compiler on PATH', () => {
  it('ships the prebuild, the LICENSE, the docs the README links to and the sources its maps name; compiles nothing', () => {
    expect(fs.readdirSync(path.join(installed, 'prebuilds', `${process.platform}-${process.arch}`)).some((f) => f.endsWith('.node'))).toBe(true);
    expect(fs.existsSync(path.join(installed, 'build'))).toBe(false); // nothing compiled at install
    expect(fs.readFileSync(path.join(installed, 'LICENSE'), 'utf8')).toMatch(/^MIT License/);
    const readme = fs.readFileSync(path.join(installed, 'README.md'), 'utf8');
    const links = [...readme.matchAll(/\]\(([^)#:]+)(?:#[^)]*)?\)/g)].map((m) => m[1]);
    expect(links.length).toBeGreaterThan(0);
    for (const link of links) expect({ link, shipped: fs.existsSync(path.join(installed, link)) }).toEqual({ link, shipped: true });
    for (const map of fs.readdirSync(path.join(installed, 'dist')).filter((f) => f.endsWith('.js.map'))) {
      for (const src of JSON.parse(fs.readFileSync(path.join(installed, 'dist', map), 'utf8')).sources as string[]) {
        expect({ map, src, shipped: fs.existsSync(path.join(installed, 'dist', src)) }).toEqual({ map, src, shipped: true });
      }
    }
  });

  it('npx wasmx runs a guest', () => {
    const r = inProject('npx', ['wasmx', 'run', 'node_modules/wasmx/examples/hello.wat']);
    expect([r.status, r.stdout, r.stderr]).toEqual([0, 'Hello from wasmx\n', '']);
  });

  it("require('wasmx') runs a guest", () => {
    const script = "require('wasmx').run('node_modules/wasmx/examples/hello.wat').then((c) => console.log('exit', c))";
    const r = inProject('node', ['-e', script]);
    expect([r.status, r.stdout, r.stderr]).toEqual([0, 'Hello from wasmx\nexit 0\n', '']);
  });

  it('the README\'s library example (examples/library-serve.js) serves while the event loop ticks, then exits', async () => {
    const example = fs.readFileSync(path.join(ROOT, 'examples', 'library-serve.js'), 'utf8');
    expect(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8')).toContain('```js\n' + example + '```');
    const port = await freePort();
    const t0 = Date.now();
    const r = spawnSync('node', ['node_modules/wasmx/examples/library-serve.js'], { cwd: project, env: { ...noCompilerEnv(), PORT: String(port) }, encoding: 'utf8', timeout: 20_000 });
    expect(r.status).toBe(0);
    expect(Date.now() - t0).toBeLessThan(15_000);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(4);
    const ticks = lines.slice(0, 3).map((l) => {
      const m = new RegExp(`^127\\.0\\.0\\.1:${port} said "Hello, World!"; event loop ticks so far: (\\d+)$`).exec(l);
      expect({ l, ok: !!m }).toEqual({ l, ok: true });
      return Number(m![1]);
    });
    expect(ticks[0]).toBeGreaterThan(0); // the loop ticked while the server started and served
    expect(ticks[2]).toBeGreaterThan(ticks[0]); // and goes on ticking while it serves
    expect(lines[3]).toBe('closed with 0');
    expect(r.stderr).toContain(`wasmx: listening on 127.0.0.1:${port}`);
  });

  it('without a prebuild or a build, one line says what to do (npm rebuild wasmx, prerequisites)', () => {
    const prebuilds = path.join(installed, 'prebuilds');
    fs.renameSync(prebuilds, `${prebuilds}.off`);
    try {
      const r = inProject('npx', ['wasmx', 'run', 'node_modules/wasmx/examples/hello.wat']);
      expect(r.status).toBe(2);
      const lines = r.stderr.trim().split('\n');
      expect(lines[0]).toMatch(/^wasmx: error: No native build was found/);
      expect(lines.slice(1)).toEqual(['wasmx: no prebuilt addon for this platform and no local build: run `npm rebuild wasmx` (needs python3, make and a C++ compiler: g++ or clang++)']);
    } finally {
      fs.renameSync(`${prebuilds}.off`, prebuilds);
    }
  });
});
