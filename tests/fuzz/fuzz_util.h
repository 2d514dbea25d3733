// Helpers shared by the libFuzzer targets of tests/fuzz.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <string_view>

#include "annodb/status.h"

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

}  // namespace annodb::fuzz
