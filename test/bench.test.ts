/**
 * The benchmark scripts' command lines (bench/): every script answers --help, and a CI-sized smoke run of the A/B
 * path (bench/run.js --baseline with a results JSON saved by a first run, plus a --server user command): the
 * report, the JSON and the SVG chart exist and parse. Not a performance check: the verdicts are not asserted.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, tmpdir } from './helpers';

const BENCH = path.join(ROOT, 'bench');
const hasWrk = !spawnSync('wrk', ['-v']).error;
const node = (args: string[], timeout = 60_000) => spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8', timeout });

describe('bench scripts', () => {
  it('every bench/*.js answers --help with exit 0 and says what it is', () => {
    const scripts = fs.readdirSync(BENCH).filter((f) => f.endsWith('.js'));
    expect(scripts.length).toBeGreaterThan(5);
    for (const f of scripts) {
      const r = node([path.join(BENCH, f), '--help'], 20_000);
      expect(r.status, `${f}: ${r.stderr}`).toBe(0);
      expect(r.stdout, f).toMatch(/^(usage: |bench\/\S+\.js is )/);
      expect(r.stderr, f).toBe('');
    }
  });

  it('bench/run.js refuses a bad --server with one line and exit 2', () => {
    const r = node([path.join(BENCH, 'run.js'), '--server', 'noequals']);
    expect(r.status).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe('bench: --server needs NAME=CMD');
  });

  it.skipIf(!hasWrk)('A/B smoke: a run with a --server command, then --baseline of its JSON: report, JSON and SVG', () => {
    const out = tmpdir('wasmx-bench-');
    const common = ['-d', '1', '--warmup', '0', '--rounds', '1', '--out', out, '--only', 'node-net,mine',
      '--server', `mine=${JSON.stringify(process.execPath)} bench/node/hello_server.js {port}`, '--compare', 'mine=node-net'];
    const first = node([path.join(BENCH, 'run.js'), ...common, '--json']);
    expect(first.status, first.stderr).toBe(0);
    const r1 = JSON.parse(first.stdout);
    expect(r1.results.map((r: { name: string }) => r.name)).toEqual(['node-net', 'mine']);
    expect(r1.results[1].kind).toBe('user');
    expect(r1.results[1].rps).toBeGreaterThan(0);
    expect(r1.results[1].compareTo).toBe('node-net');
    const saved = path.join(out, path.basename(r1.file));
    expect(JSON.parse(fs.readFileSync(saved, 'utf8')).results).toHaveLength(2);

    const second = node([path.join(BENCH, 'run.js'), ...common, '--baseline', saved]);
    expect(second.status, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/A\/B .* -> this run/);
    for (const name of ['node-net', 'mine']) for (const m of ['req/s', 'cpu us/req', 'p50 ms', 'p99 ms']) expect(second.stdout).toMatch(new RegExp(`^${name}\\s+${m.replace('/', '\\/')}\\s`, 'm'));
    const files = fs.readdirSync(out).sort();
    expect(files.filter((f) => f.endsWith('.json'))).toHaveLength(2);
    const json = JSON.parse(fs.readFileSync(path.join(out, files.filter((f) => f.endsWith('.json'))[1]), 'utf8'));
    expect(json.comparisons).toHaveLength(2);
    expect(json.comparisons[0].metrics.find((m: { key: string }) => m.key === 'rps').verdict).toBe('too few rounds');
    const svgs = files.filter((f) => f.endsWith('.svg'));
    expect(svgs).toHaveLength(2);
    for (const f of svgs) {
      const svg = fs.readFileSync(path.join(out, f), 'utf8');
      expect(svg).toMatch(/^<\?xml [^>]*\?>\n<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
      expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
      // Well-formed enough: every opened element is closed (self-closing or paired), in order.
      const stack: string[] = [];
      for (const m of svg.replace(/<\?xml[^>]*\?>/, '').matchAll(/<(\/?)([a-z]+)[^>]*?(\/?)>/g)) {
        if (m[3]) continue;
        if (m[1]) expect(stack.pop()).toBe(m[2]);
        else stack.push(m[2]);
      }
      expect(stack).toEqual([]);
      expect((svg.match(/<circle /g) ?? []).length).toBe(2); // one round of req/s per server
    }
  }, 60_000);
});
