// WASI / WASIX constants used by the host side. Values follow ../shared/wasix-abi.md (§1.2, §4, §6).
#pragma once
#include <cstdint>

namespace wasmx {

using Errno = uint16_t;

namespace err {
constexpr Errno SUCCESS = 0, TOOBIG = 1, ACCES = 2, ADDRINUSE = 3, ADDRNOTAVAIL = 4, AFNOSUPPORT = 5, AGAIN = 6,
                ALREADY = 7, BADF = 8, BADMSG = 9, BUSY = 10, CANCELED = 11, CHILD = 12, CONNABORTED = 13,
                CONNREFUSED = 14, CONNRESET = 15, DEADLK = 16, DESTADDRREQ = 17, DOM = 18, DQUOT = 19, EXIST = 20,
                FAULT = 21, FBIG = 22, HOSTUNREACH = 23, IDRM = 24, ILSEQ = 25, INPROGRESS = 26, INTR = 27,
                INVAL = 28, IO = 29, ISCONN = 30, ISDIR = 31, LOOP = 32, MFILE = 33, MLINK = 34, MSGSIZE = 35,
                MULTIHOP = 36, NAMETOOLONG = 37, NETDOWN = 38, NETRESET = 39, NETUNREACH = 40, NFILE = 41,
                NOBUFS = 42, NODEV = 43, NOENT = 44, NOEXEC = 45, NOLCK = 46, NOLINK = 47, NOMEM = 48, NOMSG = 49,
                NOPROTOOPT = 50, NOSPC = 51, NOSYS = 52, NOTCONN = 53, NOTDIR = 54, NOTEMPTY = 55,
                NOTRECOVERABLE = 56, NOTSOCK = 57, NOTSUP = 58, NOTTY = 59, NXIO = 60, OVERFLOW = 61,
                OWNERDEAD = 62, PERM = 63, PIPE = 64, PROTO = 65, PROTONOSUPPORT = 66, PROTOTYPE = 67, RANGE = 68,
                ROFS = 69, SPIPE = 70, SRCH = 71, STALE = 72, TIMEDOUT = 73, TXTBSY = 74, XDEV = 75,
                NOTCAPABLE = 76, SHUTDOWN = 77, MEMVIOLATION = 78, UNKNOWN = 79, PENDING = 80;
}  // namespace err

namespace filetype {
constexpr uint8_t UNKNOWN = 0, BLOCK_DEVICE = 1, CHARACTER_DEVICE = 2, DIRECTORY = 3, REGULAR_FILE = 4,
                  SOCKET_DGRAM = 5, SOCKET_STREAM = 6, SYMBOLIC_LINK = 7;
}

namespace fdflags {
constexpr uint16_t APPEND = 1, DSYNC = 2, NONBLOCK = 4, RSYNC = 8, SYNC = 16, ALL = 31;
}
namespace fdflagsext {
constexpr uint16_t CLOEXEC = 1;
}
namespace oflags {
constexpr uint16_t CREAT = 1, DIRECTORY = 2, EXCL = 4, TRUNC = 8, ALL = 15;
}
namespace lookupflags {
constexpr uint32_t SYMLINK_FOLLOW = 1;
}
namespace whence {
constexpr uint8_t SET = 0, CUR = 1, END = 2;
}
namespace clockid {
constexpr uint32_t REALTIME = 0, MONOTONIC = 1, PROCESS_CPUTIME_ID = 2, THREAD_CPUTIME_ID = 3;
}
namespace eventtype {
constexpr uint8_t CLOCK = 0, FD_READ = 1, FD_WRITE = 2;
}
namespace eventrwflags {
constexpr uint16_t HANGUP = 1;
}
namespace subclockflags {
constexpr uint16_t ABSTIME = 1;
}
namespace riflags {
constexpr uint16_t PEEK = 1, WAITALL = 2, DATA_TRUNCATED = 4, DONT_WAIT = 8;
}
namespace roflags {
constexpr uint16_t DATA_TRUNCATED = 1;
}
namespace siflags {
constexpr uint16_t DONT_WAIT = 1;
}
namespace sdflags {
constexpr uint8_t RD = 1, WR = 2;
}
namespace af {
constexpr uint8_t UNSPEC = 0, INET4 = 1, INET6 = 2, UNIX = 3;
}
namespace socktype {
constexpr uint8_t UNUSED = 0, STREAM = 1, DGRAM = 2, RAW = 3, SEQPACKET = 4;
}
namespace sockproto {
constexpr uint16_t IP = 0, TCP = 6, UDP = 17;
}
namespace sockstatus {
constexpr uint8_t OPENING = 0, OPENED = 1, CLOSED = 2, FAILED = 3;
}
namespace sockopt {
constexpr uint8_t NOOP = 0, REUSE_PORT = 1, REUSE_ADDR = 2, NO_DELAY = 3, DONT_ROUTE = 4, ONLY_V6 = 5,
                  BROADCAST = 6, MULTICAST_LOOP_V4 = 7, MULTICAST_LOOP_V6 = 8, PROMISCUOUS = 9, LISTENING = 10,
                  LAST_ERROR = 11, KEEP_ALIVE = 12, LINGER = 13, OOB_INLINE = 14, RECV_BUF_SIZE = 15,
                  SEND_BUF_SIZE = 16, RECV_LOWAT = 17, SEND_LOWAT = 18, RECV_TIMEOUT = 19, SEND_TIMEOUT = 20,
                  CONNECT_TIMEOUT = 21, ACCEPT_TIMEOUT = 22, TTL = 23, MULTICAST_TTL_V4 = 24, TYPE = 25, PROTO = 26;
}

// Rights (u64 bit positions, §4.3). Only the bits the host checks are named.
namespace rights {
constexpr uint64_t FD_DATASYNC = 1ull << 0, FD_READ = 1ull << 1, FD_SEEK = 1ull << 2,
                   FD_FDSTAT_SET_FLAGS = 1ull << 3, FD_SYNC = 1ull << 4, FD_TELL = 1ull << 5, FD_WRITE = 1ull << 6,
                   FD_ADVISE = 1ull << 7, FD_ALLOCATE = 1ull << 8, PATH_CREATE_DIRECTORY = 1ull << 9,
                   PATH_CREATE_FILE = 1ull << 10, PATH_LINK_SOURCE = 1ull << 11, PATH_LINK_TARGET = 1ull << 12,
                   PATH_OPEN = 1ull << 13, FD_READDIR = 1ull << 14, PATH_READLINK = 1ull << 15,
                   PATH_RENAME_SOURCE = 1ull << 16, PATH_RENAME_TARGET = 1ull << 17,
                   PATH_FILESTAT_GET = 1ull << 18, PATH_FILESTAT_SET_SIZE = 1ull << 19,
                   PATH_FILESTAT_SET_TIMES = 1ull << 20, FD_FILESTAT_GET = 1ull << 21,
                   FD_FILESTAT_SET_SIZE = 1ull << 22, FD_FILESTAT_SET_TIMES = 1ull << 23, PATH_SYMLINK = 1ull << 24,
                   PATH_REMOVE_DIRECTORY = 1ull << 25, PATH_UNLINK_FILE = 1ull << 26,
                   POLL_FD_READWRITE = 1ull << 27, SOCK_SHUTDOWN = 1ull << 28, SOCK_ACCEPT = 1ull << 29,
                   SOCK_ALL = 0x1FFull << 30;  // bits 30..38: connect, listen, bind, recv, send, addr_*, recv_from, send_to
constexpr uint64_t ALL = (1ull << 39) - 1;
// What an open file can carry (uvwasi's REGULAR_FILE_BASE): every fd_* right, no path_* right.
constexpr uint64_t FILE_BASE = FD_DATASYNC | FD_READ | FD_SEEK | FD_FDSTAT_SET_FLAGS | FD_SYNC | FD_TELL | FD_WRITE |
                               FD_ADVISE | FD_ALLOCATE | FD_FILESTAT_GET | FD_FILESTAT_SET_SIZE |
                               FD_FILESTAT_SET_TIMES | POLL_FD_READWRITE;
// What a directory fd can carry: every path_* right and the fd_* rights that mean something on a directory
// (uvwasi's DIRECTORY_BASE, plus FD_DATASYNC for fdatasync(dirfd)); never FD_READ / FD_WRITE / FD_SEEK / FD_TELL /
// FD_ALLOCATE / FD_FILESTAT_SET_SIZE. A superset of what wasmtime advertises for a preopen.
constexpr uint64_t DIR_BASE = FD_DATASYNC | FD_FDSTAT_SET_FLAGS | FD_SYNC | FD_ADVISE | PATH_CREATE_DIRECTORY |
                              PATH_CREATE_FILE | PATH_LINK_SOURCE | PATH_LINK_TARGET | PATH_OPEN | FD_READDIR |
                              PATH_READLINK | PATH_RENAME_SOURCE | PATH_RENAME_TARGET | PATH_FILESTAT_GET |
                              PATH_FILESTAT_SET_SIZE | PATH_FILESTAT_SET_TIMES | FD_FILESTAT_GET |
                              FD_FILESTAT_SET_TIMES | PATH_SYMLINK | PATH_REMOVE_DIRECTORY | PATH_UNLINK_FILE |
                              POLL_FD_READWRITE;
// What a directory passes on to what is opened beneath it.
constexpr uint64_t DIR_INHERITING = DIR_BASE | FILE_BASE;
// The rights an fd's file type can take away (a terminal also loses FD_SEEK / FD_TELL).
constexpr uint64_t TYPE_DEPENDENT = ((DIR_BASE | FILE_BASE) & ~(DIR_BASE & FILE_BASE)) | FD_SEEK | FD_TELL;
}  // namespace rights

}  // namespace wasmx
