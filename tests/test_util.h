// Helpers shared by the test executables: temporary store directories.
#pragma once

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>

#include "annodb/store.h"

namespace annodb::test {

// A fresh directory under the system temp dir, removed when the object dies.
class TempDir {
 public:
  explicit TempDir(const std::string& tag = "t") {
    static std::atomic<int> counter{0};
    path_ = (std::filesystem::temp_directory_path() /
             ("annodb-" + tag + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++)))
                .string();
    std::filesystem::remove_all(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline std::unique_ptr<Store> OpenNew(const std::string& dir, StoreOptions opts = {}) {
  opts.create_if_missing = true;
  std::unique_ptr<Store> s;
  Status st = Store::Open(dir, opts, &s);
  if (!st.ok()) throw std::runtime_error(st.ToString());
  return s;
}

}  // namespace annodb::test
