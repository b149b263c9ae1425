/**
 * `--admin HOST:PORT`: a small HTTP server beside the guests, for load balancers, orchestrators and Prometheus.
 *
 *   GET /healthz  200 while the supervisor runs (liveness: it stays 200 during a drain)
 *   GET /readyz   200 once every instance has a listening socket; 503 before that and from the moment a drain starts
 *   GET /metrics  Prometheus text format (prom-client): instances, restarts, guest exits, connections, bytes,
 *                 per-import calls/errors/host time, offload queue and fallbacks, and prom-client's process metrics
 *
 * Nothing here runs on the syscall path: the socket counters are per-thread native counters
 * (native/src/io_counters.h) summed when /metrics is scraped, and the supervisor's events are counted as they
 * happen. The guests' own traffic is all that is counted; requests to this server are not.
 */
import fs from 'node:fs';
import http from 'node:http';
import type * as Prom from 'prom-client';
import { UsageError, WasmxError } from './errors';
import { AdminCounters, native } from './native';

/** Where the admin server listens. */
export interface AdminAddress {
  host: string;
  port: number;
}

/** How an instance ended on its own (serve's 'instanceExit' event). */
export interface AdminInstanceExit {
  instance: number;
  status: 'exit' | 'trap' | 'error';
  code: number;
}

/** What the admin server watches: serve's supervisor, or the one process of `wasmx run`. */
export interface AdminTarget {
  /** Guest processes running now (one per live instance). */
  processIds(): number[];
  /** Instances the target means to run (serve: --threads; run: 1). */
  readonly instanceCount: number;
  /** True from the moment a graceful drain starts. */
  readonly isDraining: boolean;
  /** Instance exits and restarts, when the target supervises (serve's Server is an EventEmitter). */
  on?(event: 'instanceExit', fn: (e: AdminInstanceExit) => void): unknown;
  on?(event: 'instanceRestart', fn: (e: { instance: number }) => void): unknown;
}

/** One guest import's counters (the `--stats` counters). */
export interface ImportStat {
  name: string;
  calls: number;
  errors: number;
  totalNs: number;
}

/** Where per-import counters come from (the addon's importStats() where the build has it). */
export type ImportStatsSource = () => ImportStat[];

export interface AdminOptions {
  /** Per-import counters; default: the addon's importStats() where the build has it. */
  importStats?: ImportStatsSource | null;
}

/** "HOST:PORT", "[::1]:PORT" or "PORT" (loopback) → address; one clear usage line otherwise. */
export function parseAdminAddress(spec: string): AdminAddress {
  const m = /^(?:(\[[^\]]+\]|[^:[\]]+):)?(\d+)$/.exec(spec);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) throw new UsageError(`--admin ${spec}: expected HOST:PORT or PORT (e.g. 127.0.0.1:9090, [::1]:9090, 9090 for loopback)`);
  const host = m[1] ?? '127.0.0.1';
  return { host: host.startsWith('[') ? host.slice(1, -1) : host, port };
}

/** "127.0.0.1:9090", "[::1]:9090". */
export function formatAddress(a: AdminAddress): string {
  return `${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}`;
}

/**
 * The addon's per-import counters (`--stats`), or null when this build has none. They count only while `--stats`
 * is on (its switch also prints the report at exit), so the import series appear with `--admin --stats`.
 */
function addonImportStats(): ImportStatsSource | null {
  const addon = native() as unknown as { importStats?: () => ImportStat[] };
  return typeof addon.importStats === 'function' ? () => addon.importStats!() : null;
}

/** The wasmx metrics, in a registry of their own (prom-client is loaded only when --admin is used). */
export class AdminMetrics {
  readonly registry: Prom.Registry;
  private readonly restarts: Prom.Counter<'cause'>;
  private readonly exits: Prom.Counter<'status' | 'code'>;
  private readonly lastExit = new Map<number, string>();
  /** Native reads taken once per scrape and shared by the metrics that need them. */
  private io: AdminCounters | undefined;
  private imports: ImportStat[] | undefined;

  constructor(target: AdminTarget, importStats: ImportStatsSource | null) {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const prom = require('prom-client') as typeof Prom;
    const registry = (this.registry = new prom.Registry());
    prom.collectDefaultMetrics({ register: registry });
    const io = (): AdminCounters => (this.io ??= native().adminCounters());
    // Monotonic native totals exposed as counters: collect() sets the current total.
    const total = (name: string, help: string, read: () => number): void => {
      new prom.Counter({
        name,
        help,
        registers: [registry],
        collect() {
          this.reset();
          this.inc(read());
        },
      });
    };
    const gauge = (name: string, help: string, read: () => number): void => {
      new prom.Gauge({
        name,
        help,
        registers: [registry],
        collect() {
          this.set(read());
        },
      });
    };
    gauge('wasmx_instances', 'Guest instances running now', () => target.processIds().length);
    gauge('wasmx_instances_configured', 'Guest instances the server means to run (--threads)', () => target.instanceCount);
    gauge('wasmx_draining', '1 from the moment a graceful drain starts', () => (target.isDraining ? 1 : 0));
    this.restarts = new prom.Counter({ name: 'wasmx_instance_restarts_total', help: 'Instances restarted, by the cause of their end (exit, trap, error)', labelNames: ['cause'], registers: [registry] });
    this.exits = new prom.Counter({ name: 'wasmx_guest_exits_total', help: 'Instances that ended on their own, by status and exit code (a trap is 134)', labelNames: ['status', 'code'], registers: [registry] });
    for (const cause of ['exit', 'trap', 'error']) this.restarts.inc({ cause }, 0);
    total('wasmx_connections_accepted_total', 'Connections the guests accepted', () => io().accepted);
    gauge('wasmx_connections_open', 'Connected sockets the guests hold now', () => target.processIds().reduce((n, id) => n + native().openConnections(id), 0));
    total('wasmx_socket_received_bytes_total', 'Bytes the guests read from sockets', () => io().bytesReceived);
    total('wasmx_socket_sent_bytes_total', 'Bytes the guests wrote to sockets (inline or handed to the offload pool)', () => io().bytesSent);
    gauge('wasmx_offload_queued_ops', 'Sends, shutdowns and closes queued in the offload pool now', () => io().offloadQueuedOps);
    gauge('wasmx_offload_queued_bytes', 'Bytes queued in the offload pool now', () => io().offloadQueuedBytes);
    total('wasmx_offload_inline_sends_total', 'Blocking sends that ran inline because the offload cap was reached', () => io().offloadInlineSends);
    total('wasmx_offload_uring_fallbacks_total', 'Processes that asked for io_uring and fell back to the threads executor', () => io().offloadUringFallbacks);
    if (importStats) {
      const stats = (): ImportStat[] => (this.imports ??= importStats());
      const perImport = (name: string, help: string, value: (s: ImportStat) => number): void => {
        new prom.Counter({
          name,
          help,
          labelNames: ['import'],
          registers: [registry],
          collect() {
            this.reset();
            for (const s of stats()) this.inc({ import: s.name }, value(s));
          },
        });
      };
      perImport('wasmx_import_calls_total', 'Guest calls of each host import', (s) => s.calls);
      perImport('wasmx_import_errors_total', 'Guest calls of each host import that returned an error', (s) => s.errors);
      perImport('wasmx_import_host_seconds_total', 'Time spent in the host for each import', (s) => s.totalNs / 1e9);
    }
    target.on?.('instanceExit', (e) => {
      this.lastExit.set(e.instance, e.status);
      this.exits.inc({ status: e.status, code: String(e.code) });
    });
    target.on?.('instanceRestart', (e) => this.restarts.inc({ cause: this.lastExit.get(e.instance) ?? 'exit' }));
  }

  /** The exposition text, from fresh native reads. */
  render(): Promise<string> {
    this.io = undefined;
    this.imports = undefined;
    return this.registry.metrics();
  }
}

/** Why the target is not ready (undefined when it is). */
export function notReadyReason(target: AdminTarget): string | undefined {
  if (target.isDraining) return 'draining';
  const ids = target.processIds();
  if (ids.length < target.instanceCount) return `${target.instanceCount - ids.length} of ${target.instanceCount} instances not running`;
  const deaf = ids.filter((id) => native().listeningSockets(id) === 0).length;
  if (deaf) return `${deaf} of ${ids.length} instances not listening yet`;
  return undefined;
}

export interface AdminServer {
  /** The address bound ("127.0.0.1:9090"; the real port when 0 was asked). */
  readonly address: AdminAddress;
  readonly metrics: AdminMetrics;
  close(): Promise<void>;
}

/** serve: the admin server for `server`, announced on its log, closed when it stops. */
export async function attachAdmin(server: AdminTarget & { once(event: 'close', fn: () => void): unknown }, addr: AdminAddress, log = (line: string) => fs.writeSync(2, `wasmx serve: ${line}\n`)): Promise<AdminServer> {
  const admin = await startAdmin(addr, server);
  log(`admin on http://${formatAddress(admin.address)} (/healthz /readyz /metrics)`);
  server.once('close', () => void admin.close());
  return admin;
}

/** Starts the admin server for `target`; rejects with a WasmxError (exit 2) when the address cannot be bound. */
export function startAdmin(addr: AdminAddress, target: AdminTarget, opts: AdminOptions = {}): Promise<AdminServer> {
  const metrics = new AdminMetrics(target, opts.importStats === undefined ? addonImportStats() : opts.importStats);
  let stopped = false;
  const server = http.createServer((req, res) => {
    const reply = (status: number, body: string, type = 'text/plain; charset=utf-8'): void => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    try {
      route(req, res, reply);
    } catch (e) {
      // A failed read of the addon must cost one response, never the server.
      if (!res.headersSent) reply(500, `admin: ${(e as Error).message}\n`);
    }
  });
  const route = (req: http.IncomingMessage, res: http.ServerResponse, reply: (status: number, body: string, type?: string) => void): void => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return reply(405, 'method not allowed\n');
    }
    if (path === '/healthz') return stopped ? reply(503, 'stopped\n') : reply(200, 'ok\n');
    if (path === '/readyz') {
      const why = stopped ? 'stopped' : notReadyReason(target);
      return why ? reply(503, `not ready: ${why}\n`) : reply(200, 'ready\n');
    }
    if (path === '/metrics') {
      metrics.render().then(
        (text) => reply(200, text, metrics.registry.contentType),
        (e: Error) => reply(500, `metrics failed: ${e.message}\n`),
      );
      return;
    }
    reply(404, 'not found (try /healthz, /readyz, /metrics)\n');
  };
  server.keepAliveTimeout = 65_000; // longer than scrapers' and load balancers' idle timeouts
  return new Promise((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      const hint = e.code === 'EADDRINUSE' ? 'address in use' : e.code === 'EACCES' ? 'permission denied' : e.code === 'EADDRNOTAVAIL' ? 'no such local address' : e.message;
      reject(new WasmxError(`--admin ${formatAddress(addr)}: cannot listen: ${hint}`, 2));
    });
    server.listen(addr.port, addr.host, () => {
      const a = server.address() as { address: string; port: number };
      // The admin server must not keep a library host alive by itself.
      server.unref();
      resolve({
        address: { host: a.address, port: a.port },
        metrics,
        close: () =>
          new Promise<void>((r) => {
            stopped = true;
            server.closeAllConnections();
            server.close(() => r());
          }),
      });
    });
  });
}
