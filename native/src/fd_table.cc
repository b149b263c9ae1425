#include "fd_table.h"

#include "wasi_serdes.h"

#include <sys/stat.h>

#include <mutex>
#include <unistd.h>

namespace wasmx {

void FdEntry::LearnType(const struct stat& st) {
  if (!type_pending.load(std::memory_order_acquire)) return;
  // Once per entry: a lock so that two threads learning together do not both write rights_base.
  static std::mutex learn_mu;
  std::lock_guard<std::mutex> lock(learn_mu);
  if (!type_pending.load(std::memory_order_relaxed)) return;
  uint64_t base = rights_base;
  // Rights per file type (uvwasi's model): a directory never carries FD_READ / FD_WRITE / FD_SEEK / FD_TELL
  // (so fd_read, fd_seek, ... on it are NOTCAPABLE); a file never carries path_* rights; a terminal has no
  // FD_SEEK / FD_TELL (libc's isatty() tests exactly that).
  if (S_ISDIR(st.st_mode)) base &= rights::DIR_BASE;
  else base &= rights::FILE_BASE;
  if (S_ISCHR(st.st_mode) && isatty(host_fd)) base &= ~(rights::FD_SEEK | rights::FD_TELL);
  rights_base = base;
  filetype.store(FiletypeFromMode(st.st_mode), std::memory_order_relaxed);
  type_pending.store(false, std::memory_order_release);  // publishes rights_base with the type
}

void FdEntry::ResolveType() {
  struct stat st;
  if (fstat(host_fd, &st) == 0) LearnType(st);
}

FdEntry::~FdEntry() {
  if (close_host && host_fd >= 0 && !(offload_flags.load(std::memory_order_acquire) & offload_flag::kHostClosed))
    ::close(host_fd);
  if (aux_fd >= 0) ::close(aux_fd);
}

FdRef FdTable::GetShared(uint32_t fd) {
  std::lock_guard<std::mutex> lock(mu_);
  return fd < slots_.size() ? FdRef(slots_[fd]) : FdRef();
}

FdPtr FdTable::SetLocked(uint32_t fd, FdPtr e) {
  if (fd >= slots_.size()) slots_.resize(fd + 1);
  if (fd >= cloexec_.size()) cloexec_.resize(fd + 1);
  cloexec_[fd] = 0;
  if (e) e->guest_refs++;
  FdPtr old = std::move(slots_[fd]);
  slots_[fd] = std::move(e);
  if (old && --old->guest_refs == 0) return old;
  return nullptr;
}

bool FdEntry::AddCloseListener(const std::shared_ptr<GuestCloseListener>& l) {
  std::lock_guard<std::mutex> lock(listeners_mu_);
  if (guest_closed_) return false;
  bool present = false;
  size_t out = 0;
  for (size_t i = 0; i < listeners_.size(); i++) {  // prune listeners that no longer exist
    auto sp = listeners_[i].lock();
    if (!sp) continue;
    if (sp.get() == l.get()) present = true;
    if (out != i) listeners_[out] = std::move(listeners_[i]);  // never self-move: it empties a weak_ptr
    out++;
  }
  listeners_.resize(out);
  if (!present) listeners_.push_back(l);
  return true;
}

void FdEntry::RemoveCloseListener(const GuestCloseListener* l) {
  std::lock_guard<std::mutex> lock(listeners_mu_);
  for (size_t i = 0; i < listeners_.size(); i++) {
    auto sp = listeners_[i].lock();
    if (!sp || sp.get() == l) {
      listeners_[i] = std::move(listeners_.back());
      listeners_.pop_back();
      i--;
    }
  }
}

void FdEntry::NotifyOffloadWritable() {
  std::vector<std::shared_ptr<GuestCloseListener>> ls;
  {
    std::lock_guard<std::mutex> lock(listeners_mu_);
    for (auto& w : listeners_)
      if (auto l = w.lock()) ls.push_back(std::move(l));
  }
  for (auto& l : ls) l->OnOffloadWritable(*this);
}

void FdEntry::RunGuestCloseHooks() {
  std::vector<std::weak_ptr<GuestCloseListener>> ls;
  {
    std::lock_guard<std::mutex> lock(listeners_mu_);
    if (guest_closed_) return;
    guest_closed_ = true;
    ls.swap(listeners_);
  }
  if (on_guest_close) on_guest_close(*this);
  for (auto& w : ls)
    if (auto l = w.lock()) l->OnGuestClose(*this);
}

static void RunCloseHook(const FdPtr& e) {
  if (e) e->RunGuestCloseHooks();
}

Errno FdTable::Insert(FdPtr entry, uint32_t min_fd, uint32_t* out_fd, bool cloexec) {
  std::lock_guard<std::mutex> lock(mu_);
  for (uint32_t fd = min_fd; fd < kMaxFds; fd++) {
    if (fd >= slots_.size() || !slots_[fd]) {
      SetLocked(fd, std::move(entry));
      cloexec_[fd] = cloexec;
      *out_fd = fd;
      return err::SUCCESS;
    }
  }
  return err::MFILE;
}

Errno FdTable::Duplicate(uint32_t fd, uint32_t min_fd, uint32_t* out_fd, FdPtr* out_entry, bool cloexec) {
  std::lock_guard<std::mutex> lock(mu_);
  if (fd >= slots_.size() || !slots_[fd]) return err::BADF;
  for (uint32_t n = min_fd; n < kMaxFds; n++) {
    if (n >= slots_.size() || !slots_[n]) {
      FdPtr e = slots_[fd];
      if (out_entry) *out_entry = e;
      SetLocked(n, std::move(e));
      cloexec_[n] = cloexec;
      *out_fd = n;
      return err::SUCCESS;
    }
  }
  return err::MFILE;
}

void FdTable::Place(uint32_t fd, FdPtr entry) {
  FdPtr displaced;
  {
    std::lock_guard<std::mutex> lock(mu_);
    displaced = SetLocked(fd, std::move(entry));
  }
  RunCloseHook(displaced);
}

FdPtr FdTable::Remove(uint32_t fd, bool* last) {
  std::lock_guard<std::mutex> lock(mu_);
  if (fd >= slots_.size() || !slots_[fd]) return nullptr;
  FdPtr e = std::move(slots_[fd]);
  bool was_last = --e->guest_refs == 0;
  if (last) *last = was_last;
  while (!slots_.empty() && !slots_.back()) slots_.pop_back();
  return e;
}

Errno FdTable::GetCloexec(uint32_t fd, bool* out) {
  std::lock_guard<std::mutex> lock(mu_);
  if (fd >= slots_.size() || !slots_[fd]) return err::BADF;
  *out = cloexec_[fd] != 0;
  return err::SUCCESS;
}

Errno FdTable::SetCloexec(uint32_t fd, bool cloexec) {
  std::lock_guard<std::mutex> lock(mu_);
  if (fd >= slots_.size() || !slots_[fd]) return err::BADF;
  cloexec_[fd] = cloexec;
  return err::SUCCESS;
}

Errno FdTable::Renumber(uint32_t from, uint32_t to, RenumberMode mode) {
  FdPtr displaced;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (from >= slots_.size() || !slots_[from]) return err::BADF;
    if (to >= kMaxFds) return err::BADF;
    bool move = mode == RenumberMode::kMove;
    if (move && (to >= slots_.size() || !slots_[to])) return err::BADF;
    if (from == to) return err::SUCCESS;
    uint8_t from_cloexec = cloexec_[from];
    displaced = SetLocked(to, slots_[from]);  // `to`'s CLOEXEC starts clear (dup2)
    if (move) {
      cloexec_[to] = from_cloexec;
      // `from`'s entry is now also at `to`, so dropping `from` can never be its last reference.
      slots_[from]->guest_refs--;
      slots_[from] = nullptr;
      cloexec_[from] = 0;
      while (!slots_.empty() && !slots_.back()) slots_.pop_back();
    }
  }
  RunCloseHook(displaced);
  return err::SUCCESS;
}

void FdTable::ForEach(const std::function<void(uint32_t, FdEntry&)>& fn) {
  std::lock_guard<std::mutex> lock(mu_);
  for (uint32_t fd = 0; fd < slots_.size(); fd++)
    if (slots_[fd]) fn(fd, *slots_[fd]);
}

void FdTable::Clear() {
  std::vector<FdPtr> old;
  {
    std::lock_guard<std::mutex> lock(mu_);
    old.swap(slots_);
    for (auto& e : old)
      if (e) e->guest_refs--;
  }
  for (auto& e : old)
    if (e && e->guest_refs == 0) {
      RunCloseHook(e);
      e->guest_refs = ~0u;  // hook ran; a shared entry seen again must not run it twice
    }
}

Errno CloseGuestFd(FdTable& table, uint32_t fd) {
  bool last = false;
  FdPtr e = table.Remove(fd, &last);
  if (!e) return err::BADF;
  if (last) RunCloseHook(e);
  return err::SUCCESS;
}

}  // namespace wasmx
