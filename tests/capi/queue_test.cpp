// The queue through the C ABI: add, lease, submit, stale and bad calls,
// review reject and accept, skip, release, renew, heartbeat, reads.
#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "capi_test_util.h"

using namespace capi_test;

namespace {

struct QueueStore : TestStore {
  QueueStore(uint32_t overlap, double review_fraction) : TestStore("capi-queue") {
    Dataset("d");
    const char* extra[2] = {R"("width":10,"height":10,"metadata":{"cam":"y"})",
                            R"("width":10,"height":10,"metadata":{"cam":"x"})"};
    for (int i = 1; i <= 4; ++i) Put(Line("a" + std::to_string(i), extra[i % 2]));
    annodb_project_settings ps;
    REQUIRE(annodb_project_settings_init(&ps, sizeof ps) == ANNODB_OK);
    ps.overlap = overlap;
    ps.review_fraction = review_fraction;
    const char* ds[] = {"d"};
    REQUIRE(annodb_project_create(get(), "p", ds, 1,
                                  R"({"features":[{"name":"weather","kind":"classification","options":["sunny","rain"]}]})",
                                  &ps, nullptr, nullptr) == ANNODB_OK);
    for (const char* m : {"alice", "bob"}) REQUIRE(annodb_member_add(get(), m, "labeler", nullptr, nullptr, nullptr) == ANNODB_OK);
    REQUIRE(annodb_member_add(get(), "rita", "reviewer", nullptr, nullptr, nullptr) == ANNODB_OK);
  }
  json Lease(const char* member, uint32_t n, int lane = ANNODB_LANE_AUTO) {
    Out out;
    int rc = annodb_lease(get(), "p", member, n, lane, out.ptr(), out.len());
    INFO(error());
    REQUIRE(rc == ANNODB_OK);
    return out.parse();
  }
};

const char* kRain = R"([{"feature":"weather","value":"rain"}])";

}  // namespace

TEST_CASE("capi queue: add with where, lease, submit, stale refusals") {
  QueueStore s(1, 0);
  Out rep;
  REQUIRE(annodb_queue_add(s, "p", "d", 3, R"({"cam":"y"})", nullptr, rep.ptr(), rep.len()) == ANNODB_OK);
  CHECK(rep.parse()["added"] == 2);
  REQUIRE(annodb_queue_add(s, "p", "d", 0, nullptr, nullptr, rep.ptr(), rep.len()) == ANNODB_OK);
  CHECK(rep.parse()["added"] == 2);
  CHECK(annodb_queue_add(s, "p", "d", 0, "[1]", nullptr, nullptr, nullptr) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_queue_add(s, "p", "nope", 0, nullptr, nullptr, nullptr, nullptr) == ANNODB_NOT_FOUND);
  CHECK(annodb_queue_add(s, nullptr, "d", 0, nullptr, nullptr, nullptr, nullptr) == ANNODB_INVALID_ARGUMENT);

  json l = s.Lease("alice", 2);
  REQUIRE(l.size() == 2);
  CHECK(l[0]["external_id"] == "a2");  // cam y, priority 3
  CHECK(l[1]["external_id"] == "a4");
  uint64_t lease = l[0]["lease"], token = l[0]["token"];
  uint64_t seq = s.Sequence();
  CHECK(annodb_lease_submit(s, lease, token, "not json", 0, nullptr) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_lease_submit(s, lease, token, R"([{"feature":"weather","value":"hail"}])", 0, nullptr) ==
        ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_lease_submit(s, lease, token + 1, kRain, 0, nullptr) == ANNODB_CONFLICT);
  CHECK(Has(s.error(), "fencing token"));
  CHECK(annodb_lease_submit(s, lease, token, nullptr, 0, nullptr) == ANNODB_INVALID_ARGUMENT);
  CHECK(s.Sequence() == seq);
  uint64_t label = 0;
  REQUIRE(annodb_lease_submit(s, lease, token, kRain, 500, &label) == ANNODB_OK);
  CHECK(label > 0);
  CHECK(annodb_lease_submit(s, lease, token, kRain, 0, nullptr) == ANNODB_CONFLICT);
  Out lj;
  REQUIRE(annodb_lease_get_json(s, lease, lj.ptr(), lj.len()) == ANNODB_OK);
  CHECK(lj.parse()["state"] == "submitted");
  CHECK(annodb_lease_get_json(s, 9999, lj.ptr(), lj.len()) == ANNODB_NOT_FOUND);

  // Skip, release, renew, heartbeat.
  uint64_t second = l[1]["lease"];
  CHECK(annodb_lease_skip(s, second, 0, "") == ANNODB_INVALID_ARGUMENT);
  REQUIRE(annodb_lease_skip(s, second, 0, "smudged") == ANNODB_OK);
  json b = s.Lease("bob", 1);
  REQUIRE(b.size() == 1);
  CHECK(b[0]["external_id"] == "a4");
  int64_t exp = 0;
  REQUIRE(annodb_lease_renew(s, b[0]["lease"], 0, &exp) == ANNODB_OK);
  CHECK(exp >= b[0]["expires_us"].get<int64_t>());
  CHECK(annodb_lease_renew(s, b[0]["lease"], b[0]["token"].get<uint64_t>() + 1, &exp) == ANNODB_CONFLICT);
  uint32_t renewed = 0;
  REQUIRE(annodb_heartbeat(s, "bob", &renewed) == ANNODB_OK);
  CHECK(renewed == 1);
  CHECK(annodb_heartbeat(s, "nobody", &renewed) == ANNODB_NOT_FOUND);
  REQUIRE(annodb_lease_release(s, b[0]["lease"], b[0]["token"]) == ANNODB_OK);
  CHECK(annodb_lease_release(s, b[0]["lease"], 0) == ANNODB_CONFLICT);

  Out st;
  REQUIRE(annodb_queue_stats_json(s, "p", st.ptr(), st.len()) == ANNODB_OK);
  json stats = st.parse();
  CHECK(stats["tasks"] == 4);
  CHECK(stats["done"] == 1);
  CHECK(stats["ready"] == 3);
  Out tk;
  REQUIRE(annodb_queue_task_json(s, "p", l[0]["asset_id"], tk.ptr(), tk.len()) == ANNODB_OK);
  CHECK(tk.parse()["stage"] == "done");
  CHECK(annodb_lease(s, "p", "alice", 0, ANNODB_LANE_AUTO, st.ptr(), st.len()) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_lease(s, "p", "alice", 1, 7, st.ptr(), st.len()) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_lease(s, "p", "alice", 1, ANNODB_LANE_AUTO, nullptr, nullptr) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_lease(nullptr, "p", "alice", 1, ANNODB_LANE_AUTO, st.ptr(), st.len()) == ANNODB_INVALID_ARGUMENT);
  // Inactive members get nothing.
  REQUIRE(annodb_member_set_active(s, "bob", 0, nullptr, nullptr) == ANNODB_OK);
  CHECK(annodb_lease(s, "p", "bob", 1, ANNODB_LANE_AUTO, st.ptr(), st.len()) == ANNODB_CONFLICT);
}

TEST_CASE("capi queue: review reject, rework and accept, priorities") {
  QueueStore s(1, 1.0);
  REQUIRE(annodb_queue_add(s, "p", "d", 0, nullptr, nullptr, nullptr, nullptr) == ANNODB_OK);
  uint64_t changed = 0;
  REQUIRE(annodb_queue_set_batch_priority(s, "p", 1, 2, nullptr, &changed) == ANNODB_OK);
  CHECK(changed == 4);
  CHECK(annodb_queue_set_batch_priority(s, "p", 42, 2, nullptr, &changed) == ANNODB_NOT_FOUND);
  json l0 = s.Lease("alice", 1);
  REQUIRE(annodb_queue_set_priority(s, "p", 3, 7, nullptr) == ANNODB_OK);
  CHECK(annodb_queue_set_priority(s, "p", 999, 7, nullptr) == ANNODB_NOT_FOUND);
  json l = s.Lease("alice", 1);
  CHECK(l[0]["asset_id"] == 3);  // raised above the rest
  REQUIRE(annodb_lease_submit(s, l[0]["lease"], 0, kRain, 0, nullptr) == ANNODB_OK);
  CHECK(annodb_queue_priority_from_model(s, "p", nullptr, nullptr, nullptr, &changed) == ANNODB_INVALID_ARGUMENT);

  json r = s.Lease("rita", 1);
  REQUIRE(r.size() == 1);
  CHECK(r[0]["stage"] == "review");
  uint64_t rl = r[0]["lease"];
  CHECK(annodb_review_reject(s, rl, 0, nullptr, nullptr, 0, nullptr, nullptr) == ANNODB_INVALID_ARGUMENT);
  uint64_t bogus = 12345;
  CHECK(annodb_review_reject(s, rl, 0, "fix", &bogus, 1, nullptr, nullptr) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_review_reject(s, rl, 0, "fix", nullptr, 3, nullptr, nullptr) == ANNODB_INVALID_ARGUMENT);
  Out issues;
  REQUIRE(annodb_review_reject(s, rl, 0, "It rains, look closer", nullptr, 0, issues.ptr(), issues.len()) == ANNODB_OK);
  CHECK(issues.parse().size() == 1);
  json again = s.Lease("alice", 5);
  bool reworked = false;
  for (const auto& x : again)
    if (x["asset_id"] == 3) {
      reworked = true;
      REQUIRE(annodb_lease_submit(s, x["lease"], x["token"], R"({"annotations":[{"feature":"weather","value":"sunny"}]})",
                                  0, nullptr) == ANNODB_OK);
    }
  CHECK(reworked);
  json r2 = s.Lease("rita", 1);
  REQUIRE(r2.size() == 1);
  CHECK(annodb_review_accept(s, l[0]["lease"], 0) == ANNODB_CONFLICT);  // a label lease, finished
  REQUIRE(annodb_review_accept(s, r2[0]["lease"], r2[0]["token"]) == ANNODB_OK);
  Out tk;
  REQUIRE(annodb_queue_task_json(s, "p", 3, tk.ptr(), tk.len()) == ANNODB_OK);
  CHECK(tk.parse()["stage"] == "done");
}

TEST_CASE("capi queue: 32 threads lease and submit through one handle, sharing commits") {
  TestStore s("capi-queue-mt");
  s.Dataset("d");
  const int kAssets = 200;
  for (int i = 0; i < kAssets; ++i) s.Put(Line("a" + std::to_string(i)));
  annodb_project_settings ps;
  REQUIRE(annodb_project_settings_init(&ps, sizeof ps) == ANNODB_OK);
  ps.overlap = 3;
  const char* ds[] = {"d"};
  REQUIRE(annodb_project_create(s, "p", ds, 1,
                                R"({"features":[{"name":"weather","kind":"classification","options":["sunny","rain"]}]})",
                                &ps, nullptr, nullptr) == ANNODB_OK);
  for (int m = 0; m < 8; ++m)
    REQUIRE(annodb_member_add(s, ("m" + std::to_string(m)).c_str(), "labeler", nullptr, nullptr, nullptr) == ANNODB_OK);
  REQUIRE(annodb_queue_add(s, "p", "d", 0, nullptr, nullptr, nullptr, nullptr) == ANNODB_OK);
  uint64_t seq_before = s.Sequence();
  std::atomic<int> submits{0}, failures{0}, granting_leases{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 32; ++t) {
    threads.emplace_back([&, t] {
      std::string member = "m" + std::to_string(t % 8);
      for (int idle = 0; idle < 3;) {
        char* out = nullptr;
        size_t len = 0;
        if (annodb_lease(s, "p", member.c_str(), 2, ANNODB_LANE_LABEL, &out, &len) != ANNODB_OK) {
          ++failures;
          return;
        }
        json grants = json::parse(std::string(out, len));
        annodb_free(out);
        if (grants.empty()) {
          ++idle;
          std::this_thread::sleep_for(std::chrono::milliseconds(5));
          continue;
        }
        ++granting_leases;
        for (const auto& g : grants) {
          int rc = annodb_lease_submit(s, g["lease"], g["token"], kRain, 0, nullptr);
          if (rc == ANNODB_OK) ++submits;
          else ++failures;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(failures == 0);
  CHECK(submits == kAssets * 3);
  Out st;
  REQUIRE(annodb_queue_stats_json(s, "p", st.ptr(), st.len()) == ANNODB_OK);
  json stats = st.parse();
  CHECK(stats["done"] == kAssets);
  CHECK(stats["leased"] == 0);
  // Group commit: fewer commits than calls that changed something (each
  // would be its own commit with Store::Write).
  uint64_t commits = s.Sequence() - seq_before;
  uint64_t changing_calls = static_cast<uint64_t>(submits.load() + granting_leases.load());
  INFO("commits " << commits << " for " << changing_calls << " calls that wrote");
  CHECK(commits < changing_calls);
  Out rep;
  REQUIRE(annodb_verify(s, rep.ptr(), rep.len()) == ANNODB_OK);
  CHECK(rep.parse()["problems"].empty());
}
