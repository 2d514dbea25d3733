// Internals of the C ABI (bindings/c): the handle, the entry-point wrapper
// that turns Status and exceptions into codes and messages, and helpers for
// arguments and outputs. Not installed; not part of the ABI.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "annodb/annodb.h"
#include "annodb/options.h"
#include "annodb/status.h"
#include "annodb/store.h"

// The opaque handle of annodb.h. Global namespace: the header declares it so.
struct annodb_store {
  std::unique_ptr<annodb::Store> store;
  // Calls in progress on this handle; guarded by the registry's mutex.
  int active = 0;
  // Message of each thread's last failed call on this handle. Nodes of an
  // unordered_map never move, so a thread's c_str() stays valid until that
  // thread fails again on this handle (or the handle is closed).
  std::mutex err_mu;
  std::unordered_map<std::thread::id, std::string> errors;
};

namespace annodb::capi {

// Size of the first published version of each growable struct. A caller may
// pass any struct_size from this up to kMaxStructSize; bytes past what this
// library knows must be zero.
inline constexpr size_t kOptionsSizeV1 = sizeof(annodb_options);
inline constexpr size_t kActorSizeV1 = sizeof(annodb_actor);
inline constexpr size_t kImportReportSizeV1 = sizeof(annodb_import_report);
inline constexpr size_t kImportOptionsSizeV1 = sizeof(annodb_import_options);
inline constexpr size_t kMaxStructSize = 4096;

// Checks a caller's struct_size against the first published size and this
// library's size: trailing bytes this library does not know must be zero.
Status CheckStructSize(const void* p, size_t struct_size, size_t v1_size, size_t known_size, const char* what);

// Pins an open handle for the duration of a call: validates the pointer
// against the registry of open handles (never dereferencing an unknown
// pointer) and keeps annodb_close from freeing it until released.
class HandleRef {
 public:
  HandleRef() = default;
  ~HandleRef() { Release(); }
  HandleRef(const HandleRef&) = delete;
  HandleRef& operator=(const HandleRef&) = delete;
  bool Acquire(annodb_store* h);
  void Release();
  annodb_store* get() const { return h_; }

 private:
  annodb_store* h_ = nullptr;
};

// Registers a new handle as open / unregisters it, waiting for calls in
// progress to end. Unregister returns false when the handle was not open.
void RegisterHandle(annodb_store* h);
bool UnregisterHandle(annodb_store* h);

// Records a failure message for the calling thread (on a handle, or in the
// thread's slot for calls without one) and returns the code.
int SetError(annodb_store* h, int code, std::string msg);
int SetThreadError(int code, std::string msg);
int ToCode(const Status& s);

// Runs one entry point on an open handle: acquires it, runs fn (returning
// Status), records the message on failure, and turns any exception into
// ANNODB_INTERNAL. `what` names the function for messages about the handle.
// Records an unexpected failure (an exception) without throwing.
int InternalError(annodb_store* h, const char* what, const char* detail) noexcept;

template <typename Fn>
int Run(annodb_store* h, const char* what, Fn&& fn) noexcept {
  HandleRef ref;
  try {
    if (!ref.Acquire(h)) {
      return SetThreadError(ANNODB_INVALID_ARGUMENT,
                            std::string(what) + ": " + (h ? "the store handle is not open" : "the store handle is NULL"));
    }
    Status s = fn(*h->store);
    if (s.ok()) return ANNODB_OK;
    return SetError(h, ToCode(s), s.message());
  } catch (const std::bad_alloc&) {
    return InternalError(ref.get(), what, "out of memory");
  } catch (const std::exception&) {
    // Its what() is a library's text, not a message (ExceptionStatus in the engine).
    return InternalError(ref.get(), what, "an unexpected exception (a bug in annodb)");
  } catch (...) {
    return InternalError(ref.get(), what, "unknown exception");
  }
}

// Body of the *_init functions of growable option structs: checks opts and
// struct_size (v1 = the first published size), zeroes struct_size bytes and
// stores struct_size. `fn` and `type` name the function and the struct.
template <typename T>
int InitOptions(T* opts, size_t struct_size, size_t v1, const char* fn, const char* type) noexcept {
  try {
    if (opts == nullptr) return SetThreadError(ANNODB_INVALID_ARGUMENT, std::string(fn) + ": opts is NULL");
    if (struct_size < v1 || struct_size > kMaxStructSize)
      return SetThreadError(ANNODB_INVALID_ARGUMENT, std::string(fn) + ": struct_size " + std::to_string(struct_size) +
                                                         " is not a size of " + type + " (pass sizeof(" + type + "))");
    std::memset(static_cast<void*>(opts), 0, struct_size);
    opts->struct_size = struct_size;
    return ANNODB_OK;
  } catch (...) {
    return InternalError(nullptr, fn, "unknown exception");
  }
}

// ---- arguments ----

bool ValidUtf8(std::string_view s);
// A required NUL-terminated string argument.
Status RequireString(const char* s, const char* name);
// Converts the optional C actor; NULL = `fallback`.
Status ToActor(const annodb_actor* a, const Actor& fallback, Actor* out);

// A named-record argument: required and valid UTF-8 (the engine checks the
// name itself), looked up in the store.
Status FindProjectArg(const ReadTxn& t, const char* name, uint64_t* id);
Status FindMemberArg(const ReadTxn& t, const char* name, uint64_t* id);

// ---- outputs ----

// A required output pointer.
Status RequireOut(char** out);
// Serialises a JSON value (nlohmann json or ordered_json) compactly, invalid
// UTF-8 replaced. A braced initializer list builds an ordered_json (keys in
// the order written).
template <typename Json = nlohmann::ordered_json>
std::string Dump(const Json& j) {
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

// Resets a text output pair (either may be NULL) so that failures leave
// *out NULL and *out_len 0.
inline void ResetOut(char** out, size_t* out_len) {
  if (out) *out = nullptr;
  if (out_len) *out_len = 0;
}
// Copies `text` into a malloc'd NUL-terminated buffer. IOError-free: throws
// std::bad_alloc when malloc fails (the wrapper reports it).
void GiveText(const std::string& text, char** out, size_t* out_len);
char* MallocCopy(std::string_view text);

// JSON helpers for outputs built here.
std::string JsonString(std::string_view s);  // a quoted, escaped JSON string (invalid UTF-8 replaced)

}  // namespace annodb::capi
