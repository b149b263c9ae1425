/*
 * keepalive-server: a minimal HTTP/1.1 keep-alive server — one thread, one level-triggered epoll loop,
 * non-blocking sockets — written against POSIX so the same file builds two ways:
 *
 *   WASIX:  node scripts/build-fixtures.js examples/keepalive-server/server.c server.wasm
 *           (wasm32-wasi + Debian's wasi-libc; the socket/epoll calls come from wasix_posix.h)
 *           wasmx run --net --env PORT=8080 server.wasm
 *   native: cc -O2 -o keepalive-server examples/keepalive-server/server.c && ./keepalive-server 8080
 *
 * Every request gets the same fixed response (RESP_OK). Behaviour:
 *   - keep-alive by default (HTTP/1.1); HTTP/1.0 only with "Connection: keep-alive";
 *   - pipelined requests (several in one read) and requests split across reads: each connection has an input
 *     buffer; a request is complete at "\r\n\r\n"; a "Content-Length: N" body is read and discarded;
 *   - "Connection: close" → the response (with "Connection: close"), then the write side is shut down;
 *   - malformed request, oversized head (> IN_CAP) or Transfer-Encoding → 400 and close;
 *   - peer close / recv or send error → close; idle for IDLE_TIMEOUT_MS (env, default 30000) → close;
 *   - closing after a final response is "lingering": shutdown(SHUT_WR), then discard input until the peer closes
 *     (or the idle timeout), so unread pipelined input cannot turn the close into a reset that loses the response.
 *
 * Cost per batch of requests on one connection: one recv, one send; no allocation (buffers live in the
 * connection, connections are recycled); epoll_ctl only when output backs up (interest switches to EPOLLOUT
 * alone until it drains, which also stops reading — backpressure) and back.
 *
 * Configuration: port = argv[1], else env PORT, else 8080; address = env HOST (IPv4), else 127.0.0.1.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* accept4 */
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef __wasi__
#include "wasix_posix.h"
#else
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#endif

#define IN_CAP 8192    /* request head limit and read size */
#define OUT_CAP 16384  /* pending output per connection */
#define MAX_EVENTS 64
#define ACCEPT_BATCH 64
#define MAX_RESP 128   /* room needed for any one response */

#define BODY "Hello, World!"
static const char RESP_OK[] = "HTTP/1.1 200 OK\r\nContent-Length: 13\r\nContent-Type: text/plain\r\n\r\n" BODY;
static const char RESP_OK_CLOSE[] =
    "HTTP/1.1 200 OK\r\nContent-Length: 13\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n" BODY;
static const char RESP_OK_KEEPALIVE[] =
    "HTTP/1.1 200 OK\r\nContent-Length: 13\r\nContent-Type: text/plain\r\nConnection: keep-alive\r\n\r\n" BODY;
static const char RESP_400[] = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
_Static_assert(sizeof(RESP_OK_KEEPALIVE) <= MAX_RESP && sizeof(RESP_OK_CLOSE) <= MAX_RESP && sizeof(RESP_400) <= MAX_RESP,
               "MAX_RESP covers every response");

typedef struct conn {
  int fd;
  uint32_t interest;  /* EPOLLIN, or EPOLLOUT while output is pending */
  uint32_t in_len;    /* bytes in in[] (the current request starts at 0) */
  uint32_t scanned;   /* bytes of the current request already searched for the end of the head */
  uint64_t body_left; /* body bytes of the last request still to discard */
  uint32_t out_off, out_len; /* pending output: out[out_off .. out_len) */
  uint8_t closing;    /* a final response is queued: parse nothing more; shut down once it is sent */
  uint8_t lingering;  /* write side shut down: discard input until EOF */
  int64_t last;       /* ms (monotonic) of the last activity */
  struct conn *prev, *next; /* idle list (oldest first); next links the free list */
  char in[IN_CAP];
  char out[OUT_CAP];
} conn_t;

static int ep;
static int64_t now;            /* ms, refreshed after each epoll_wait */
static int64_t idle_ms = 30000;
static conn_t **conns;         /* indexed by fd */
static size_t nconns;
static conn_t *free_list;
static conn_t idle = {.prev = &idle, .next = &idle}; /* sentinel of the idle list */
static char scratch[4096];     /* discarded input while lingering */

static int64_t monotonic_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void idle_unlink(conn_t *c) {
  c->prev->next = c->next;
  c->next->prev = c->prev;
}
/* Marks activity: the connection becomes the newest of the idle list. */
static void touch(conn_t *c) {
  c->last = now;
  if (idle.prev == c) return;
  idle_unlink(c);
  c->prev = idle.prev;
  c->next = &idle;
  idle.prev->next = c;
  idle.prev = c;
}

static void close_conn(conn_t *c) {
  close(c->fd); /* also drops the epoll registration (the only descriptor of the socket) */
  conns[c->fd] = NULL;
  idle_unlink(c);
  c->next = free_list;
  free_list = c;
}

static void set_interest(conn_t *c, uint32_t events) {
  if (c->interest == events) return;
  struct epoll_event ev;
  memset(&ev, 0, sizeof ev);
  ev.events = events;
  ev.data.fd = c->fd;
  if (epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev) == 0) c->interest = events;
}

/* Sends pending output once. 1 = all sent, 0 = some still pending (socket full), -1 = connection broken. */
static int flush(conn_t *c) {
  while (c->out_off < c->out_len) {
    size_t len = c->out_len - c->out_off;
    ssize_t n = send(c->fd, c->out + c->out_off, len, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
      return -1;
    }
    c->out_off += (uint32_t)n;
    if ((size_t)n < len) return 0; /* short write: the socket buffer is full, wait for EPOLLOUT */
  }
  c->out_off = c->out_len = 0;
  return 1;
}

static void emit(conn_t *c, const char *resp, size_t len) {
  memcpy(c->out + c->out_len, resp, len);
  c->out_len += (uint32_t)len;
}

/* The offset just past the "\r\n\r\n" ending the head in buf[0..len), or 0 if it has not arrived yet.
 * *scanned remembers how far earlier calls looked, so a head arriving byte by byte is scanned once. */
static size_t head_end(const char *buf, size_t len, uint32_t *scanned) {
  size_t i = *scanned > 3 ? *scanned - 3 : 0; /* a terminator may straddle the previous end */
  while (i + 4 <= len) {
    const char *nl = memchr(buf + i + 3, '\n', len - i - 3);
    if (!nl) break;
    size_t j = (size_t)(nl - buf);
    if (buf[j - 1] == '\r' && buf[j - 2] == '\n' && buf[j - 3] == '\r') return j + 1;
    i = j - 2; /* the next candidate '\n' lies after j */
  }
  *scanned = (uint32_t)len;
  return 0;
}

static int is_tchar(unsigned char ch) {
  /* RFC 9110 token characters */
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
         (ch && strchr("!#$%&'*+-.^_`|~", ch) != NULL);
}

static int ieq(const char *a, size_t alen, const char *lit) {
  size_t n = strlen(lit);
  if (alen != n) return 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)a[i];
    if (ch >= 'A' && ch <= 'Z') ch = (unsigned char)(ch + 32);
    if (ch != (unsigned char)lit[i]) return 0;
  }
  return 1;
}

typedef struct {
  int close;         /* the connection ends after this response */
  int keepalive_hdr; /* HTTP/1.0 with "Connection: keep-alive" */
  uint64_t body;     /* Content-Length */
} req_t;

/* Parses a complete head p[0..len) (ending in "\r\n\r\n"). 0 = valid, -1 = malformed / unsupported. */
static int parse_head(const char *p, size_t len, req_t *r) {
  const char *end = p + len - 2; /* the final empty line's CRLF */
  const char *s = p;
  /* request-line = method SP request-target SP HTTP-version CRLF */
  while (s < end && is_tchar((unsigned char)*s)) s++;
  if (s == p || *s != ' ') return -1;
  const char *t = ++s;
  while (s < end && (unsigned char)*s > ' ' && *s != 0x7f) s++;
  if (s == t || *s != ' ') return -1;
  s++;
  if (end - s < 10 || memcmp(s, "HTTP/1.", 7) != 0 || s[7] < '0' || s[7] > '9' || s[8] != '\r' || s[9] != '\n')
    return -1;
  int http10 = s[7] == '0';
  s += 10;
  int conn_close = 0, conn_keepalive = 0, have_len = 0;
  uint64_t clen = 0;
  /* header-field = field-name ":" OWS field-value OWS CRLF */
  while (s < end) {
    const char *name = s;
    while (s < end && is_tchar((unsigned char)*s)) s++;
    if (s == name || *s != ':') return -1;
    size_t name_len = (size_t)(s - name);
    s++;
    const char *eol = memchr(s, '\r', (size_t)(end - s) + 1); /* found by end at the latest */
    if (!eol || eol[1] != '\n') return -1;
    const char *v = s, *ve = eol;
    while (v < ve && (*v == ' ' || *v == '\t')) v++;
    while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t')) ve--;
    for (const char *q = v; q < ve; q++)
      if (*q == '\n' || *q == '\0') return -1;
    if (ieq(name, name_len, "content-length")) {
      if (v == ve || ve - v > 18) return -1;
      uint64_t n = 0;
      for (const char *q = v; q < ve; q++) {
        if (*q < '0' || *q > '9') return -1;
        n = n * 10 + (uint64_t)(*q - '0');
      }
      if (have_len && n != clen) return -1;
      have_len = 1;
      clen = n;
    } else if (ieq(name, name_len, "transfer-encoding")) {
      return -1; /* chunked bodies are not supported: refuse rather than misparse the stream */
    } else if (ieq(name, name_len, "connection")) {
      const char *q = v;
      while (q < ve) { /* comma-separated tokens */
        while (q < ve && (*q == ' ' || *q == '\t' || *q == ',')) q++;
        const char *tok = q;
        while (q < ve && *q != ',' && *q != ' ' && *q != '\t') q++;
        if (ieq(tok, (size_t)(q - tok), "close")) conn_close = 1;
        else if (ieq(tok, (size_t)(q - tok), "keep-alive")) conn_keepalive = 1;
      }
    }
    s = eol + 2;
  }
  r->body = clen;
  r->keepalive_hdr = http10 && conn_keepalive && !conn_close;
  r->close = conn_close || (http10 && !conn_keepalive);
  return 0;
}

/* Turns buffered input into queued responses. Returns 1 when it stopped because the output buffer is full
 * (input may remain), 0 when it needs more input or the connection is closing. */
static int parse_requests(conn_t *c) {
  size_t pos = 0;
  int full = 0;
  while (!c->closing) {
    if (c->body_left) {
      size_t avail = c->in_len - pos;
      size_t skip = c->body_left < avail ? (size_t)c->body_left : avail;
      pos += skip;
      c->body_left -= skip;
      if (c->body_left) break;
    }
    if (pos == c->in_len) break;
    if (OUT_CAP - c->out_len < MAX_RESP) {
      full = 1;
      break;
    }
    size_t n = head_end(c->in + pos, c->in_len - pos, &c->scanned);
    if (!n) {
      if (c->in_len - pos >= IN_CAP) { /* a head larger than the buffer */
        emit(c, RESP_400, sizeof RESP_400 - 1);
        c->closing = 1;
      }
      break;
    }
    req_t r;
    if (parse_head(c->in + pos, n, &r) != 0) {
      emit(c, RESP_400, sizeof RESP_400 - 1);
      c->closing = 1;
      break;
    }
    if (r.close) {
      emit(c, RESP_OK_CLOSE, sizeof RESP_OK_CLOSE - 1);
      c->closing = 1;
    } else if (r.keepalive_hdr) {
      emit(c, RESP_OK_KEEPALIVE, sizeof RESP_OK_KEEPALIVE - 1);
    } else {
      emit(c, RESP_OK, sizeof RESP_OK - 1);
    }
    pos += n;
    c->scanned = 0;
    c->body_left = r.body;
  }
  if (pos) { /* the unconsumed tail (a partial request) moves to the front */
    memmove(c->in, c->in + pos, c->in_len - pos);
    c->in_len -= (uint32_t)pos;
  }
  return full;
}

/* After new input or drained output: answer what is buffered, send, and pick the interest for what comes next. */
static void progress(conn_t *c) {
  for (;;) {
    int full = parse_requests(c);
    int r = flush(c);
    if (r < 0) {
      close_conn(c);
      return;
    }
    if (r == 0) {
      set_interest(c, EPOLLOUT);
      return;
    }
    if (!full) break;
  }
  if (c->closing && !c->lingering) {
    shutdown(c->fd, SHUT_WR);
    c->lingering = 1;
    c->in_len = 0;
  }
  set_interest(c, EPOLLIN);
}

static void on_readable(conn_t *c) {
  if (c->lingering) {
    ssize_t n = recv(c->fd, scratch, sizeof scratch, 0);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) close_conn(c);
    return; /* no touch(): lingering is bounded by the idle timeout */
  }
  if (c->in_len >= IN_CAP) return; /* cannot happen: a full buffer without a head is answered with 400 */
  ssize_t n = recv(c->fd, c->in + c->in_len, IN_CAP - c->in_len, 0);
  if (n <= 0) {
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
    close_conn(c); /* peer closed or the connection broke */
    return;
  }
  c->in_len += (uint32_t)n;
  touch(c);
  progress(c);
}

static void on_writable(conn_t *c) {
  int r = flush(c);
  if (r < 0) {
    close_conn(c);
    return;
  }
  touch(c);
  if (r == 1) progress(c); /* answer input held back while output was pending */
}

static conn_t *conn_new(int fd) {
  if ((size_t)fd >= nconns) {
    size_t n = nconns ? nconns : 64;
    while (n <= (size_t)fd) n *= 2;
    conn_t **grown = realloc(conns, n * sizeof *grown);
    if (!grown) return NULL;
    memset(grown + nconns, 0, (n - nconns) * sizeof *grown);
    conns = grown;
    nconns = n;
  }
  conn_t *c = free_list;
  if (c) free_list = c->next;
  else if (!(c = malloc(sizeof *c))) return NULL;
  c->fd = fd;
  c->interest = EPOLLIN;
  c->in_len = c->scanned = 0;
  c->body_left = 0;
  c->out_off = c->out_len = 0;
  c->closing = c->lingering = 0;
  c->prev = c->next = c;
  c->last = now;
  conns[fd] = c;
  return c;
}

static void on_accept(int lfd) {
  for (int i = 0; i < ACCEPT_BATCH; i++) {
    int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) perror("accept4");
      return;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); /* best effort */
    conn_t *c = conn_new(fd);
    struct epoll_event ev;
    memset(&ev, 0, sizeof ev);
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    if (!c || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
      perror("accept: connection setup");
      if (c) {
        conns[fd] = NULL;
        c->next = free_list;
        free_list = c;
      }
      close(fd);
      continue;
    }
    touch(c); /* links it as the newest of the idle list */
  }
}

/* Closes connections idle for idle_ms; returns the epoll_wait timeout until the next one is due (-1: none). */
static int expire_idle(void) {
  while (idle.next != &idle) {
    conn_t *c = idle.next;
    int64_t due = c->last + idle_ms;
    if (due > now) {
      int64_t wait = due - now;
      return wait > 0x7fffffff ? 0x7fffffff : (int)wait;
    }
    close_conn(c);
  }
  return -1;
}

static int parse_port(const char *s) {
  char *e;
  long v = strtol(s, &e, 10);
  return (*s && !*e && v > 0 && v < 65536) ? (int)v : -1;
}

int main(int argc, char **argv) {
  const char *ps = argc > 1 ? argv[1] : getenv("PORT");
  int port = ps ? parse_port(ps) : 8080;
  if (port < 0) {
    fprintf(stderr, "keepalive-server: bad port '%s'\n", ps);
    return 2;
  }
  const char *host = getenv("HOST");
  if (!host || !*host) host = "127.0.0.1";
  const char *it = getenv("IDLE_TIMEOUT_MS");
  if (it && strtol(it, NULL, 10) > 0) idle_ms = strtol(it, NULL, 10);
#ifndef __wasi__
  signal(SIGPIPE, SIG_IGN);
#endif

  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons((uint16_t)port);
  if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) {
    fprintf(stderr, "keepalive-server: HOST must be an IPv4 address, got '%s'\n", host);
    return 2;
  }
  int lfd = socket(AF_INET, SOCK_STREAM, 0);
  if (lfd < 0) {
    perror("socket");
    return 1;
  }
  int one = 1;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(lfd, (struct sockaddr *)&addr, sizeof addr) < 0) {
    perror("bind");
    return 1;
  }
  if (listen(lfd, 1024) < 0) {
    perror("listen");
    return 1;
  }
  int fl = fcntl(lfd, F_GETFL);
  if (fl < 0 || fcntl(lfd, F_SETFL, fl | O_NONBLOCK) < 0) {
    perror("fcntl(O_NONBLOCK)");
    return 1;
  }
  ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) {
    perror("epoll_create1");
    return 1;
  }
  struct epoll_event ev;
  memset(&ev, 0, sizeof ev);
  ev.events = EPOLLIN;
  ev.data.fd = lfd;
  if (epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) < 0) {
    perror("epoll_ctl(listener)");
    return 1;
  }
  printf("listening on http://%s:%d/\n", host, port);
  fflush(stdout);

  static struct epoll_event evs[MAX_EVENTS];
  now = monotonic_ms();
  int timeout = -1;
  for (;;) {
    int n = epoll_wait(ep, evs, MAX_EVENTS, timeout);
    if (n < 0) {
      if (errno == EINTR) continue;
      perror("epoll_wait");
      return 1;
    }
    now = monotonic_ms();
    for (int i = 0; i < n; i++) {
      int fd = evs[i].data.fd;
      if (fd == lfd) {
        on_accept(lfd);
        continue;
      }
      conn_t *c = (size_t)fd < nconns ? conns[fd] : NULL;
      if (!c) continue; /* closed earlier in this batch */
      if (c->interest == EPOLLOUT) on_writable(c);
      else on_readable(c);
    }
    timeout = expire_idle();
  }
}
