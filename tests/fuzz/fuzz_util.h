// Helpers shared by the libFuzzer targets of tests/fuzz.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>

#include "annodb/status.h"
#include "annodb/store.h"
#include "test_util.h"

namespace annodb::fuzz {

// Stops the run with a message that libFuzzer reports as a crash (with the
// input saved): used for broken invariants, which are bugs like a crash.
[[noreturn]] inline void Fail(const std::string& what) {
  std::fprintf(stderr, "fuzz invariant broken: %s\n", what.c_str());
  std::abort();
}

// A failed operation must say what is wrong in the engine's own words:
// never an empty message, and (with ANNODB_FUZZ_MESSAGES=1 in the
// environment) never an exception's or the library's internals, a rule of
// the project. Text that the input itself holds may be quoted back, so a
// marker counts only when the input does not contain it. The second check
// is opt-in while issue 11's message fixes (item 14) are under way: it
// stops at the first known leak, which would end every run at once.
inline void CheckMessageText(const std::string& m, std::string_view input) {
  if (m.empty()) Fail("an error with an empty message");
  static const bool check_leaks = std::getenv("ANNODB_FUZZ_MESSAGES") != nullptr;
  if (!check_leaks) return;
  for (std::string_view leak : {"json.exception", "basic_filebuf", "exception in ", "std::"}) {
    if (m.find(leak) != std::string::npos && input.find(leak) == std::string_view::npos)
      Fail("internal text in a message: " + m);
  }
}
inline void CheckMessage(const Status& s, std::string_view input) {
  if (!s.ok()) CheckMessageText(s.message(), input);
}
inline std::string_view AsText(const uint8_t* data, size_t size) {
  return std::string_view(reinterpret_cast<const char*>(data), size);
}

// Writes `data` to `path` (the imports under test read files).
inline void WriteFile(const std::string& path, const uint8_t* data, size_t size) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  if (!f) Fail("cannot write " + path);
}

// For targets whose code under test reads a file and writes to a store: a
// temporary directory with the input file and a store (kProcessCrashSafe, no
// fsync per commit). The store is made afresh every 256 accepted inputs, so
// that its size and the time per input stay small over a long run.
class ScratchStore {
 public:
  ScratchStore(const std::string& tag, const std::string& file_name) : dir_(tag), file_(dir_.sub(file_name)) {
    Reset();
  }
  Store& store() { return *store_; }
  const std::string& file() const { return file_; }
  void Accepted() {
    if (++accepted_ >= 256) Reset();
  }

 private:
  void Reset() {
    store_.reset();
    std::filesystem::remove_all(dir_.sub("store"));
    StoreOptions o;
    o.durability = Durability::kProcessCrashSafe;
    store_ = test::OpenNew(dir_.sub("store"), o);
    accepted_ = 0;
  }
  test::TempDir dir_;
  std::string file_;
  std::unique_ptr<Store> store_;
  int accepted_ = 0;
};

}  // namespace annodb::fuzz
