/**
 * A strict reader of the Prometheus text exposition format (version 0.0.4), for the admin tests: every line is a
 * HELP or TYPE comment or a sample; every sample belongs to a family whose TYPE came first; names, label sets and
 * values are checked. Throws on the first line that breaks the format.
 */
const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface PromText {
  types: Map<string, string>;
  samples: PromSample[];
  /** The value of `name` with exactly these labels (undefined when absent). */
  get(name: string, labels?: Record<string, string>): number | undefined;
}

// Prometheus reads values with Go's strconv.ParseFloat: NaN and Inf in any case (prom-client writes "Nan").
function parseValue(s: string, line: string): number {
  if (/^nan$/i.test(s)) return NaN;
  if (/^\+?inf(inity)?$/i.test(s)) return Infinity;
  if (/^-inf(inity)?$/i.test(s)) return -Infinity;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) throw new Error(`bad value in: ${line}`);
  return Number(s);
}

function parseLabels(s: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let i = 0;
  while (i < s.length) {
    const eq = s.indexOf('=', i);
    if (eq < 0) throw new Error(`bad labels in: ${line}`);
    const key = s.slice(i, eq);
    if (!LABEL.test(key) || key in labels) throw new Error(`bad label name '${key}' in: ${line}`);
    if (s[eq + 1] !== '"') throw new Error(`unquoted label value in: ${line}`);
    let j = eq + 2;
    let v = '';
    for (; j < s.length && s[j] !== '"'; j++) {
      if (s[j] === '\\') {
        const n = s[++j];
        if (n === 'n') v += '\n';
        else if (n === '\\' || n === '"') v += n;
        else throw new Error(`bad escape in: ${line}`);
      } else v += s[j];
    }
    if (s[j] !== '"') throw new Error(`unterminated label value in: ${line}`);
    labels[key] = v;
    i = j + 1;
    if (s[i] === ',') i++;
    else if (i < s.length) throw new Error(`expected ',' between labels in: ${line}`);
  }
  return labels;
}

/** The family a sample name belongs to (histogram/summary samples carry suffixes). */
function familyOf(name: string, types: Map<string, string>): string | undefined {
  if (types.has(name)) return name;
  for (const suffix of ['_bucket', '_sum', '_count']) {
    const base = name.endsWith(suffix) ? name.slice(0, -suffix.length) : undefined;
    if (base && (types.get(base) === 'histogram' || types.get(base) === 'summary')) return base;
  }
  return undefined;
}

export function parsePromText(text: string): PromText {
  const types = new Map<string, string>();
  const samples: PromSample[] = [];
  if (!text.endsWith('\n')) throw new Error('exposition does not end with a newline');
  for (const line of text.slice(0, -1).split('\n')) {
    if (line === '') continue;
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (!m) continue; // a plain comment
      if (!NAME.test(m[2])) throw new Error(`bad metric name in: ${line}`);
      if (m[1] === 'TYPE') {
        if (!TYPES.has(m[3])) throw new Error(`bad type in: ${line}`);
        if (types.has(m[2])) throw new Error(`TYPE given twice: ${line}`);
        types.set(m[2], m[3]);
      }
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: (-?\d+))?$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    if (!familyOf(m[1], types)) throw new Error(`sample before its TYPE: ${line}`);
    samples.push({ name: m[1], labels: parseLabels(m[2] ?? '', line), value: parseValue(m[3], line) });
  }
  const same = (a: Record<string, string>, b: Record<string, string>): boolean =>
    Object.keys(a).length === Object.keys(b).length && Object.entries(b).every(([k, v]) => a[k] === v);
  return {
    types,
    samples,
    get: (name, labels = {}) => samples.find((s) => s.name === name && same(s.labels, labels))?.value,
  };
}
