// Helpers for the C ABI tests: owned output buffers, a store opened in a
// temporary directory, JSON parsing of outputs. The tests use annodb.h only
// (plus nlohmann for reading JSON outputs, and test_util.h for TempDir).
#pragma once

#include <catch2/catch.hpp>

#include <cstring>
#include <nlohmann/json.hpp>
#include <string>

#include "annodb/annodb.h"
#include "test_util.h"

namespace capi_test {

using nlohmann::json;
using annodb::test::TempDir;

// A text output of the C ABI, freed with annodb_free.
class Out {
 public:
  Out() = default;
  ~Out() { annodb_free(p_); }
  Out(const Out&) = delete;
  Out& operator=(const Out&) = delete;
  // For passing as `char** out`: frees what was there before.
  char** ptr() {
    annodb_free(p_);
    p_ = nullptr;
    n_ = 0;
    return &p_;
  }
  size_t* len() { return &n_; }
  const char* get() const { return p_; }
  size_t size() const { return n_; }
  std::string str() const { return p_ ? std::string(p_, n_) : std::string(); }
  json parse() const {
    REQUIRE(p_ != nullptr);
    CHECK(std::strlen(p_) == n_);
    return json::parse(str());
  }

 private:
  char* p_ = nullptr;
  size_t n_ = 0;
};

// A store created in a fresh temporary directory, closed at the end.
class TestStore {
 public:
  explicit TestStore(const std::string& tag = "capi") : dir_(tag) { Open(); }
  ~TestStore() { annodb_close(s_); }
  TestStore(const TestStore&) = delete;
  TestStore& operator=(const TestStore&) = delete;

  void Open() {
    annodb_options o;
    REQUIRE(annodb_options_init(&o, sizeof o) == ANNODB_OK);
    o.create_if_missing = 1;
    o.initial_map_bytes = 1 << 20;  // small: exercises map growth too
    o.durability = ANNODB_DURABILITY_PROCESS_CRASH_SAFE;  // tests need no fsync
    char* err = nullptr;
    int rc = annodb_open(dir_.path().c_str(), &o, &s_, &err);
    INFO((err ? err : ""));
    annodb_free(err);
    REQUIRE(rc == ANNODB_OK);
    REQUIRE(s_ != nullptr);
  }
  void Close() {
    annodb_close(s_);
    s_ = nullptr;
  }
  void Reopen() {
    Close();
    Open();
  }

  annodb_store* get() const { return s_; }
  operator annodb_store*() const { return s_; }
  const std::string& path() const { return dir_.path(); }
  std::string sub(const std::string& name) const { return dir_.sub(name); }
  std::string error() const { return annodb_last_error(s_); }

  uint64_t Dataset(const char* name = "d") {
    uint64_t id = 0;
    REQUIRE(annodb_dataset_create(s_, name, nullptr, nullptr, &id) == ANNODB_OK);
    return id;
  }
  uint64_t Put(const std::string& json_text, const char* dataset = "d", int* outcome = nullptr) {
    uint64_t id = 0;
    int rc = annodb_asset_put_json(s_, dataset, json_text.c_str(), nullptr, &id, outcome);
    INFO(error());
    REQUIRE(rc == ANNODB_OK);
    return id;
  }
  json Get(uint64_t id, uint64_t as_of = ANNODB_CURRENT) {
    Out out;
    int rc = annodb_asset_get(s_, id, as_of, out.ptr(), out.len());
    INFO(error());
    REQUIRE(rc == ANNODB_OK);
    return out.parse();
  }
  uint64_t Sequence() {
    uint64_t seq = 0;
    REQUIRE(annodb_sequence(s_, &seq) == ANNODB_OK);
    return seq;
  }

 private:
  TempDir dir_;
  annodb_store* s_ = nullptr;
};

// An import line for external id `ext`.
inline std::string Line(const std::string& ext, const std::string& extra = "") {
  std::string s = "{\"external_id\":\"" + ext + "\",\"uri\":\"file:///data/" + ext + ".jpg\"";
  if (!extra.empty()) s += "," + extra;
  return s + "}";
}

// Contains, for messages.
inline bool Has(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

}  // namespace capi_test
