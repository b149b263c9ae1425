#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <cstring>

#include "syscall.h"

namespace wasmx {
// tty_t (24 B, ABI §6.7) describing the host's stdio, which the guest's fds 0..2 are:
//   stdin_tty/stdout_tty/stderr_tty = isatty(0/1/2);
//   cols/rows/width/height = TIOCGWINSZ of the first of stdout, stderr, stdin that is a terminal (0 if none);
//   echo/line_buffered = ECHO/ICANON of stdin's termios, line_feeds = OPOST|ONLCR of stdout's (0 when not ttys).
// With no terminal at all (pipes, files: tests, services) every field is 0: "not a tty".
static Errno tty_get(Instance& inst, uint32_t tty_p) {
  uint8_t b[24] = {0};
  const bool tty[3] = {isatty(0) == 1, isatty(1) == 1, isatty(2) == 1};
  for (int fd : {1, 2, 0}) {
    struct winsize ws;
    if (tty[fd] && ioctl(fd, TIOCGWINSZ, &ws) == 0) {
      uint32_t v[4] = {ws.ws_col, ws.ws_row, ws.ws_xpixel, ws.ws_ypixel};
      std::memcpy(b, v, sizeof v);
      break;
    }
  }
  b[16] = tty[0];
  b[17] = tty[1];
  b[18] = tty[2];
  struct termios t;
  if (tty[0] && tcgetattr(0, &t) == 0) {
    b[19] = (t.c_lflag & ECHO) != 0;
    b[20] = (t.c_lflag & ICANON) != 0;
  }
  if (tty[1] && tcgetattr(1, &t) == 0) b[21] = (t.c_oflag & OPOST) && (t.c_oflag & ONLCR);
  return inst.mem.Write(tty_p, b, sizeof b) ? err::SUCCESS : err::FAULT;
}
WASMX_WASIX(tty_get);
}  // namespace wasmx
