#include "errno_map.h"

#include <cerrno>

namespace wasmx {

Errno WasiErrno(int e) {
  switch (e) {
    case 0: return err::SUCCESS;
    case E2BIG: return err::TOOBIG;
    case EACCES: return err::ACCES;
    case EADDRINUSE: return err::ADDRINUSE;
    case EADDRNOTAVAIL: return err::ADDRNOTAVAIL;
    case EAFNOSUPPORT: return err::AFNOSUPPORT;
    case EAGAIN: return err::AGAIN;
#if EWOULDBLOCK != EAGAIN
    case EWOULDBLOCK: return err::AGAIN;
#endif
    case EALREADY: return err::ALREADY;
    case EBADF: return err::BADF;
    case EBADMSG: return err::BADMSG;
    case EBUSY: return err::BUSY;
    case ECANCELED: return err::CANCELED;
    case ECHILD: return err::CHILD;
    case ECONNABORTED: return err::CONNABORTED;
    case ECONNREFUSED: return err::CONNREFUSED;
    case ECONNRESET: return err::CONNRESET;
    case EDEADLK: return err::DEADLK;
    case EDESTADDRREQ: return err::DESTADDRREQ;
    case EDOM: return err::DOM;
    case EDQUOT: return err::DQUOT;
    case EEXIST: return err::EXIST;
    case EFAULT: return err::FAULT;
    case EFBIG: return err::FBIG;
    case EHOSTUNREACH: return err::HOSTUNREACH;
    case EIDRM: return err::IDRM;
    case EILSEQ: return err::ILSEQ;
    case EINPROGRESS: return err::INPROGRESS;
    case EINTR: return err::INTR;
    case EINVAL: return err::INVAL;
    case EIO: return err::IO;
    case EISCONN: return err::ISCONN;
    case EISDIR: return err::ISDIR;
    case ELOOP: return err::LOOP;
    case EMFILE: return err::MFILE;
    case EMLINK: return err::MLINK;
    case EMSGSIZE: return err::MSGSIZE;
    case EMULTIHOP: return err::MULTIHOP;
    case ENAMETOOLONG: return err::NAMETOOLONG;
    case ENETDOWN: return err::NETDOWN;
    case ENETRESET: return err::NETRESET;
    case ENETUNREACH: return err::NETUNREACH;
    case ENFILE: return err::NFILE;
    case ENOBUFS: return err::NOBUFS;
    case ENODEV: return err::NODEV;
    case ENOENT: return err::NOENT;
    case ENOEXEC: return err::NOEXEC;
    case ENOLCK: return err::NOLCK;
    case ENOLINK: return err::NOLINK;
    case ENOMEM: return err::NOMEM;
    case ENOMSG: return err::NOMSG;
    case ENOPROTOOPT: return err::NOPROTOOPT;
    case ENOSPC: return err::NOSPC;
    case ENOSYS: return err::NOSYS;
    case ENOTCONN: return err::NOTCONN;
    case ENOTDIR: return err::NOTDIR;
    case ENOTEMPTY: return err::NOTEMPTY;
    case ENOTRECOVERABLE: return err::NOTRECOVERABLE;
    case ENOTSOCK: return err::NOTSOCK;
    case EOPNOTSUPP: return err::NOTSUP;
#if ENOTSUP != EOPNOTSUPP
    case ENOTSUP: return err::NOTSUP;
#endif
    case ENOTTY: return err::NOTTY;
    case ENXIO: return err::NXIO;
    case EOVERFLOW: return err::OVERFLOW;
    case EOWNERDEAD: return err::OWNERDEAD;
    case EPERM: return err::PERM;
    case EPIPE: return err::PIPE;
    case EPROTO: return err::PROTO;
    case EPROTONOSUPPORT: return err::PROTONOSUPPORT;
    case EPROTOTYPE: return err::PROTOTYPE;
    case ERANGE: return err::RANGE;
    case EROFS: return err::ROFS;
    case ESPIPE: return err::SPIPE;
    case ESRCH: return err::SRCH;
    case ESTALE: return err::STALE;
    case ETIMEDOUT: return err::TIMEDOUT;
    case ETXTBSY: return err::TXTBSY;
    case EXDEV: return err::XDEV;
#ifdef ESHUTDOWN
    case ESHUTDOWN: return err::SHUTDOWN;
#endif
    default: return err::IO;
  }
}

Errno LastErrno() { return WasiErrno(errno); }

const char* ErrnoName(Errno e) {
  // In value order (wasi_types.h): SUCCESS = 0 ... PENDING = 80.
  static const char* const kNames[] = {
      "SUCCESS", "TOOBIG", "ACCES", "ADDRINUSE", "ADDRNOTAVAIL", "AFNOSUPPORT", "AGAIN", "ALREADY", "BADF",
      "BADMSG", "BUSY", "CANCELED", "CHILD", "CONNABORTED", "CONNREFUSED", "CONNRESET", "DEADLK", "DESTADDRREQ",
      "DOM", "DQUOT", "EXIST", "FAULT", "FBIG", "HOSTUNREACH", "IDRM", "ILSEQ", "INPROGRESS", "INTR", "INVAL",
      "IO", "ISCONN", "ISDIR", "LOOP", "MFILE", "MLINK", "MSGSIZE", "MULTIHOP", "NAMETOOLONG", "NETDOWN",
      "NETRESET", "NETUNREACH", "NFILE", "NOBUFS", "NODEV", "NOENT", "NOEXEC", "NOLCK", "NOLINK", "NOMEM",
      "NOMSG", "NOPROTOOPT", "NOSPC", "NOSYS", "NOTCONN", "NOTDIR", "NOTEMPTY", "NOTRECOVERABLE", "NOTSOCK",
      "NOTSUP", "NOTTY", "NXIO", "OVERFLOW", "OWNERDEAD", "PERM", "PIPE", "PROTO", "PROTONOSUPPORT",
      "PROTOTYPE", "RANGE", "ROFS", "SPIPE", "SRCH", "STALE", "TIMEDOUT", "TXTBSY", "XDEV", "NOTCAPABLE",
      "SHUTDOWN", "MEMVIOLATION", "UNKNOWN", "PENDING"};
  return e < sizeof kNames / sizeof kNames[0] ? kNames[e] : "?";
}

}  // namespace wasmx
