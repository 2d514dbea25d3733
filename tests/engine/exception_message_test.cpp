// An exception that reaches a transaction's safety net is a bug; its
// library text ("[json.exception...]", "basic_filebuf...") must not become
// the message.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <stdexcept>

#include "test_util.h"

using namespace annodb;

namespace {
Status ThrowJson() {
  nlohmann::json j = 1;
  return Status::Internal(j.at("missing").get<std::string>());  // throws type_error 304
}
}  // namespace

TEST_CASE("an exception in a read or write names where it happened and not the library's text") {
  test::TempDir dir("exception-message");
  auto store = test::OpenNew(dir.path());
  Status r = store->Read([](ReadTxn&) { return ThrowJson(); });
  CHECK(r.code() == Code::kInternal);
  CHECK(r.message() == "internal error in read: an unexpected exception (a bug in annodb)");
  Status w = store->Write(Actor::System(), [](WriteTxn&) -> Status { throw std::runtime_error("basic_filebuf::underflow"); });
  CHECK(w.code() == Code::kInternal);
  CHECK(w.message() == "internal error in write: an unexpected exception (a bug in annodb)");
  uint64_t seq = 99;
  REQUIRE(store->Sequence(&seq).ok());
  CHECK(seq == 0);  // the failed write left nothing
}
