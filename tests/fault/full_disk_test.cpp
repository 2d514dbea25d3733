// A really full filesystem: a small tmpfs mounted for the test (needs root
// or CAP_SYS_ADMIN; skipped with a warning where mounting is not allowed).
// Before the fixes, `annodb init` there died of SIGBUS inside mdb_env_open
// (LMDB writes through the map of a sparse lock file) and left a directory
// holding only lock.mdb, and a commit said "committing: Input/output error".
#include <catch2/catch.hpp>
#include <sys/mount.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "cli/cli_util.h"

using namespace annodb::test;
namespace fs = std::filesystem;

namespace {

// A tmpfs of `size` mounted on a fresh directory, unmounted at the end.
class SmallTmpfs {
 public:
  explicit SmallTmpfs(const std::string& size) {
    fs::create_directories(dir_.path());
    mounted_ = ::mount("tmpfs", dir_.path().c_str(), "tmpfs", 0, ("size=" + size).c_str()) == 0;
    if (!mounted_) error_ = std::strerror(errno);
  }
  ~SmallTmpfs() {
    if (mounted_) ::umount2(dir_.path().c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }
  const std::string& error() const { return error_; }
  std::string sub(const std::string& name) const { return dir_.sub(name); }

  // Fills the filesystem to the last byte with `name`.
  void Fill(const std::string& name) const {
    std::ofstream f(sub(name), std::ios::binary);
    std::string chunk(4096, 'x');
    while (f.write(chunk.data(), static_cast<std::streamsize>(chunk.size())) && f.flush()) {
    }
    f.close();
    std::ofstream g(sub(name + ".tail"), std::ios::binary);  // the last partial block
    while (g.put('x') && g.flush()) {
    }
  }
  void Free(const std::string& name) const {
    fs::remove(sub(name));
    fs::remove(sub(name + ".tail"));
  }

 private:
  TempDir dir_{"fullfs"};
  bool mounted_ = false;
  std::string error_;
};

bool Mounted(const SmallTmpfs& t) {
  if (!t.mounted()) WARN("skipped: cannot mount a tmpfs here (" << t.error() << "); run as root to test a full disk");
  return t.mounted();
}

// A store of 5 assets in t/s.
CliStore StoreWithAssets(const SmallTmpfs& t) {
  CliStore s(t.sub("s"));
  s.Ok({"init"});
  WriteFile(t.sub("a.jsonl"), MakeJsonl(5));
  s.Ok({"import", "--dataset", "cams", t.sub("a.jsonl")});
  return s;
}

}  // namespace

TEST_CASE("full disk: init fails with a clear error, no SIGBUS, and leaves nothing", "[fault]") {
  SmallTmpfs t("512k");
  if (!Mounted(t)) return;
  t.Fill("filler");
  std::string store = t.sub("s");
  RunResult r = RunCli({"--store", store, "init"});
  INFO(r.err);
  CHECK(r.code == 1);  // 135 = SIGBUS before the fix
  CHECK(IsOneLineError(r.err));
  CHECK(r.err.find("no space left on device") != std::string::npos);
  CHECK(r.err.find(store) != std::string::npos);
  CHECK(!fs::exists(store));
  // With room again, init works in the same place.
  t.Free("filler");
  CliStore s(store);
  s.Ok({"init"});
  CHECK(s.Run({"verify"}).code == 0);
}

TEST_CASE("full disk: an existing store whose lock file is gone opens with an error, not SIGBUS", "[fault]") {
  SmallTmpfs t("1m");
  if (!Mounted(t)) return;
  CliStore s = StoreWithAssets(t);
  fs::remove(t.sub("s/lock.mdb"));  // as after a reboot that cleared it
  t.Fill("filler");
  RunResult r = s.Run({"stats"});
  INFO(r.err);
  CHECK(r.code == 1);  // 135 = SIGBUS before the fix
  CHECK(IsOneLineError(r.err));
  CHECK(r.err.find("no space left on device") != std::string::npos);
  t.Free("filler");
  CHECK(s.Json({"stats"})["assets"] == 5);
}

TEST_CASE("full disk: a commit says no space left on device, names the store, and loses nothing", "[fault]") {
  SmallTmpfs t("1m");
  if (!Mounted(t)) return;
  CliStore s = StoreWithAssets(t);
  std::string before = s.Ok({"export", "--out", "-"});
  // 400 assets with long metadata: more than the room left.
  std::string big;
  for (int i = 0; i < 400; ++i)
    big += R"({"external_id":"big-)" + std::to_string(i) + R"(","uri":"file:///x","media_type":"image/jpeg","metadata":{"note":")" +
           std::string(600, 'n') + "\"}}\n";
  TempDir elsewhere("fullfs-input");  // the input lives on another filesystem
  std::filesystem::create_directories(elsewhere.path());
  WriteFile(elsewhere.sub("big.jsonl"), big);
  t.Fill("filler");
  RunResult r = s.Run({"import", "--dataset", "cams", elsewhere.sub("big.jsonl")});
  INFO(r.err);
  CHECK(r.code == 1);
  CHECK(IsOneLineError(r.err));
  CHECK(r.err.find("no space left on device") != std::string::npos);
  CHECK(r.err.find(t.sub("s")) != std::string::npos);
  CHECK(r.err.find("Input/output error") == std::string::npos);
  t.Free("filler");
  CHECK(s.Run({"verify"}).code == 0);
  CHECK(s.Ok({"export", "--out", "-"}) == before);
}
