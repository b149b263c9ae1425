// Guest-struct (de)serialisation: every byte layout of ABI §4.2 / §6 is read or written here and nowhere else.
// All readers bounds-check against linear memory and return FAULT when the guest's pointer is out of range.
#pragma once
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include <cstdint>
#include <cstring>
#include <string_view>

#include "guest_memory.h"
#include "wasi_types.h"

namespace wasmx {

// Host iovecs pointing straight into guest memory (no copies), with inline storage for the common case.
class IoVecs {
 public:
  static constexpr uint32_t kMax = 1024;  // IOV_MAX on Linux and macOS
  // The most bytes one call moves (Linux's MAX_RW_COUNT): iovecs past it are trimmed, so a count always fits the
  // guest's u32 result and libc's 32-bit ssize_t.
  static constexpr uint64_t kMaxTotal = 0x7ffff000;
  ~IoVecs() {
    if (vec_ != inline_) delete[] vec_;
  }
  // Reads `count` (ci)ovecs at `ptr`. FAULT when the array or any buffer is out of range, INVAL past kMax;
  // lengths past kMaxTotal in sum are trimmed (a short read or write).
  Errno Read(GuestMemory& mem, uint32_t ptr, uint32_t count);
  struct iovec* data() { return vec_; }
  int count() const { return int(count_); }
  uint64_t total() const { return total_; }

 private:
  struct iovec inline_[16];
  struct iovec* vec_ = inline_;
  uint32_t count_ = 0;
  uint64_t total_ = 0;
};

// A (ptr, len) guest string viewed in place. FAULT when out of range.
Errno ReadGuestString(GuestMemory& mem, uint32_t ptr, uint32_t len, std::string_view* out);

// fdstat (24 bytes). Inline: libc calls fd_fdstat_get for every open and isatty; it is a bounds check and
// four stores into guest memory.
inline Errno WriteFdstat(GuestMemory& mem, uint32_t ptr, uint8_t filetype, uint16_t flags, uint64_t rights_base,
                         uint64_t rights_inheriting) {
  if (!mem.InBounds(ptr, 24)) return err::FAULT;
  uint8_t* p = mem.At(ptr);
  std::memset(p, 0, 8);
  p[0] = filetype;
  std::memcpy(p + 2, &flags, 2);
  std::memcpy(p + 8, &rights_base, 8);
  std::memcpy(p + 16, &rights_inheriting, 8);
  return err::SUCCESS;
}
// filestat (64 bytes) from a host stat.
Errno WriteFilestat(GuestMemory& mem, uint32_t ptr, const struct stat& st);
uint8_t FiletypeFromMode(mode_t mode);
// option_timestamp (16 bytes): tag @0, value @8. `*some` false = NONE.
Errno ReadOptionTimestamp(GuestMemory& mem, uint32_t ptr, bool* some, uint64_t* value);
Errno WriteOptionTimestamp(GuestMemory& mem, uint32_t ptr, bool some, uint64_t value);

// addr_port_t (110 bytes, §6.1.1). Port is a little-endian u16 at @2; address octets raw at @4.
constexpr uint32_t kAddrPortSize = 110;
// Guest -> host. INVAL for an unsupported tag, FAULT when out of range. *len set to the sockaddr's size.
Errno ReadAddrPort(GuestMemory& mem, uint32_t ptr, struct sockaddr_storage* out, socklen_t* len);
// Host -> guest: writes all 110 bytes, zero-filled.
Errno WriteAddrPort(GuestMemory& mem, uint32_t ptr, const struct sockaddr* sa, socklen_t len);

// Nanoseconds <-> timespec helpers.
uint64_t TimespecToNs(const struct timespec& ts);

// --- poll ---
// subscription (48 B) and event (32 B), ABI §4.2.
constexpr uint32_t kSubscriptionSize = 48;
constexpr uint32_t kEventSize = 32;
struct Subscription {
  uint64_t userdata;
  uint8_t tag;          // eventtype
  uint32_t clock_id;    // clock: @16
  uint64_t timeout;     // clock: @24, ns
  uint64_t precision;   // clock: @32
  uint16_t flags;       // clock: @40, subclockflags
  uint32_t fd;          // fd_read / fd_write: @16
};
// Decodes one subscription from 48 bytes already copied out of guest memory.
void DecodeSubscription(const uint8_t* b, Subscription* out);
struct PollEvent {
  uint64_t userdata;
  Errno error;
  uint8_t type;
  uint64_t nbytes;   // fd_read / fd_write only
  uint16_t flags;    // eventrwflags
};
// Encodes one event into 32 bytes (padding zeroed).
void EncodeEvent(const PollEvent& ev, uint8_t* out);
// --- epoll ---
// epoll_event_t (32 bytes, align 8, §6.3.1): events u32 @0, pad @4, the data union @8..31 (ptr u32 @8, fd i32 @12,
// data1 u32 @16, pad, data2 u64 @24). The host treats bytes 8..31 as opaque and echoes them verbatim.
constexpr uint32_t kEpollEventSize = 32;
struct EpollEventImage {
  uint32_t events;
  uint8_t data[24];
};
// Guest -> host. FAULT when out of range.
Errno ReadEpollEvent(GuestMemory& mem, uint32_t ptr, EpollEventImage* out);
// Host -> guest: `n` consecutive 32-byte events (padding zeroed). FAULT when out of range.
Errno WriteEpollEvents(GuestMemory& mem, uint32_t ptr, const EpollEventImage* evs, uint32_t n);

// --- filesystem ---
// dirent (24 bytes; the name's bytes follow it, no NUL): d_next u64 @0, d_ino u64 @8, d_namlen u32 @16,
// d_type u8 @20 (+3 pad). Encoded into a host buffer because fd_readdir may copy only part of it.
constexpr uint32_t kDirentSize = 24;
void EncodeDirent(uint8_t out[kDirentSize], uint64_t next, uint64_t ino, uint32_t namlen, uint8_t type);
}  // namespace wasmx
