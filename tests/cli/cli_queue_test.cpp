// The queue commands end to end through the real binary: queue add with a
// filter, lease (JSON), submit from a file and stdin, stale and repeated
// submits refused with one-line errors, review reject and rework, skip,
// release, renew, heartbeat, stats, priorities, and settings via project set.
#include <catch2/catch.hpp>

#include "cli_util.h"

using namespace annodb::test;
using nlohmann::json;

namespace {

struct QueueCli {
  TempDir dir{"cli-queue"};
  CliStore s{dir.sub("store")};
  QueueCli() {
    s.Ok({"init"});
    WriteFile(dir.sub("assets.jsonl"), MakeJsonl(6));
    s.Ok({"import", "--dataset", "cams", dir.sub("assets.jsonl")});
    WriteFile(dir.sub("ontology.json"),
              R"({"features": [{"name": "weather", "kind": "classification", "options": ["sunny", "rain"]}]})");
    s.Ok({"project", "create", "street", "--ontology", dir.sub("ontology.json"), "--dataset", "cams", "--overlap", "2",
          "--review-fraction", "1"});
    s.Ok({"member", "add", "alice"});
    s.Ok({"member", "add", "bob"});
    s.Ok({"member", "add", "rita", "--role", "reviewer"});
    WriteFile(dir.sub("rain.json"), R"([{"feature": "weather", "value": "rain"}])");
  }
};

}  // namespace

TEST_CASE("cli: queue add, lease, submit, review and stats") {
  QueueCli q;
  json add = q.s.Json({"queue", "add", "--project", "street", "--dataset", "cams", "--where", "camera=A", "--priority", "5"});
  CHECK(add["added"] == 3);
  CHECK(add["filtered_out"] == 3);
  add = q.s.Json({"queue", "add", "--project", "street", "--dataset", "cams"});
  CHECK(add["added"] == 3);
  CHECK(add["already_queued"] == 3);

  auto leases = q.s.JsonLines({"lease", "--project", "street", "--member", "alice", "-n", "2"});
  REQUIRE(leases.size() == 2);
  for (const char* k : {"lease", "token", "asset_id", "external_id", "stage", "expires_at"}) CHECK(leases[0].contains(k));
  CHECK(leases[0]["external_id"] == "img-0001");  // camera A first (priority 5)
  CHECK(leases[1]["external_id"] == "img-0003");
  CHECK(leases[0]["stage"] == "label");
  CHECK(leases[1]["token"].get<uint64_t>() > leases[0]["token"].get<uint64_t>());
  std::string l0 = std::to_string(leases[0]["lease"].get<uint64_t>());
  std::string l1 = std::to_string(leases[1]["lease"].get<uint64_t>());

  // Submit from a file, then again: refused, one line, nothing changed.
  json sub = q.s.Json({"submit", "--lease", l0, "--label", q.dir.sub("rain.json")});
  CHECK(sub["result"] == "submitted");
  RunResult again = q.s.Run({"submit", "--lease", l0, "--label", q.dir.sub("rain.json")});
  CHECK(again.code == 1);
  CHECK(IsOneLineError(again.err));
  CHECK(again.err.find("submitted") != std::string::npos);
  // A bad label is refused and the lease stays usable; a wrong token too.
  RunOptions bad;
  bad.input = R"([{"feature": "weather", "value": "hail"}])";
  RunResult r = q.s.Run({"submit", "--lease", l1, "--label", "-"}, bad);
  CHECK(r.code == 1);
  CHECK(IsOneLineError(r.err));
  r = q.s.Run({"submit", "--lease", l1, "--token", "999999", "--label", q.dir.sub("rain.json")});
  CHECK(r.code == 1);
  CHECK(r.err.find("fencing token") != std::string::npos);
  RunOptions good;
  good.input = R"({"annotations": [{"feature": "weather", "value": "sunny"}], "time_spent_ms": 1200})";
  q.s.Ok({"submit", "--lease", l1, "--label", "-"}, good);

  // Bob completes img-0001's overlap; it goes to review.
  auto b = q.s.JsonLines({"lease", "--project", "street", "--member", "bob"});
  REQUIRE(b.size() == 1);
  CHECK(b[0]["external_id"] == "img-0001");
  q.s.Ok({"submit", "--lease", std::to_string(b[0]["lease"].get<uint64_t>()), "--label", q.dir.sub("rain.json")});
  auto rv = q.s.JsonLines({"lease", "--project", "street", "--member", "rita"});
  REQUIRE(rv.size() == 1);
  CHECK(rv[0]["stage"] == "review");
  std::string rl = std::to_string(rv[0]["lease"].get<uint64_t>());
  r = q.s.Run({"review", "reject", "--lease", rl});
  CHECK(r.code == 2);  // --comment is required
  json rej = q.s.Json({"review", "reject", "--lease", rl, "--comment", "Look at the puddles"});
  CHECK(rej["issues"].size() == 2);
  json task = q.s.Json({"queue", "task", "--project", "street", "--dataset", "cams", "--external-id", "img-0001"});
  CHECK(task["stage"] == "label");
  CHECK(task["submitted"] == 0);

  json st = q.s.Json({"queue", "stats", "--project", "street"});
  CHECK(st["tasks"] == 6);
  CHECK(st["review"] == 0);
  CHECK(st["members"].size() == 3);
  std::string human = q.s.Ok({"queue", "stats", "--project", "street"});
  CHECK(human.find("ready") != std::string::npos);
  CHECK(q.s.Ok({"verify"}).find(" 0 problems") != std::string::npos);
}

TEST_CASE("cli: skip, release, renew, heartbeat, leases and priorities") {
  QueueCli q;
  q.s.Ok({"queue", "add", "--project", "street", "--dataset", "cams"});
  auto l = q.s.JsonLines({"lease", "--project", "street", "--member", "alice", "-n", "3"});
  REQUIRE(l.size() == 3);
  std::string a = std::to_string(l[0]["lease"].get<uint64_t>());
  std::string b = std::to_string(l[1]["lease"].get<uint64_t>());
  RunResult r = q.s.Run({"skip", "--lease", a});
  CHECK(r.code == 2);  // --reason is required
  q.s.Ok({"skip", "--lease", a, "--reason", "too dark"});
  q.s.Ok({"release", "--lease", b});
  CHECK(q.s.Run({"release", "--lease", b}).code == 1);
  json renew = q.s.Json({"renew", "--lease", std::to_string(l[2]["lease"].get<uint64_t>())});
  CHECK(renew["result"] == "renewed");
  json hb = q.s.Json({"heartbeat", "--member", "alice"});
  CHECK(hb["renewed"] == 1);
  auto held = q.s.JsonLines({"leases", "--member", "alice"});
  CHECK(held.size() == 1);
  // The released task comes back to alice; the skipped one never does.
  auto next = q.s.JsonLines({"lease", "--project", "street", "--member", "alice", "-n", "10"});
  bool saw_released = false;
  for (const auto& x : next) {
    CHECK(x["asset_id"] != l[0]["asset_id"]);
    if (x["asset_id"] == l[1]["asset_id"]) saw_released = true;
  }
  CHECK(saw_released);
  // Priority of one task moves it to the front for bob.
  q.s.Ok({"queue", "priority", "--project", "street", "--dataset", "cams", "--external-id", "img-0006", "--priority", "9"});
  auto bob = q.s.JsonLines({"lease", "--project", "street", "--member", "bob"});
  REQUIRE(bob.size() == 1);
  CHECK(bob[0]["external_id"] == "img-0006");
  r = q.s.Run({"queue", "priority", "--project", "street", "--batch", "1"});
  CHECK(r.code == 2);  // needs --priority
  r = q.s.Run({"lease", "--project", "street", "--member", "nobody"});
  CHECK(r.code == 1);
  CHECK(IsOneLineError(r.err));
  // Settings change through project set.
  q.s.Ok({"project", "set", "street", "--max-leases", "1"});
  CHECK(q.s.JsonLines({"lease", "--project", "street", "--member", "bob", "-n", "5"}).empty());  // bob holds 1
  CHECK(q.s.Ok({"lease", "--project", "street", "--member", "bob"}).find("no work") != std::string::npos);
}
