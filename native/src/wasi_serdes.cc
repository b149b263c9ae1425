#include "wasi_serdes.h"

#include <netinet/in.h>
#include <sys/un.h>

#include <cstring>

namespace wasmx {

Errno IoVecs::Read(GuestMemory& mem, uint32_t ptr, uint32_t count) {
  if (count > kMax) return err::INVAL;
  if (!mem.InBounds(ptr, uint64_t(count) * 8)) return err::FAULT;
  if (count > sizeof(inline_) / sizeof(inline_[0])) vec_ = new struct iovec[count];
  count_ = count;
  total_ = 0;
  const uint8_t* raw = mem.At(ptr);  // read each field once: the guest may change memory under us
  for (uint32_t i = 0; i < count; i++) {
    uint32_t buf, len;
    std::memcpy(&buf, raw + i * 8, 4);
    std::memcpy(&len, raw + i * 8 + 4, 4);
    if (!mem.InBounds(buf, len)) return err::FAULT;
    // The count goes back to the guest as a u32, and libc's read()/write() return it as a 32-bit ssize_t:
    // like Linux (MAX_RW_COUNT), one call moves at most kMaxTotal bytes, a short count the guest must handle.
    if (total_ + len > kMaxTotal) len = uint32_t(kMaxTotal - total_);
    vec_[i].iov_base = mem.At(buf);
    vec_[i].iov_len = len;
    total_ += len;
  }
  return err::SUCCESS;
}

Errno ReadGuestString(GuestMemory& mem, uint32_t ptr, uint32_t len, std::string_view* out) {
  if (!mem.InBounds(ptr, len)) return err::FAULT;
  *out = std::string_view(reinterpret_cast<const char*>(mem.At(ptr)), len);
  return err::SUCCESS;
}

uint8_t FiletypeFromMode(mode_t mode) {
  if (S_ISREG(mode)) return filetype::REGULAR_FILE;
  if (S_ISDIR(mode)) return filetype::DIRECTORY;
  if (S_ISCHR(mode)) return filetype::CHARACTER_DEVICE;
  if (S_ISBLK(mode)) return filetype::BLOCK_DEVICE;
  if (S_ISLNK(mode)) return filetype::SYMBOLIC_LINK;
  if (S_ISSOCK(mode)) return filetype::SOCKET_STREAM;
  return filetype::UNKNOWN;
}

uint64_t TimespecToNs(const struct timespec& ts) { return uint64_t(ts.tv_sec) * 1000000000ull + ts.tv_nsec; }

Errno WriteFilestat(GuestMemory& mem, uint32_t ptr, const struct stat& st) {
  uint8_t b[64] = {0};
  uint64_t v;
  v = st.st_dev; std::memcpy(b + 0, &v, 8);
  v = st.st_ino; std::memcpy(b + 8, &v, 8);
  b[16] = FiletypeFromMode(st.st_mode);
  v = st.st_nlink; std::memcpy(b + 24, &v, 8);
  v = st.st_size; std::memcpy(b + 32, &v, 8);
#ifdef __APPLE__
  v = TimespecToNs(st.st_atimespec); std::memcpy(b + 40, &v, 8);
  v = TimespecToNs(st.st_mtimespec); std::memcpy(b + 48, &v, 8);
  v = TimespecToNs(st.st_ctimespec); std::memcpy(b + 56, &v, 8);
#else
  v = TimespecToNs(st.st_atim); std::memcpy(b + 40, &v, 8);
  v = TimespecToNs(st.st_mtim); std::memcpy(b + 48, &v, 8);
  v = TimespecToNs(st.st_ctim); std::memcpy(b + 56, &v, 8);
#endif
  return mem.Write(ptr, b, sizeof b) ? err::SUCCESS : err::FAULT;
}

Errno ReadOptionTimestamp(GuestMemory& mem, uint32_t ptr, bool* some, uint64_t* value) {
  uint8_t b[16];
  if (!mem.InBounds(ptr, 16)) return err::FAULT;
  std::memcpy(b, mem.At(ptr), 16);
  if (b[0] > 1) return err::INVAL;
  *some = b[0] == 1;
  std::memcpy(value, b + 8, 8);
  return err::SUCCESS;
}

Errno WriteOptionTimestamp(GuestMemory& mem, uint32_t ptr, bool some, uint64_t value) {
  uint8_t b[16] = {0};
  b[0] = some ? 1 : 0;
  if (some) std::memcpy(b + 8, &value, 8);
  return mem.Write(ptr, b, sizeof b) ? err::SUCCESS : err::FAULT;
}

Errno ReadAddrPort(GuestMemory& mem, uint32_t ptr, struct sockaddr_storage* out, socklen_t* len) {
  uint8_t b[kAddrPortSize];
  if (!mem.InBounds(ptr, kAddrPortSize)) return err::FAULT;
  std::memcpy(b, mem.At(ptr), kAddrPortSize);
  std::memset(out, 0, sizeof *out);
  uint16_t port;
  std::memcpy(&port, b + 2, 2);  // native little-endian u16 holding the port number
  switch (b[0]) {
    case af::INET4: {
      auto* sin = reinterpret_cast<struct sockaddr_in*>(out);
      sin->sin_family = AF_INET;
      sin->sin_port = htons(port);
      std::memcpy(&sin->sin_addr, b + 4, 4);
      *len = sizeof *sin;
      return err::SUCCESS;
    }
    case af::INET6: {
      auto* sin6 = reinterpret_cast<struct sockaddr_in6*>(out);
      sin6->sin6_family = AF_INET6;
      sin6->sin6_port = htons(port);
      std::memcpy(&sin6->sin6_addr, b + 4, 16);
      uint16_t f1, f0, s1, s0;
      std::memcpy(&f1, b + 20, 2);
      std::memcpy(&f0, b + 22, 2);
      std::memcpy(&s1, b + 24, 2);
      std::memcpy(&s0, b + 26, 2);
      // libc splits the guest's raw sin6_flowinfo field (f1 = field >> 16). That field is network order in the guest's
      // sockaddr_in6 as in ours, so the value passes through unconverted (an htonl here would byte-swap the label).
      sin6->sin6_flowinfo = (uint32_t(f1) << 16) | f0;
      sin6->sin6_scope_id = (uint32_t(s1) << 16) | s0;
      *len = sizeof *sin6;
      return err::SUCCESS;
    }
    case af::UNIX: {
      auto* sun = reinterpret_cast<struct sockaddr_un*>(out);
      sun->sun_family = AF_UNIX;
      size_t n = strnlen(reinterpret_cast<const char*>(b + 2), 108);
      if (n >= sizeof sun->sun_path) return err::NAMETOOLONG;
      if (n == 0) {
        // Linux abstract name: a NUL, then the name. The guest's 108 bytes carry no length, so the name ends at its
        // last non-NUL byte; all NULs is the empty (autobind) address. Callers confine both (unix_addr.h).
        size_t m = 108;
        while (m > 0 && b[2 + m - 1] == 0) m--;
        std::memcpy(sun->sun_path, b + 2, m);
        *len = socklen_t(offsetof(struct sockaddr_un, sun_path) + m);
        return err::SUCCESS;
      }
      std::memcpy(sun->sun_path, b + 2, n);
      *len = socklen_t(offsetof(struct sockaddr_un, sun_path) + n + 1);
      return err::SUCCESS;
    }
    default:
      return err::INVAL;
  }
}

Errno WriteAddrPort(GuestMemory& mem, uint32_t ptr, const struct sockaddr* sa, socklen_t len) {
  uint8_t b[kAddrPortSize] = {0};
  switch (sa->sa_family) {
    case AF_INET: {
      auto* sin = reinterpret_cast<const struct sockaddr_in*>(sa);
      b[0] = af::INET4;
      uint16_t port = ntohs(sin->sin_port);
      std::memcpy(b + 2, &port, 2);
      std::memcpy(b + 4, &sin->sin_addr, 4);
      break;
    }
    case AF_INET6: {
      auto* sin6 = reinterpret_cast<const struct sockaddr_in6*>(sa);
      b[0] = af::INET6;
      uint16_t port = ntohs(sin6->sin6_port);
      std::memcpy(b + 2, &port, 2);
      std::memcpy(b + 4, &sin6->sin6_addr, 16);
      uint32_t flow = sin6->sin6_flowinfo, scope = sin6->sin6_scope_id;  // raw, as ReadAddrPort
      uint16_t f1 = flow >> 16, f0 = flow & 0xffff, s1 = scope >> 16, s0 = scope & 0xffff;
      std::memcpy(b + 20, &f1, 2);
      std::memcpy(b + 22, &f0, 2);
      std::memcpy(b + 24, &s1, 2);
      std::memcpy(b + 26, &s0, 2);
      break;
    }
    case AF_UNIX: {
      auto* sun = reinterpret_cast<const struct sockaddr_un*>(sa);
      b[0] = af::UNIX;
      size_t n = len > offsetof(struct sockaddr_un, sun_path) ? len - offsetof(struct sockaddr_un, sun_path) : 0;
      if (n > 107) n = 107;
      std::memcpy(b + 2, sun->sun_path, strnlen(sun->sun_path, n));
      break;
    }
    default:
      b[0] = af::UNSPEC;
  }
  return mem.Write(ptr, b, sizeof b) ? err::SUCCESS : err::FAULT;
}

// --- poll ---
void DecodeSubscription(const uint8_t* b, Subscription* out) {
  std::memcpy(&out->userdata, b + 0, 8);
  out->tag = b[8];
  std::memcpy(&out->clock_id, b + 16, 4);
  std::memcpy(&out->timeout, b + 24, 8);
  std::memcpy(&out->precision, b + 32, 8);
  std::memcpy(&out->flags, b + 40, 2);
  std::memcpy(&out->fd, b + 16, 4);
}

void EncodeEvent(const PollEvent& ev, uint8_t* out) {
  std::memset(out, 0, kEventSize);
  std::memcpy(out + 0, &ev.userdata, 8);
  std::memcpy(out + 8, &ev.error, 2);
  out[10] = ev.type;
  std::memcpy(out + 16, &ev.nbytes, 8);
  std::memcpy(out + 24, &ev.flags, 2);
}

// --- epoll ---
Errno ReadEpollEvent(GuestMemory& mem, uint32_t ptr, EpollEventImage* out) {
  if (!mem.InBounds(ptr, kEpollEventSize)) return err::FAULT;
  const uint8_t* b = mem.At(ptr);
  std::memcpy(&out->events, b, 4);  // read once: another guest thread may be rewriting the struct
  std::memcpy(out->data, b + 8, 24);
  return err::SUCCESS;
}

Errno WriteEpollEvents(GuestMemory& mem, uint32_t ptr, const EpollEventImage* evs, uint32_t n) {
  if (!mem.InBounds(ptr, uint64_t(n) * kEpollEventSize)) return err::FAULT;
  uint8_t* b = mem.At(ptr);
  for (uint32_t i = 0; i < n; i++, b += kEpollEventSize) {
    std::memcpy(b, &evs[i].events, 4);
    std::memset(b + 4, 0, 4);
    std::memcpy(b + 8, evs[i].data, 24);
  }
  return err::SUCCESS;
}

// --- filesystem ---
void EncodeDirent(uint8_t out[kDirentSize], uint64_t next, uint64_t ino, uint32_t namlen, uint8_t type) {
  std::memset(out, 0, kDirentSize);
  std::memcpy(out + 0, &next, 8);
  std::memcpy(out + 8, &ino, 8);
  std::memcpy(out + 16, &namlen, 4);
  out[20] = type;
}
}  // namespace wasmx
