/**
 * Event-driven I/O: epoll (epoll_create/ctl/wait) over the host poller, fd_pipe, fd_event, fd_dup/fd_dup2 and
 * sock_pair, exercised by C guests (test/fixtures/c/epoll_*.c) against real kernel objects. Each fixture case
 * checks its own expectations and prints "ok CASE" or "FAIL file:line: ..." (exit 1).
 */
import { describe, expect, it } from 'vitest';
import { native } from '../src/native';
import { cfix, wasmx, wat } from './helpers';

async function runCase(fixture: string, name: string, flags: string[] = []): Promise<void> {
  const r = await wasmx(['run', '--quiet', ...flags, cfix(fixture), name], { timeoutMs: 25_000 });
  const out = r.stdout.toString('utf8');
  // The guest's own failure line is the useful message when this fails.
  expect({ code: r.code, out: out.trim(), stderr: r.stderr.trim() }).toEqual({ code: 0, out: `ok ${name}`, stderr: '' });
}

describe('epoll imports', () => {
  it('have the exact wasix_32v1 signatures of the ABI (i64 timeout / initial value)', () => {
    const table = new Map(native().importTable().filter((d) => d.module === 'wasix_32v1').map((d) => [d.name, d.signature]));
    expect(Object.fromEntries(['epoll_create', 'epoll_ctl', 'epoll_wait', 'fd_pipe', 'fd_event', 'fd_dup', 'fd_dup2', 'sock_pair'].map((n) => [n, table.get(n)]))).toEqual({
      epoll_create: 'i:i',
      epoll_ctl: 'iiii:i',
      epoll_wait: 'iiiIi:i',
      fd_pipe: 'ii:i',
      fd_event: 'Iii:i',
      fd_dup: 'ii:i',
      fd_dup2: 'iiii:i',
      sock_pair: 'iiiii:i',
    });
  });
});

describe('epoll readiness', () => {
  const cases: Array<[string, string]> = [
    ['lt_pipe', 'level-triggered on a pipe: reported until consumed'],
    ['et_pipe', 'edge-triggered on a pipe: one report per new data'],
    ['lt_event', 'level-triggered on an event fd, IN and OUT merged into one event'],
    ['et_event', 'edge-triggered on an event fd'],
    ['oneshot', 'ONESHOT reports once and is re-armed by a modify with op 3 and op 1'],
    ['ops', 'op encodings: 0 = strict add (EXIST), 1 and 3 = add-or-modify, other ops INVAL'],
    ['del', 'DEL removes (event pointer 0 allowed); DEL of an unregistered fd is NOENT'],
    ['stale', 'a closed fd leaves every set; its reused number never sees the old registration'],
    ['stale_dup', 'an orphaned registration (kept by a dup) is replaced when its number is reused and added'],
    ['dup_both', 'two dups of one file registered separately; the last close removes the registration'],
    ['many_sets', 'one fd in several sets: a closed set does not disturb the others; closing the fd clears all'],
    ['timeouts', 'timeout 0, 1 ns and finite expire with 0 events; forever returns for a ready fd'],
    ['data_echo', 'all 24 data bytes echoed verbatim, padding zeroed, exact event bits'],
    ['maxevents', 'at most maxevents written (nothing past them); the rest come in later waits; 0 is INVAL'],
    ['hup_err', 'HUP on a pipe read end and ERR on a write end are reported although not requested'],
    ['nested', 'an epoll fd inside another reports readiness; a loop is refused'],
    ['exclusive', 'EPOLLEXCLUSIVE is accepted on add and refused on modify / with ONESHOT'],
    ['errors', 'BADF for closed fds, INVAL for a non-epoll epfd / fd == epfd / bad op, FAULT past memory'],
    ['again', 'AGAIN on an empty non-blocking pipe read and a full pipe write, only when nothing moved'],
    ['thousand', '1100 pipes in one set: each ready fd reported exactly once'],
  ];
  for (const [name, what] of cases) it(what, () => runCase('epoll_cases', name));
});

describe('pipes, event fds, dup, socket pairs', () => {
  const cases: Array<[string, string]> = [
    ['pipe_basic', 'fd_pipe: read end / write end, POSIX one-way, NONBLOCK reaches the host fd, EOF'],
    ['event_counter', 'fd_event: counter adds up, reads reset it, < 8 bytes INVAL, overflow AGAIN, 64-bit initial value'],
    ['event_semaphore', 'fd_event SEMAPHORE: each read takes 1; NONBLOCK flag honoured; epoll follows the counter'],
    ['event_blocking', 'a blocking event fd read with a non-zero counter returns'],
    ['dup_numbering', 'fd_dup takes the lowest free fd; fd_dup2 the lowest free >= min; BADF / INVAL'],
    ['dup_shares', 'dups share the open file: data, NONBLOCK and EOF after the last writer closes'],
    ['sockpair_stream', 'sock_pair STREAM: duplex; peer close reports IN | RDHUP | HUP'],
    ['sockpair_dgram', 'sock_pair DGRAM keeps message boundaries'],
    ['sockpair_protos', 'sock_pair protocol: 0, TCP for STREAM and UDP for DGRAM (what wasix-libc passes) work; others PROTONOSUPPORT'],
    ['sockpair_many', '1200 socket-pair fds in one edge-triggered set, drained with libc-sized waits'],
  ];
  for (const [name, what] of cases) it(what, () => runCase('epoll_fdops', name));
});

describe('epoll on TCP sockets (loopback)', () => {
  const cases: Array<[string, string]> = [
    ['listener_many', 'a listener is readable while connections are pending: 300 connections accepted, each one\'s data reported once'],
    ['peer_close', 'peer shutdown reports IN | RDHUP (no HUP), HUP once both sides are shut; peer close gives IN and EOF'],
    ['epollout', 'EPOLLOUT: writable, not after AGAIN on a full send path, an edge again once the peer reads'],
  ];
  for (const [name, what] of cases) it(what, () => runCase('epoll_sock', name, ['--net']));
});

describe('epoll with guest threads', () => {
  it('a thread blocked in epoll_wait sees fds added by another thread, and never registrations closed under it', async () => {
    // 200 rounds: add a pipe (same fd numbers every round), write, the waiter reports and consumes, then close.
    const r = await wasmx(['run', wat('epoll_mt')], { timeoutMs: 25_000 });
    expect({ code: r.code, out: r.stdout.toString(), stderr: r.stderr }).toEqual({ code: 0, out: 'events=200 stale=0\n', stderr: '' });
  });
});
