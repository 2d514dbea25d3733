// Eight processes drain one queue at once, some killed with SIGKILL mid-way
// and restarted. Afterwards the store's own records prove the rules: every
// asset has exactly K labels from K distinct members, no task was ever held
// beyond its overlap (replaying every grant by commit sequence), no stale
// submit was accepted, and verify is clean. Children fork before any store is
// opened in the parent, as LMDB requires.
#include <catch2/catch.hpp>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "annodb/assets.h"
#include "annodb/labels.h"
#include "annodb/members.h"
#include "annodb/projects.h"
#include "annodb/queue.h"
#include "annodb/verify.h"
#include "process_util.h"
#include "test_util.h"

using namespace annodb;

namespace {

constexpr int kAssets = 120;
constexpr uint32_t kOverlap = 3;
constexpr int kMembers = 10;

StoreOptions Options() {
  StoreOptions o;
  o.durability = Durability::kProcessCrashSafe;  // a process crash loses nothing
  o.initial_map_bytes = 1 << 20;                 // and the map grows under load
  return o;
}

// Child body: lease and submit for random members until every task is done.
// Now and then it sleeps past the lease TTL before submitting, and counts
// the refusal it must get in `stale_log`.
int Worker(const std::string& dir, const std::string& stale_log, unsigned seed) {
  std::unique_ptr<Store> store;
  if (!Store::Open(dir, Options(), &store).ok()) return 2;
  std::mt19937 rng(seed);
  uint64_t project = 0;
  if (!store->Read([&](ReadTxn& t) { return FindProject(t, "p", &project); }).ok()) return 3;
  for (int iter = 0; iter < 100000; ++iter) {
    QueueStatsInfo st;
    if (!store->Read([&](ReadTxn& t) { return GetQueueStats(t, project, &st); }).ok()) return 4;
    if (st.done == kAssets) return 0;
    uint64_t member = 0;
    std::string name = "m" + std::to_string(rng() % kMembers);
    if (!store->Read([&](ReadTxn& t) { return FindMember(t, name, &member); }).ok()) return 5;
    std::vector<LeaseGrant> grants;
    Status s = store->Write(Actor::Person(name), [&](WriteTxn& t) {
      return LeaseTasks(t, project, member, 1 + rng() % 3, LeaseLane::kLabel, &grants);
    });
    if (!s.ok()) return 6;
    if (grants.empty()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      continue;
    }
    for (const LeaseGrant& g : grants) {
      bool stale = rng() % 40 == 0;
      if (stale) std::this_thread::sleep_for(std::chrono::milliseconds(1100));
      SubmitInput in;
      AnnotationInput a;
      a.feature = "weather";
      a.value = (rng() % 2) ? "sunny" : "rain";
      in.annotations.push_back(a);
      s = store->Write(Actor::Person(name), [&](WriteTxn& t) { return SubmitLease(t, g.lease_id, g.token, in, nullptr); });
      if (stale) {
        if (s.code() != Code::kConflict) return 7;  // a stale submit must be refused
        int fd = ::open(stale_log.c_str(), O_WRONLY | O_APPEND | O_CREAT, 0644);
        if (fd >= 0) {
          (void)!::write(fd, "s", 1);
          ::close(fd);
        }
      } else if (!s.ok() && s.code() != Code::kConflict) {
        return 8;  // a conflict is possible: the lease may have expired under load
      }
    }
  }
  return 9;
}

pid_t Spawn(const std::string& dir, const std::string& stale_log, unsigned seed) {
  return test::Spawn([=] { return Worker(dir, stale_log, seed); });
}

}  // namespace

TEST_CASE("eight processes, some killed with SIGKILL, drain a queue with overlap 3 exactly") {
  test::TempDir dir("qproc");
  std::string stale_log = dir.path() + "-stale";
  ::unlink(stale_log.c_str());
  {
    StoreOptions o = Options();
    o.create_if_missing = true;
    std::unique_ptr<Store> store;
    REQUIRE(Store::Open(dir.path(), o, &store).ok());
    std::vector<FeatureDef> features;
    REQUIRE(ParseOntologyJson(R"({"features":[{"name":"weather","kind":"classification","options":["sunny","rain"]}]})",
                              &features)
                .ok());
    Status s = store->Write(Actor::System(), [&](WriteTxn& t) {
      uint64_t ds = 0, project = 0;
      ANNODB_RETURN_IF_ERROR(CreateDataset(t, "d", "", &ds));
      for (int i = 0; i < kAssets; ++i) {
        AssetInput a;
        a.external_id = "a" + std::to_string(i);
        a.uri = "file:///a";
        ANNODB_RETURN_IF_ERROR(PutAsset(t, ds, a, nullptr, nullptr));
      }
      ProjectSettings ps;
      ps.overlap = kOverlap;
      ps.lease_ttl_s = 1;
      ANNODB_RETURN_IF_ERROR(CreateProject(t, "p", {ds}, features, ps, &project));
      for (int m = 0; m < kMembers; ++m)
        ANNODB_RETURN_IF_ERROR(AddMember(t, "m" + std::to_string(m), Role::Labeler, "", nullptr));
      EnqueueOptions eo;
      eo.dataset_id = ds;
      EnqueueResult r;
      return Enqueue(t, project, eo, &r);
    });
    REQUIRE(s.ok());
  }  // closed before forking

  std::vector<pid_t> pids;
  unsigned seed = 1;
  for (int i = 0; i < 8; ++i) pids.push_back(Spawn(dir.path(), stale_log, seed++));
  int killed = 0;
  for (int round = 0; round < 3; ++round) {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    for (int i = round; i < 8; i += 3) {
      if (::kill(pids[i], SIGKILL) == 0) ++killed;
      int status = 0;
      ::waitpid(pids[i], &status, 0);
      pids[i] = Spawn(dir.path(), stale_log, seed++);
    }
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  for (pid_t& p : pids) {
    int status = 0;
    while (::waitpid(p, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        ::kill(p, SIGKILL);
        ::waitpid(p, &status, 0);
        FAIL("a worker did not finish in time");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    INFO("worker exit status " << status);
    CHECK((WIFEXITED(status) && WEXITSTATUS(status) == 0));
  }
  CHECK(killed >= 6);

  std::unique_ptr<Store> store;
  REQUIRE(Store::Open(dir.path(), Options(), &store).ok());
  Status s = store->Read([&](ReadTxn& t) {
    uint64_t project = 0;
    ANNODB_RETURN_IF_ERROR(FindProject(t, "p", &project));
    // 1. Exactly K labels per asset from K distinct members.
    std::map<uint64_t, std::set<uint64_t>> authors;
    std::map<uint64_t, int> labels_per_asset;
    std::map<std::pair<uint64_t, uint64_t>, uint64_t> label_seq;  // (asset, member) -> first sequence
    std::vector<std::tuple<uint64_t, uint64_t, int64_t>> label_leases;  // label, lease, written at
    ANNODB_RETURN_IF_ERROR(t.Scan(RecordKind::Label, 0, [&](const RecordView& v) {
      const fb::Label* l = v.As<fb::Label>();
      authors[l->asset_id()].insert(l->author_member_id());
      ++labels_per_asset[l->asset_id()];
      label_leases.emplace_back(v.id(), l->lease_id(), v.provenance()->time_us());
      return true;
    }));
    CHECK(labels_per_asset.size() == static_cast<size_t>(kAssets));
    for (const auto& [asset, n] : labels_per_asset) {
      CHECK(n == static_cast<int>(kOverlap));
      CHECK(authors[asset].size() == kOverlap);
    }
    // 2. Replay every grant by commit sequence: active leases + labels <= K.
    std::map<uint64_t, std::vector<std::pair<uint64_t, int>>> events;  // asset -> (sequence, +1/-1)
    uint64_t grants = 0, expired = 0, last_token = 0;
    std::map<uint64_t, std::pair<int64_t, uint64_t>> lease_end;  // lease -> (expiry, sequence submitted)
    ANNODB_RETURN_IF_ERROR(t.Scan(RecordKind::Lease, 0, [&](const RecordView& v) {
      ++grants;
      const fb::Lease* l = v.As<fb::Lease>();
      CHECK(l->token() > last_token);  // tokens grow with grants
      last_token = l->token();
      std::vector<RecordView> hist;
      if (!t.History(RecordKind::Lease, v.id(), &hist).ok()) return false;
      uint64_t start = hist.front().sequence(), end = 0;
      for (const RecordView& h : hist)
        if (h.As<fb::Lease>()->state() != LeaseState::Active && end == 0) end = h.sequence();
      events[l->asset_id()].push_back({start, +1});
      if (end) events[l->asset_id()].push_back({end, -1});
      if (l->state() == LeaseState::Expired) ++expired;
      if (l->state() == LeaseState::Submitted) lease_end[v.id()] = {hist[hist.size() - 2].As<fb::Lease>()->expires_us(), end};
      return true;
    }));
    for (auto& [asset, ev] : events) {
      // Labels are created in the commit that ends their lease: count them as
      // holding from then on (the lease's -1 and the label's +1 share it).
      std::sort(ev.begin(), ev.end(), [](auto a, auto b) { return a.first != b.first ? a.first < b.first : a.second < b.second; });
      int held = 0, max_held = 0;
      for (auto [seq, d] : ev) {
        held += d;
        max_held = std::max(max_held, held);
      }
      CHECK(max_held <= static_cast<int>(kOverlap));
      CHECK(held == 0);
    }
    CHECK(expired > 0);  // killed workers' and sleepers' leases expired and were reclaimed
    // 3. No stale submit accepted: each label came through a lease that was
    // active (before its expiry) when the label was written, in that commit.
    for (const auto& [label, lease, written_us] : label_leases) {
      auto it = lease_end.find(lease);
      REQUIRE(it != lease_end.end());
      CHECK(written_us < it->second.first);
      RecordView lv;
      ANNODB_RETURN_IF_ERROR(t.Get(RecordKind::Label, label, &lv));
      CHECK(lv.sequence() == it->second.second);
    }
    INFO("grants " << grants << ", expired " << expired);
    CHECK(grants >= static_cast<uint64_t>(kAssets * kOverlap));
    QueueStatsInfo st;
    ANNODB_RETURN_IF_ERROR(GetQueueStats(t, project, &st));
    CHECK(st.done == static_cast<uint64_t>(kAssets));
    CHECK(st.leased == 0);
    return Status::OK();
  });
  REQUIRE(s.ok());
  VerifyReport report;
  REQUIRE(VerifyStore(*store, &report).ok());
  for (const auto& p : report.problems) FAIL_CHECK(p);
  // Some sleeping workers tried stale submits and were refused.
  std::error_code ec;
  CHECK(std::filesystem::file_size(stale_log, ec) > 0);
  ::unlink(stale_log.c_str());
}
