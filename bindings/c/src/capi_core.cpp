// The C ABI's foundations: version, status names, options, open/close, the
// registry of open handles, per-thread error messages, actors, outputs.
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <unordered_set>
#include <vector>

#include <nlohmann/json.hpp>

#include "annodb/members.h"
#include "annodb/projects.h"
#include "internal.h"

#ifndef ANNODB_VERSION_STRING
#define ANNODB_VERSION_STRING "0.0.0"
#endif

namespace annodb::capi {

namespace {

// Open handles. Leaked on purpose: handles may outlive static destruction
// (a program that exits without closing), and a call during exit must not
// touch a destroyed mutex.
struct Registry {
  std::mutex mu;
  std::condition_variable cv;
  std::unordered_set<annodb_store*> live;
};
Registry& Reg() {
  static Registry* r = new Registry;
  return *r;
}

// The calling thread's last failure of a call that had no open handle.
thread_local std::string t_error;

// Handles the calling thread is inside a call on (a progress callback runs
// inside an import call). annodb_close on one of them would wait for itself.
thread_local std::vector<annodb_store*> t_pinned;

constexpr size_t kMaxActorStringBytes = 256;

}  // namespace

Status CheckStructSize(const void* p, size_t struct_size, size_t v1_size, size_t known_size, const char* what) {
  if (struct_size < v1_size)
    return Status::InvalidArgument(std::string(what) + ".struct_size is " + std::to_string(struct_size) +
                                   ", smaller than the smallest known size " + std::to_string(v1_size) +
                                   " (initialise the struct with its _init function)");
  if (struct_size > kMaxStructSize)
    return Status::InvalidArgument(std::string(what) + ".struct_size is " + std::to_string(struct_size) +
                                   ", larger than " + std::to_string(kMaxStructSize) +
                                   " (initialise the struct with its _init function)");
  const unsigned char* bytes = static_cast<const unsigned char*>(p);
  for (size_t i = known_size; i < struct_size; ++i) {
    if (bytes[i] != 0)
      return Status::InvalidArgument(std::string(what) +
                                     " sets fields this version of annodb does not know (library " +
                                     ANNODB_VERSION_STRING + ")");
  }
  return Status::OK();
}

bool HandleRef::Acquire(annodb_store* h) {
  Release();
  if (h == nullptr) return false;
  Registry& r = Reg();
  std::lock_guard<std::mutex> g(r.mu);
  if (r.live.find(h) == r.live.end()) return false;
  t_pinned.push_back(h);
  ++h->active;
  h_ = h;
  return true;
}

void HandleRef::Release() {
  if (h_ == nullptr) return;
  for (auto it = t_pinned.rbegin(); it != t_pinned.rend(); ++it) {
    if (*it == h_) {
      t_pinned.erase(std::next(it).base());
      break;
    }
  }
  Registry& r = Reg();
  std::lock_guard<std::mutex> g(r.mu);
  if (--h_->active == 0) r.cv.notify_all();
  h_ = nullptr;
}

void RegisterHandle(annodb_store* h) {
  Registry& r = Reg();
  std::lock_guard<std::mutex> g(r.mu);
  r.live.insert(h);
}

bool UnregisterHandle(annodb_store* h) {
  for (annodb_store* p : t_pinned)
    if (p == h) return false;  // called back from inside a call on h: refuse rather than deadlock
  Registry& r = Reg();
  std::unique_lock<std::mutex> g(r.mu);
  if (r.live.erase(h) == 0) return false;
  r.cv.wait(g, [h] { return h->active == 0; });
  return true;
}

int SetThreadError(int code, std::string msg) {
  t_error = std::move(msg);
  return code;
}

int SetError(annodb_store* h, int code, std::string msg) {
  if (h == nullptr) return SetThreadError(code, std::move(msg));
  std::lock_guard<std::mutex> g(h->err_mu);
  h->errors[std::this_thread::get_id()] = std::move(msg);
  return code;
}

int InternalError(annodb_store* h, const char* what, const char* detail) noexcept {
  try {
    return SetError(h, ANNODB_INTERNAL, std::string(what) + ": unexpected error: " + detail);
  } catch (...) {
    return ANNODB_INTERNAL;
  }
}

int ToCode(const Status& s) {
  int c = static_cast<int>(s.code());
  return (c >= ANNODB_OK && c <= ANNODB_INTERNAL) ? c : ANNODB_INTERNAL;
}

bool ValidUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const unsigned char* end = p + s.size();
  while (p < end) {
    unsigned char c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    size_t n;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
      n = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (static_cast<size_t>(end - p) < n) return false;
    for (size_t i = 1; i < n; ++i) {
      if ((p[i] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i] & 0x3F);
    }
    if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000)) return false;  // overlong
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    p += n;
  }
  return true;
}

Status RequireString(const char* s, const char* name) {
  if (s == nullptr) return Status::InvalidArgument(std::string(name) + " is NULL");
  return Status::OK();
}

Status ToActor(const annodb_actor* a, const Actor& fallback, Actor* out) {
  if (a == nullptr) {
    *out = fallback;
    return Status::OK();
  }
  ANNODB_RETURN_IF_ERROR(CheckStructSize(a, a->struct_size, kActorSizeV1, sizeof(annodb_actor), "actor"));
  if (a->kind < ANNODB_ACTOR_SYSTEM || a->kind > ANNODB_ACTOR_IMPORT_JOB)
    return Status::InvalidArgument("actor.kind " + std::to_string(a->kind) + " is not an ANNODB_ACTOR_* value");
  Actor r;
  r.kind = static_cast<ActorKind>(a->kind);
  struct Field {
    const char* value;
    const char* name;
    std::string* dest;
  } fields[] = {{a->name, "actor.name", &r.name},
                {a->model_name, "actor.model_name", &r.model_name},
                {a->model_version, "actor.model_version", &r.model_version}};
  for (const Field& f : fields) {
    if (f.value == nullptr) continue;
    size_t len = strnlen(f.value, kMaxActorStringBytes + 1);
    if (len > kMaxActorStringBytes)
      return Status::InvalidArgument(std::string(f.name) + " is longer than " + std::to_string(kMaxActorStringBytes) +
                                     " bytes");
    std::string_view v(f.value, len);
    if (!ValidUtf8(v)) return Status::InvalidArgument(std::string(f.name) + " is not valid UTF-8");
    for (unsigned char c : v)
      if (c < 0x20 || c == 0x7f) return Status::InvalidArgument(std::string(f.name) + " contains a control character");
    f.dest->assign(v);
  }
  if (r.kind == ActorKind::kSystem && r.name.empty()) r.name = "annodb";
  *out = std::move(r);
  return Status::OK();
}

char* MallocCopy(std::string_view text) {
  char* p = static_cast<char*>(std::malloc(text.size() + 1));
  if (p == nullptr) throw std::bad_alloc();
  if (!text.empty()) std::memcpy(p, text.data(), text.size());
  p[text.size()] = '\0';
  return p;
}

void GiveText(const std::string& text, char** out, size_t* out_len) {
  *out = MallocCopy(text);
  if (out_len) *out_len = text.size();
}

std::string JsonString(std::string_view s) {
  return nlohmann::json(std::string(s)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Status RequireOut(char** out) {
  if (out == nullptr) return Status::InvalidArgument("out is NULL");
  return Status::OK();
}

namespace {
Status NameArgument(const char* s, const char* what) {
  ANNODB_RETURN_IF_ERROR(RequireString(s, what));
  if (!ValidUtf8(s)) return Status::InvalidArgument(std::string(what) + " is not valid UTF-8");
  return Status::OK();
}
}  // namespace

Status FindProjectArg(const ReadTxn& t, const char* name, uint64_t* id) {
  ANNODB_RETURN_IF_ERROR(NameArgument(name, "project"));
  return FindProject(t, name, id);
}

Status FindMemberArg(const ReadTxn& t, const char* name, uint64_t* id) {
  ANNODB_RETURN_IF_ERROR(NameArgument(name, "member"));
  return FindMember(t, name, id);
}

}  // namespace annodb::capi

using namespace annodb;
using namespace annodb::capi;

extern "C" {

ANNODB_EXPORT const char* annodb_version(void) { return ANNODB_VERSION_STRING; }

ANNODB_EXPORT const char* annodb_status_name(int code) {
  if (code < ANNODB_OK || code > ANNODB_INTERNAL) return "Unknown";
  return CodeName(static_cast<Code>(code));
}

ANNODB_EXPORT void annodb_free(void* ptr) { std::free(ptr); }

ANNODB_EXPORT int annodb_options_init(annodb_options* opts, size_t struct_size) {
  try {
    if (opts == nullptr) return SetThreadError(ANNODB_INVALID_ARGUMENT, "annodb_options_init: opts is NULL");
    if (struct_size < kOptionsSizeV1 || struct_size > kMaxStructSize)
      return SetThreadError(ANNODB_INVALID_ARGUMENT, "annodb_options_init: struct_size " + std::to_string(struct_size) +
                                                         " is not a size of annodb_options (pass sizeof(annodb_options))");
    std::memset(opts, 0, struct_size);
    StoreOptions d;
    opts->struct_size = struct_size;
    opts->create_if_missing = d.create_if_missing ? 1 : 0;
    opts->durability = static_cast<int>(d.durability);
    opts->initial_map_bytes = d.initial_map_bytes;
    opts->flush_interval_ms = d.flush_interval_ms;
    opts->max_readers = d.max_readers;
    return ANNODB_OK;
  } catch (...) {
    return InternalError(nullptr, "annodb_options_init", "unknown exception");
  }
}

ANNODB_EXPORT int annodb_actor_init(annodb_actor* actor, size_t struct_size) {
  try {
    if (actor == nullptr) return SetThreadError(ANNODB_INVALID_ARGUMENT, "annodb_actor_init: actor is NULL");
    if (struct_size < kActorSizeV1 || struct_size > kMaxStructSize)
      return SetThreadError(ANNODB_INVALID_ARGUMENT, "annodb_actor_init: struct_size " + std::to_string(struct_size) +
                                                         " is not a size of annodb_actor (pass sizeof(annodb_actor))");
    std::memset(actor, 0, struct_size);
    actor->struct_size = struct_size;
    actor->kind = ANNODB_ACTOR_SYSTEM;
    return ANNODB_OK;
  } catch (...) {
    return InternalError(nullptr, "annodb_actor_init", "unknown exception");
  }
}

ANNODB_EXPORT int annodb_open(const char* path, const annodb_options* opts, annodb_store** out, char** errmsg) {
  if (out) *out = nullptr;
  if (errmsg) *errmsg = nullptr;
  try {
    auto fail = [&](int c, const std::string& msg) {
      if (errmsg) *errmsg = MallocCopy(msg);
      return SetThreadError(c, msg);
    };
    if (path == nullptr) return fail(ANNODB_INVALID_ARGUMENT, "annodb_open: path is NULL");
    if (out == nullptr) return fail(ANNODB_INVALID_ARGUMENT, "annodb_open: out is NULL");
    if (*path == '\0') return fail(ANNODB_INVALID_ARGUMENT, "annodb_open: path is empty");
    StoreOptions so;
    if (opts != nullptr) {
      Status s = CheckStructSize(opts, opts->struct_size, kOptionsSizeV1, sizeof(annodb_options), "annodb_options");
      if (!s.ok()) return fail(ANNODB_INVALID_ARGUMENT, "annodb_open: " + s.message());
      if (opts->durability < ANNODB_DURABILITY_FULL || opts->durability > ANNODB_DURABILITY_PROCESS_CRASH_SAFE)
        return fail(ANNODB_INVALID_ARGUMENT, "annodb_open: durability " + std::to_string(opts->durability) +
                                                 " is not an ANNODB_DURABILITY_* value");
      so.create_if_missing = opts->create_if_missing != 0;
      so.durability = static_cast<Durability>(opts->durability);
      if (opts->initial_map_bytes != 0) so.initial_map_bytes = opts->initial_map_bytes;
      if (opts->flush_interval_ms != 0) so.flush_interval_ms = opts->flush_interval_ms;
      if (opts->max_readers != 0) so.max_readers = opts->max_readers;
    }
    auto h = std::make_unique<annodb_store>();
    Status s = Store::Open(path, so, &h->store);
    if (!s.ok()) return fail(ToCode(s), s.message());
    RegisterHandle(h.get());
    *out = h.release();
    return ANNODB_OK;
  } catch (const std::bad_alloc&) {
    return InternalError(nullptr, "annodb_open", "out of memory");
  } catch (const std::exception&) {
    return InternalError(nullptr, "annodb_open", "an unexpected exception (a bug in annodb)");
  } catch (...) {
    return InternalError(nullptr, "annodb_open", "unknown exception");
  }
}

ANNODB_EXPORT void annodb_close(annodb_store* store) {
  try {
    if (store == nullptr) return;
    if (!UnregisterHandle(store)) return;
    delete store;
  } catch (...) {
    // Nothing can be reported from a void function; the handle stays
    // unregistered.
  }
}

ANNODB_EXPORT const char* annodb_last_error(annodb_store* store) {
  try {
    HandleRef ref;
    if (!ref.Acquire(store)) return t_error.c_str();
    std::lock_guard<std::mutex> g(store->err_mu);
    auto it = store->errors.find(std::this_thread::get_id());
    return it == store->errors.end() ? "" : it->second.c_str();
  } catch (...) {
    return "";
  }
}

}  // extern "C"
