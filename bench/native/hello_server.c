// The benchmark's baseline: the article's server loop in C, built natively with the system cc by bench/run.js.
// One thread, blocking sockets, forever: accept -> send the fixed response -> shutdown -> close. It makes the same
// calls as examples/hello-server.wat, one for one, so that the comparison is of the runtimes and not of the loops:
// backlog 1024, shutdown(SHUT_WR) so the FIN follows the response, then one non-blocking recv that drains the
// request (closing with unread bytes would send RST instead of FIN; see the WAT's header), then close.
//
// Usage: hello_server PORT [HOST]   (HOST defaults to 127.0.0.1)
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const char kResponse[] = "HTTP/1.1 200 OK\r\n\r\nHello, World!";

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s PORT [HOST]\n", argv[0]);
    return 2;
  }
  int port = atoi(argv[1]);
  const char* host = argc > 2 ? argv[2] : "127.0.0.1";
  signal(SIGPIPE, SIG_IGN);  // a client that went away must not kill the server

  int lfd = socket(AF_INET, SOCK_STREAM, 0);
  if (lfd < 0) {
    perror("socket");
    return 1;
  }
  int one = 1;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons((unsigned short)port);
  if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) {
    fprintf(stderr, "bad host %s\n", host);
    return 2;
  }
  if (bind(lfd, (struct sockaddr*)&addr, sizeof addr) < 0) {
    perror("bind");
    return 1;
  }
  if (listen(lfd, 1024) < 0) {
    perror("listen");
    return 1;
  }
  fprintf(stderr, "listening on %s:%d\n", host, port);

  for (;;) {
    int cfd = accept(lfd, NULL, NULL);
    if (cfd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      perror("accept");
      return 1;
    }
    char drain[256];
    send(cfd, kResponse, sizeof kResponse - 1, 0);
    shutdown(cfd, SHUT_WR);
    recv(cfd, drain, sizeof drain, MSG_DONTWAIT);
    close(cfd);
  }
}
