/**
 * The deployment files: deploy/kubernetes/ against the Kubernetes API schema (kubernetes-models) and against the
 * CLI, and the Dockerfile. No container engine runs here, so the Dockerfile is covered by reading it: the runtime
 * stage's rules (no compiler, numeric non-root user, the entry point), then its files laid out as its COPY lines
 * say and its entry point run from them as that user, with nothing but node on PATH — the addon must come from
 * the prebuild, the module from the build stage's conversion, and SIGTERM must drain.
 */
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { Deployment } from 'kubernetes-models/apps/v1';
import { ConfigMap, Service } from 'kubernetes-models/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { AdminMetrics } from '../src/admin';
import { parseRunArgs } from '../src/cli';
import { ROOT, exchange, freePort } from './helpers';

const K8S = path.join(ROOT, 'deploy', 'kubernetes');

// --- Kubernetes manifests -------------------------------------------------------------------------------------

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function manifests(dir = K8S): { file: string; doc: Obj }[] {
  const out: { file: string; doc: Obj }[] = [];
  for (const ent of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, ent.name);
    if (ent.isDirectory()) out.push(...manifests(p));
    else if (/\.ya?ml$/.test(ent.name))
      for (const d of parseAllDocuments(fs.readFileSync(p, 'utf8'))) {
        if (d.errors.length) throw new Error(`${p}: ${d.errors[0].message}`);
        out.push({ file: path.relative(K8S, p), doc: d.toJS() });
      }
  }
  return out;
}

const MODELS: Record<string, new (o: Obj) => { validate(): void }> = {
  'apps/v1/Deployment': Deployment as never,
  'v1/Service': Service as never,
  'v1/ConfigMap': ConfigMap as never,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler as never,
};

function validate(doc: Obj): void {
  const Model = MODELS[`${doc.apiVersion}/${doc.kind}`];
  if (!Model) throw new Error(`no schema for ${doc.apiVersion} ${doc.kind}`);
  new Model(doc).validate();
}

const one = (kind: string, file?: string): Obj => {
  const all = manifests().filter((m) => m.doc.kind === kind && (!file || m.file === file));
  expect(all.length, `${kind} in ${file ?? 'deploy/kubernetes'}`).toBeGreaterThan(0);
  return all[0].doc;
};

describe('deploy/kubernetes', () => {
  it('every manifest validates against the Kubernetes API schema (and the validator rejects a broken one)', () => {
    const all = manifests();
    expect(all.map((m) => `${m.file}:${m.doc.kind}`).sort()).toEqual([
      'custom-metrics/hpa-connections.yaml:HorizontalPodAutoscaler',
      'custom-metrics/prometheus-adapter-rules.yaml:ConfigMap',
      'deployment.yaml:Deployment',
      'hpa.yaml:HorizontalPodAutoscaler',
      'service.yaml:Service',
    ]);
    for (const m of all) expect(() => validate(m.doc), m.file).not.toThrow();
    const broken = structuredClone(one('Deployment'));
    broken.spec.template.spec.containers[0].ports[0].containerPort = 'eighty';
    expect(() => validate(broken)).toThrow();
    const noTarget = structuredClone(one('HorizontalPodAutoscaler', 'hpa.yaml'));
    delete noTarget.spec.scaleTargetRef;
    expect(() => validate(noTarget)).toThrow();
  });

  it('the Deployment agrees with the CLI: args parse as serve arguments, probes on --admin, grace period from --grace', () => {
    const dep = one('Deployment');
    const pod = dep.spec.template.spec;
    const [c] = pod.containers;
    expect(c.command).toBeUndefined(); // the image's ENTRYPOINT (wasmx serve) stays
    const cmd = parseRunArgs(c.args, 'serve');
    const port = (name: string | number): number => (typeof name === 'number' ? name : c.ports.find((p: Obj) => p.name === name).containerPort);
    expect(cmd.admin).toEqual({ host: '0.0.0.0', port: port('admin') });
    expect(cmd.options.tcpListen).toEqual([{ host: '0.0.0.0', port: port('http') }]);
    expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'admin' });
    expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'admin' });
    const preStop = c.lifecycle.preStop.exec.command;
    expect(preStop[0]).toBe('sleep');
    expect(pod.terminationGracePeriodSeconds).toBe(Number(preStop[1]) + cmd.options.graceSeconds! + 5);
    // The module is read from the read-only volume.
    const mount = c.volumeMounts.find((m: Obj) => cmd.module.startsWith(m.mountPath + '/'));
    expect(mount?.readOnly).toBe(true);
    expect(pod.volumes.find((v: Obj) => v.name === mount.name)).toBeDefined();
    // Hardening, and a CPU request for the HPA's utilization to be measured against.
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(c.securityContext.readOnlyRootFilesystem).toBe(true);
    expect(c.securityContext.allowPrivilegeEscalation).toBe(false);
    expect(c.resources.requests.cpu).toBeDefined();
    expect(c.resources.requests.memory).toBeDefined();
    // Prometheus scrape annotations point at the admin port and path.
    const ann = dep.spec.template.metadata.annotations;
    expect([Number(ann['prometheus.io/port']), ann['prometheus.io/path']]).toEqual([port('admin'), '/metrics']);
    // The Service selects these pods and sends to the application port.
    const svc = one('Service');
    expect(svc.spec.selector).toEqual(dep.spec.template.metadata.labels);
    expect(svc.spec.ports.map((p: Obj) => p.targetPort)).toEqual(['http']);
    // The image agrees: its user is the pod's, its EXPOSEd ports are the container's.
    const runtime = dockerStages().runtime;
    expect(runtime.user).toBe(`${pod.securityContext.runAsUser}:${pod.securityContext.runAsGroup}`);
    expect(runtime.expose.sort()).toEqual(c.ports.map((p: Obj) => p.containerPort).sort());
  });

  it('both HPAs scale the Deployment; the custom one uses a metric /metrics exports, served by the adapter rule', () => {
    const dep = one('Deployment');
    const cpu = one('HorizontalPodAutoscaler', 'hpa.yaml');
    const conns = one('HorizontalPodAutoscaler', 'custom-metrics/hpa-connections.yaml');
    for (const h of [cpu, conns]) {
      expect(h.spec.scaleTargetRef).toEqual({ apiVersion: dep.apiVersion, kind: dep.kind, name: dep.metadata.name });
      expect(h.spec.metrics.find((m: Obj) => m.type === 'Resource').resource.name).toBe('cpu');
    }
    const metric = conns.spec.metrics.find((m: Obj) => m.type === 'Pods').pods.metric.name;
    const names = new AdminMetrics({ processIds: () => [], instanceCount: 1, isDraining: false }, null).registry.getMetricsAsArray().map((m) => m.name);
    expect(names).toContain(metric);
    const rules = parseAllDocuments(one('ConfigMap', 'custom-metrics/prometheus-adapter-rules.yaml').data['config.yaml'])[0].toJS();
    expect(rules.rules.map((r: Obj) => r.name.as)).toEqual([metric]);
  });
});

// --- Dockerfile ----------------------------------------------------------------------------------------------

interface Stage {
  name: string;
  from: string;
  workdir: string;
  lines: { op: string; args: string }[];
  user?: string;
  expose: number[];
  entrypoint?: string[];
  cmd?: string[];
}

/** The Dockerfile's stages (continuations joined, comments dropped, ARG defaults substituted). */
function dockerStages(): Record<string, Stage> {
  const text = fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
  const args: Record<string, string> = {};
  const stages: Record<string, Stage> = {};
  let cur: Stage | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^(\w+)\s+(.*)$/.exec(line)!;
    const op = m[1].toUpperCase();
    const rest = m[2].replace(/\$\{(\w+)\}/g, (_, k) => args[k] ?? '');
    if (op === 'ARG') {
      const [k, v] = rest.split('=');
      args[k] = v ?? args[k] ?? '';
    } else if (op === 'FROM') {
      const f = /^(\S+)\s+AS\s+(\S+)$/i.exec(rest)!;
      cur = stages[f[2]] = { name: f[2], from: f[1], workdir: '/', lines: [], expose: [] };
    } else {
      if (!cur) throw new Error(`Dockerfile: ${op} before FROM`);
      cur.lines.push({ op, args: rest });
      if (op === 'WORKDIR') cur.workdir = rest;
      if (op === 'USER') cur.user = rest;
      if (op === 'EXPOSE') cur.expose.push(...rest.split(/\s+/).map(Number));
      if (op === 'ENTRYPOINT') cur.entrypoint = JSON.parse(rest);
      if (op === 'CMD') cur.cmd = JSON.parse(rest);
    }
  }
  return stages;
}

/** Packages a stage's RUN lines install with apt-get. */
function aptPackages(stage: Stage): string[] {
  return stage.lines
    .filter((l) => l.op === 'RUN')
    .flatMap((l) => [...l.args.matchAll(/apt-get install ([^&|;]*)/g)].flatMap((m) => m[1].split(/\s+/).filter((w) => w && !w.startsWith('-'))));
}

describe('Dockerfile', () => {
  const stages = dockerStages();
  const build = stages.build;
  const runtime = stages.runtime;
  let child: ChildProcess | undefined;
  const scratch: string[] = [];
  afterAll(() => {
    child?.kill('SIGKILL');
    for (const d of scratch) fs.rmSync(d, { recursive: true, force: true });
  });

  it('runtime stage: same base as the build, no compiler, numeric non-root user, ENTRYPOINT wasmx serve', () => {
    expect(Object.keys(stages)).toEqual(['build', 'runtime']);
    expect(runtime.from).toBe(build.from);
    expect(runtime.from).toMatch(/^node:\d+-\S*slim$/);
    const compilers = /^(gcc|g\+\+|cpp|clang.*|make|cmake|python3?|build-essential|.*-dev)$/;
    expect(aptPackages(build).filter((p) => compilers.test(p)).length).toBeGreaterThan(0);
    expect(aptPackages(runtime).filter((p) => compilers.test(p))).toEqual([]);
    expect(runtime.lines.some((l) => l.op === 'RUN' && /npm (install|ci|rebuild)|node-gyp|prebuildify/.test(l.args))).toBe(false);
    expect(runtime.user).toMatch(/^[1-9]\d*:[1-9]\d*$/);
    expect(runtime.entrypoint).toEqual(['wasmx', 'serve']);
    expect(runtime.lines.find((l) => l.op === 'STOPSIGNAL')?.args).toBe('SIGTERM');
    // The build stage copies what npm install, tsc (tsconfig include) and node-gyp (binding.gyp sources) read.
    const copied = build.lines.filter((l) => l.op === 'COPY').flatMap((l) => l.args.split(/\s+/).slice(0, -1));
    const tsDirs = JSON.parse(fs.readFileSync(path.join(ROOT, 'tsconfig.json'), 'utf8')).include.map((g: string) => g.split('/')[0]);
    const gypDirs = [...fs.readFileSync(path.join(ROOT, 'binding.gyp'), 'utf8').matchAll(/'(native)\/[^']*'/g)].map((m) => m[1]);
    for (const need of ['package.json', 'package-lock.json', 'tsconfig.json', 'binding.gyp', 'bin', 'scripts', ...tsDirs, ...gypDirs]) expect(copied, need).toContain(need);
  });

  it('the runtime files, laid out as the COPY lines say, run the entry point as that user: prebuilt addon, health, SIGTERM drain', async () => {
    const stage = fs.mkdtempSync(path.join(os.tmpdir(), 'wasmx-image-'));
    scratch.push(stage);
    fs.chmodSync(stage, 0o755);
    const root = (p: string) => path.join(stage, p);
    // The build stage's outputs, from this checkout: /src/X is ROOT/X (its WORKDIR), with two exceptions below.
    expect(build.workdir).toBe('/src');
    const built = path.join(ROOT, 'build', 'Release', 'wasmx.node');
    const platformDir = path.join(ROOT, 'prebuilds', `${process.platform}-${process.arch}`);
    const prebuilt = fs.existsSync(platformDir) ? fs.readdirSync(platformDir).find((f) => f.endsWith('.node')) : undefined;
    let note = '';
    const newestSource = Math.max(...fs.readdirSync(path.join(ROOT, 'native'), { recursive: true }).map((f) => fs.statSync(path.join(ROOT, 'native', String(f))).mtimeMs));
    if (!prebuilt || fs.statSync(path.join(platformDir, prebuilt)).mtimeMs < newestSource) {
      // No `npm run prebuildify` since the sources changed (the image's build stage always runs it; npm test does
      // too): the addon just built stands in for it, laid out as prebuildify lays it out.
      note = ' (prebuild stood in for by build/Release/wasmx.node)';
    }
    const copies = runtime.lines.filter((l) => l.op === 'COPY');
    expect(copies.every((l) => l.args.startsWith('--from=build '))).toBe(true);
    for (const l of copies) {
      const [src, dst] = l.args.replace('--from=build ', '').split(/\s+/);
      const to = dst.startsWith('/') ? root(dst) : path.join(root(runtime.workdir), dst);
      fs.mkdirSync(path.dirname(to), { recursive: true });
      if (src === '/module') {
        // Made by the build stage's module step (ARG MODULE's default through scripts/module-to-wasm.js).
        const run = build.lines.find((x) => x.op === 'RUN' && x.args.includes('module-to-wasm.js'))!.args.split(/\s+/);
        const input = build.lines.find((x) => x.op === 'COPY' && x.args.endsWith(` ${run[2]}`))!.args.split(/\s+/)[0];
        execFileSync(process.execPath, [path.join(ROOT, run[1]), path.join(ROOT, input), path.join(to, path.relative('/module', run[3]))]);
      } else if (src === '/src/node_modules') {
        // `npm prune --omit=dev`: only the production closure recorded in the lock file.
        const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8'));
        for (const [k, v] of Object.entries<Obj>(lock.packages))
          if (k.startsWith('node_modules/') && !v.dev && !v.devOptional && !v.optional && fs.existsSync(path.join(ROOT, k)))
            fs.cpSync(path.join(ROOT, k), path.join(to, k.slice('node_modules/'.length)), { recursive: true });
      } else if (src === '/src/prebuilds' && note) {
        fs.mkdirSync(path.join(to, `${process.platform}-${process.arch}`), { recursive: true });
        // The name `prebuildify --tag-libc` gives (node-gyp-build then checks the libc tag too).
        fs.copyFileSync(built, path.join(to, `${process.platform}-${process.arch}`, `wasmx.${process.platform === 'linux' ? 'glibc.' : ''}node`));
      } else {
        expect(src.startsWith('/src/'), src).toBe(true);
        fs.cpSync(path.join(ROOT, src.slice('/src/'.length)), to, { recursive: true });
      }
    }
    const link = runtime.lines.find((l) => l.op === 'RUN' && l.args.startsWith('ln -s '))!.args.split(/\s+/);
    fs.mkdirSync(path.dirname(root(link[3])), { recursive: true });
    fs.symlinkSync(root(link[2]), root(link[3]));
    fs.chmodSync(root(link[2]), 0o755);
    // PATH: the symlink's directory and a directory holding only node (no cc, g++, make, python3).
    const nodeOnly = root('node-only-bin');
    fs.mkdirSync(nodeOnly);
    fs.symlinkSync(process.execPath, path.join(nodeOnly, 'node'));
    const [uid, gid] = runtime.user!.split(':').map(Number);
    const env = { PATH: `${path.dirname(root(link[3]))}:${nodeOnly}`, HOME: '/nonexistent', NODE_ENV: 'production' };
    const spawnOpts = { env, uid, gid, cwd: root(runtime.workdir) };
    for (const cc of ['cc', 'gcc', 'g++', 'make', 'python3']) expect(() => execFileSync('/bin/sh', ['-c', `command -v ${cc}`], spawnOpts), cc).toThrow();
    expect(execFileSync('/bin/sh', ['-c', 'command -v node'], spawnOpts).toString().trim()).toBe(path.join(nodeOnly, 'node'));
    const loaded = execFileSync('node', ['-e', `process.stdout.write(require('node-gyp-build').path(${JSON.stringify(root(runtime.workdir))}))`], { ...spawnOpts, cwd: root(runtime.workdir) }).toString();
    expect(loaded.startsWith(root(path.join(runtime.workdir, 'prebuilds')) + '/'), loaded + note).toBe(true);
    // Every shared library the prebuild needs beyond libc/libstdc++ comes from a package the runtime stage installs.
    const needs = execFileSync('ldd', [loaded]).toString().match(/^\s*(\S+\.so\S*) =>/gm)?.map((s) => s.trim().split(' ')[0]) ?? [];
    const base = /^(libc|libm|libstdc\+\+|libgcc_s|libpthread|libdl|ld-linux.*|linux-vdso)\.so/;
    for (const lib of needs.filter((l) => !base.test(l))) expect(aptPackages(runtime), lib).toContain(lib.replace(/\.so\.(\d+)$/, '$1'));

    // The entry point with the image's CMD, its 0.0.0.0 ports moved to free loopback ports and /module to the stage.
    const [appPort, adminPort] = [await freePort(), await freePort()];
    const argv = [...runtime.entrypoint!, ...runtime.cmd!].map((a) =>
      a.replace('0.0.0.0:8080', `127.0.0.1:${appPort}`).replace('0.0.0.0:9090', `127.0.0.1:${adminPort}`).replace(/^\/module\//, root('module') + '/'),
    );
    let stderr = '';
    child = spawn(argv[0], argv.slice(1), { ...spawnOpts, stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr!.on('data', (d) => (stderr += d));
    const get = (p: string) =>
      new Promise<number>((resolve, reject) => http.get({ host: '127.0.0.1', port: adminPort, path: p }, (r) => (r.resume(), resolve(r.statusCode!))).on('error', reject));
    const end = Date.now() + 15_000;
    while ((await get('/readyz').catch(() => 0)) !== 200) {
      if (Date.now() > end || child.exitCode !== null) throw new Error(`the entry point never got ready: ${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(await get('/healthz')).toBe(200);
    expect((await exchange(appPort, 'GET / HTTP/1.1\r\n\r\n')).toString()).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\nHello, accept-loop$/);
    const exited = new Promise<number | null>((r) => child!.once('exit', (c) => r(c)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stderr).toMatch(/draining/);
  });
});
