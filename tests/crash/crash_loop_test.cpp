// Crash loops: a child process does one kind of write over and over (asset
// import, label import, lease and submit, restore and backup) and is killed
// with SIGKILL after a random delay; then the parent opens the store and
// checks, every time:
//   - VerifyStore finds no problem;
//   - every write the child acknowledged before the kill is there, exactly:
//     the child acknowledges a write (through a pipe) only after the call
//     that commits it returned OK, so an acknowledged write is one a caller
//     was told had happened;
//   - the write that was running when the child died is wholly there or
//     wholly absent (per commit: an asset import commits per batch, so its
//     rows are there up to a batch boundary).
// Where the kill lands is chosen in KillLoop.
// The store lives across the loop, so each round also checks that nothing
// acknowledged in an earlier round was lost. Durability cycles through the
// three modes (a process crash loses nothing in any of them).
//
// Kills per scenario: 50 (12 under AddressSanitizer, which is ~5x slower),
// or ANNODB_CRASH_KILLS from the environment for a long run
// (docs/testing/crash-loops.md). Forking rules: process_util.h.
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "annodb/label_json.h"
#include "annodb/labels.h"
#include "annodb/members.h"
#include "annodb/ndjson.h"
#include "annodb/projects.h"
#include "annodb/queue.h"
#include "annodb/schema/asset_generated.h"
#include "annodb/schema/label_generated.h"
#include "annodb/verify.h"
#include "import/import_helpers.h"
#include "process_util.h"

using namespace annodb;
using namespace annodb::test;

namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr int kDefaultKills = 12;
#else
constexpr int kDefaultKills = 50;
#endif

int Kills() {
  const char* env = std::getenv("ANNODB_CRASH_KILLS");
  return env && std::atoi(env) > 0 ? std::atoi(env) : kDefaultKills;
}

StoreOptions Options(int round) {
  StoreOptions o;
  o.durability = static_cast<Durability>(round % 3);
  o.initial_map_bytes = 1 << 20;  // the map also grows while we kill
  return o;
}

// One acknowledgement: what was written, in the scenario's own terms.
struct Ack {
  uint64_t a = 0, b = 0, c = 0;
};

// In the child: sends one acknowledgement; a failed write ends the child.
void SendAck(int fd, Ack ack) {
  if (::write(fd, &ack, sizeof ack) != static_cast<ssize_t>(sizeof ack)) ::_exit(90);
}

// Why a child gave up, for the parent's failure message.
int ChildFailed(const Status& s, int code) {
  std::string m = "crash loop child: " + s.ToString() + "\n";
  (void)!::write(2, m.data(), m.size());
  return code;
}

// Reads one acknowledgement, waiting at most `timeout_ms`; false on timeout
// or when the child closed the pipe.
bool ReadAck(int fd, int timeout_ms, Ack* out) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, timeout_ms) != 1) return false;
  return ::read(fd, out, sizeof *out) == static_cast<ssize_t>(sizeof *out);
}

// A kill loop. `child(store, round, fd)` runs in a child process on the
// opened store and acknowledges its writes through fd until it is killed;
// `check(store, round, acks)` runs in the parent after the kill, on the
// reopened store, after VerifyStore found it clean. Returns the number of
// acknowledgements checked.
//
// Where the kill lands: the parent waits for 0 to 3 acknowledgements (so
// that rounds get past opening the store on a slow machine too), then
// sleeps a random time up to twice the mean time between acknowledgements
// seen so far, so the kill falls anywhere inside the next write or two.
uint64_t KillLoop(const std::string& dir, int kills, unsigned seed,
                  const std::function<int(Store&, int, int)>& child,
                  const std::function<void(Store&, int, const std::vector<Ack>&)>& check) {
  std::mt19937 rng(seed);
  uint64_t acked = 0;
  double op_us = 2000;  // mean time per acknowledged write, measured below
  for (int round = 0; round < kills; ++round) {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    pid_t pid = Spawn([&] {
      ::close(fds[0]);
      std::unique_ptr<Store> store;
      Status s = Store::Open(dir, Options(round), &store);
      if (!s.ok()) return ChildFailed(s, 2);
      return child(*store, round, fds[1]);
    });
    ::close(fds[1]);
    std::vector<Ack> acks;
    Ack ack;
    const size_t wait_for = rng() % 4;
    auto first = std::chrono::steady_clock::now();
    while (acks.size() < wait_for && ReadAck(fds[0], 20000, &ack)) {
      if (acks.empty()) first = std::chrono::steady_clock::now();
      acks.push_back(ack);
    }
    if (acks.size() >= 2) {
      double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - first).count();
      op_us = 0.8 * op_us + 0.2 * (us / static_cast<double>(acks.size() - 1));
    }
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % (static_cast<uint64_t>(2 * op_us) + 1)));
    REQUIRE(::kill(pid, SIGKILL) == 0);
    int code = WaitExit(pid);
    INFO("round " << round << ": the child must still have been running when killed");
    REQUIRE(code == 1000 + SIGKILL);
    while (ReadAck(fds[0], 0, &ack)) acks.push_back(ack);
    ::close(fds[0]);
    acked += acks.size();

    std::unique_ptr<Store> store;
    REQUIRE(Store::Open(dir, StoreOptions{}, &store).ok());
    VerifyReport report;
    REQUIRE(VerifyStore(*store, &report).ok());
    for (const std::string& p : report.problems) UNSCOPED_INFO(p);
    INFO("round " << round << ", " << acks.size() << " acknowledged writes");
    REQUIRE(report.ok());
    check(*store, round, acks);
  }
  return acked;
}

std::vector<FeatureDef> Weather() {
  std::vector<FeatureDef> f;
  REQUIRE(ParseOntologyJson(R"({"features":[{"name":"weather","kind":"classification",
                                              "options":["sunny","rain","snow"]}]})",
                            &f)
              .ok());
  return f;
}

// Creates the store: dataset "d" with `assets` assets a0.., project "p"
// (weather, overlap 1) queuing them when `queue`, members m0..m9.
void Setup(const std::string& dir, int assets, bool queue) {
  auto store = OpenNew(dir);
  std::vector<FeatureDef> features = Weather();
  REQUIRE(store->Write(Actor::System(), [&](WriteTxn& t) {
    uint64_t ds = 0, project = 0;
    ANNODB_RETURN_IF_ERROR(CreateDataset(t, "d", "", &ds));
    for (int i = 0; i < assets; ++i) {
      AssetInput a;
      a.external_id = "a" + std::to_string(i);
      a.uri = "file:///a";
      ANNODB_RETURN_IF_ERROR(PutAsset(t, ds, a, nullptr, nullptr));
    }
    ANNODB_RETURN_IF_ERROR(CreateProject(t, "p", {ds}, features, ProjectSettings{}, &project));
    for (int m = 0; m < 10; ++m) ANNODB_RETURN_IF_ERROR(AddMember(t, "m" + std::to_string(m), Role::Labeler, "", nullptr));
    if (!queue) return Status::OK();
    EnqueueOptions eo;
    eo.dataset_id = ds;
    EnqueueResult r;
    return Enqueue(t, project, eo, &r);
  }).ok());
}

// Every live asset's external id, by dataset name.
std::map<std::string, std::set<std::string>> AssetsByDataset(Store& store) {
  std::map<std::string, std::set<std::string>> out;
  REQUIRE(store.Read([&](ReadTxn& t) {
    std::vector<DatasetInfo> datasets;
    ANNODB_RETURN_IF_ERROR(ListDatasets(t, &datasets));
    std::map<uint64_t, std::string> names;
    for (const DatasetInfo& d : datasets) names[d.id] = d.name;
    for (const DatasetInfo& d : datasets) out[d.name];
    return t.Scan(RecordKind::Asset, 0, [&](const RecordView& v) {
      const fb::Asset* a = v.As<fb::Asset>();
      out[names[a->dataset_id()]].insert(a->external_id()->str());
      return true;
    });
  }).ok());
  return out;
}

}  // namespace

// Asset import: each round's child imports files of 20 rows in batches of 5
// (four commits per file), acknowledging each file when ImportJsonl returns.
// Expected: every row of an acknowledged file; of the file that was running,
// the rows of its committed batches, a prefix of 0, 5, 10, 15 or 20 rows.
TEST_CASE("crash loop: kill -9 during asset imports loses no acknowledged row") {
  constexpr int kRows = 20, kBatch = 5;
  TempDir dir("crash-import");
  const std::string store_dir = dir.sub("store");
  { OpenNew(store_dir); }
  std::map<std::string, int> expected;  // file "round-j" -> rows present
  uint64_t acked = KillLoop(
      store_dir, Kills(), 11,
      [&](Store& store, int round, int fd) {
        for (uint64_t j = 0;; ++j) {
          std::string file = dir.sub("in-" + std::to_string(::getpid()) + ".jsonl");
          {
            std::ofstream f(file, std::ios::trunc);
            for (int r = 0; r < kRows; ++r) f << JsonRow(r, 0, "f" + std::to_string(round) + "-" + std::to_string(j) + "-") << '\n';
          }
          ImportOptions o;
          o.batch_rows = kBatch;
          o.hash_local_files = false;
          ImportReport rep;
          Status s = ImportJsonl(store, "d", file, Importer(), o, &rep);
          if (!s.ok()) return ChildFailed(s, 3);
          SendAck(fd, {static_cast<uint64_t>(round), j, rep.created});
        }
      },
      [&](Store& store, int round, const std::vector<Ack>& acks) {
        for (const Ack& a : acks) {
          CHECK(a.c == kRows);
          expected["f" + std::to_string(a.a) + "-" + std::to_string(a.b)] = kRows;
        }
        // Rows per file as stored, and which rows.
        std::map<std::string, std::set<int>> rows;
        auto datasets = AssetsByDataset(store);
        for (const std::string& ext : datasets["d"]) {
          size_t dash = ext.rfind('-');
          rows[ext.substr(0, dash)].insert(std::stoi(ext.substr(dash + 1)));
        }
        // The file that was running when the child died: f<round>-<acks>.
        std::string running = "f" + std::to_string(round) + "-" + std::to_string(acks.size());
        if (rows.count(running)) {
          const std::set<int>& got = rows[running];
          INFO("rows of the interrupted import " << running << ": " << got.size());
          CHECK(got.size() % kBatch == 0);
          CHECK(*got.rbegin() == static_cast<int>(got.size()) - 1);  // a prefix: batches commit in order
          expected[running] = static_cast<int>(got.size());
        }
        for (const auto& [file, n] : rows) {
          INFO("file " << file);
          CHECK(expected.count(file) == 1);
          CHECK(expected[file] == static_cast<int>(n.size()));
        }
        for (const auto& [file, n] : expected) {
          INFO("acknowledged file " << file << " must still be there");
          CHECK(rows[file].size() == static_cast<size_t>(n));
        }
      });
  WARN("asset import: " << Kills() << " kills, " << acked << " acknowledged imports checked");
}

// Label import: each round's child imports files of 20 label lines for one
// member (one commit each: batch_rows 1000), acknowledging each file when
// ImportLabelsJsonl returns; a label's time_spent_ms names the file that
// wrote it. Expected: exactly the labels of acknowledged files (later files
// overwrite earlier ones' labels of the same asset and member), plus all or
// none of the running file's.
TEST_CASE("crash loop: kill -9 during label imports loses no acknowledged label") {
  constexpr int kAssets = 200, kLines = 20;
  TempDir dir("crash-labels");
  const std::string store_dir = dir.sub("store");
  Setup(store_dir, kAssets, false);
  // (asset external id, member) -> time_spent_ms of the label's file.
  std::map<std::pair<std::string, std::string>, uint64_t> expected;
  auto file_lines = [&](uint64_t round, uint64_t j, std::vector<std::pair<std::string, std::string>>* keys) {
    std::ostringstream out;
    const char* values[] = {"sunny", "rain", "snow"};
    std::string member = "m" + std::to_string(round % 10);
    for (uint64_t r = 0; r < kLines; ++r) {
      std::string asset = "a" + std::to_string((round * 7 + j * kLines + r) % kAssets);
      if (keys) keys->emplace_back(asset, member);
      out << R"({"project":"p","dataset":"d","asset":")" << asset << R"(","author":")" << member
          << R"(","time_spent_ms":)" << round * 100000 + j + 1 << R"(,"annotations":[{"feature":"weather","value":")"
          << values[(j + r) % 3] << "\"}]}\n";
    }
    return out.str();
  };
  uint64_t acked = KillLoop(
      store_dir, Kills(), 12,
      [&](Store& store, int round, int fd) {
        for (uint64_t j = 0;; ++j) {
          std::string file = dir.sub("labels-" + std::to_string(::getpid()) + ".jsonl");
          {
            std::ofstream f(file, std::ios::trunc);
            f << file_lines(round, j, nullptr);
          }
          LabelImportReport rep;
          Status s = ImportLabelsJsonl(store, file, Importer(), 1000, &rep);
          if (!s.ok()) return ChildFailed(s, 3);
          SendAck(fd, {static_cast<uint64_t>(round), j, rep.created + rep.updated + rep.unchanged});
        }
      },
      [&](Store& store, int round, const std::vector<Ack>& acks) {
        for (const Ack& a : acks) {
          CHECK(a.c == kLines);
          std::vector<std::pair<std::string, std::string>> keys;
          file_lines(a.a, a.b, &keys);
          for (const auto& k : keys) expected[k] = a.a * 100000 + a.b + 1;
        }
        std::map<std::pair<std::string, std::string>, uint64_t> got;
        REQUIRE(store.Read([&](ReadTxn& t) {
          std::map<uint64_t, std::string> members, assets;
          ANNODB_RETURN_IF_ERROR(t.Scan(RecordKind::Member, 0, [&](const RecordView& v) {
            MemberInfo m;
            if (GetMember(t, v.id(), &m).ok()) members[v.id()] = m.name;
            return true;
          }));
          ANNODB_RETURN_IF_ERROR(t.Scan(RecordKind::Asset, 0, [&](const RecordView& v) {
            assets[v.id()] = v.As<fb::Asset>()->external_id()->str();
            return true;
          }));
          return t.Scan(RecordKind::Label, 0, [&](const RecordView& v) {
            const fb::Label* l = v.As<fb::Label>();
            got[{assets[l->asset_id()], members[l->author_member_id()]}] = l->time_spent_ms();
            return true;
          });
        }).ok());
        // The file that was running: all of its labels or none.
        uint64_t running = static_cast<uint64_t>(round) * 100000 + acks.size() + 1;
        std::vector<std::pair<std::string, std::string>> keys;
        file_lines(round, acks.size(), &keys);
        size_t present = 0;
        for (const auto& k : keys) present += got.count(k) && got[k] == running;
        INFO("labels of the interrupted import present: " << present);
        CHECK((present == 0 || present == keys.size()));
        if (present == keys.size())
          for (const auto& k : keys) expected[k] = running;
        CHECK(got == expected);
      });
  WARN("label import: " << Kills() << " kills, " << acked << " acknowledged imports checked");
}

// Lease and submit: each round's child leases one task at a time for a
// random member and submits a label for it, acknowledging the lease when
// LeaseTasks committed and the submit when SubmitLease committed. Expected:
// every acknowledged lease exists; every acknowledged submit's label is
// there, on the lease's asset, and its lease is submitted; a lease that is
// submitted has its label (the interrupted submit is all or nothing:
// label, lease and task in one commit).
TEST_CASE("crash loop: kill -9 during lease and submit loses no acknowledged submit") {
  TempDir dir("crash-queue");
  const std::string store_dir = dir.sub("store");
  Setup(store_dir, 3000, true);
  std::map<uint64_t, uint64_t> submitted;  // lease -> label, acknowledged
  std::set<uint64_t> leases;               // acknowledged leases
  uint64_t acked = KillLoop(
      store_dir, Kills(), 13,
      [&](Store& store, int round, int fd) {
        std::mt19937 rng(static_cast<unsigned>(round));
        uint64_t project = 0;
        Status s = store.Read([&](ReadTxn& t) { return FindProject(t, "p", &project); });
        if (!s.ok()) return ChildFailed(s, 3);
        for (;;) {
          std::string name = "m" + std::to_string(rng() % 10);
          uint64_t member = 0;
          s = store.Read([&](ReadTxn& t) { return FindMember(t, name, &member); });
          if (!s.ok()) return ChildFailed(s, 4);
          std::vector<LeaseGrant> grants;
          s = store.Write(Actor::Person(name), [&](WriteTxn& t) {
            return LeaseTasks(t, project, member, 1, LeaseLane::kLabel, &grants);
          });
          if (!s.ok()) return ChildFailed(s, 5);
          if (grants.empty()) return 6;  // 3000 tasks outlast any round
          const LeaseGrant& g = grants[0];
          SendAck(fd, {1, g.lease_id, g.asset_id});
          SubmitInput in;
          AnnotationInput a;
          a.feature = "weather";
          a.value = rng() % 2 ? "sunny" : "rain";
          in.annotations.push_back(a);
          uint64_t label = 0;
          s = store.WriteGrouped(Actor::Person(name),
                                 [&](WriteTxn& t) { return SubmitLease(t, g.lease_id, g.token, in, &label); });
          if (!s.ok()) return ChildFailed(s, 7);
          SendAck(fd, {2, g.lease_id, label});
        }
      },
      [&](Store& store, int, const std::vector<Ack>& acks) {
        std::map<uint64_t, uint64_t> lease_asset;
        for (const Ack& a : acks) {
          if (a.a == 1) {
            leases.insert(a.b);
            lease_asset[a.b] = a.c;
          } else {
            submitted[a.b] = a.c;
          }
        }
        REQUIRE(store.Read([&](ReadTxn& t) {
          for (uint64_t lease : leases) {
            LeaseInfo info;
            INFO("acknowledged lease " << lease);
            REQUIRE(GetLease(t, lease, &info).ok());
            if (lease_asset.count(lease)) CHECK(info.asset_id == lease_asset[lease]);
            bool acked_submit = submitted.count(lease) == 1;
            if (acked_submit) CHECK(info.state == LeaseState::Submitted);
            if (info.state == LeaseState::Submitted && !acked_submit) {
              // The interrupted submit committed: its label must be there whole.
              bool found = false;
              ANNODB_RETURN_IF_ERROR(t.Scan(RecordKind::Label, 0, [&](const RecordView& v) {
                if (v.As<fb::Label>()->lease_id() == lease) {
                  found = true;
                  submitted[lease] = v.id();
                }
                return !found;
              }));
              CHECK(found);
            }
          }
          for (const auto& [lease, label] : submitted) {
            RecordView v;
            INFO("label " << label << " of acknowledged submit on lease " << lease);
            REQUIRE(t.Get(RecordKind::Label, label, &v).ok());
            CHECK(v.As<fb::Label>()->lease_id() == lease);
          }
          CHECK(t.LiveCount(RecordKind::Label) == submitted.size());
          return Status::OK();
        }).ok());
      });
  WARN("lease and submit: " << Kills() << " kills, " << acked << " acknowledged leases and submits checked");
}

// Restore and backup: each round's child restores an NDJSON export of a
// 30-asset dataset under a new name (one commit), then backs the store up
// into a new directory, and again, acknowledging each call when it
// returned. Expected: every acknowledged restore's dataset with its 30
// assets; the interrupted one's dataset absent or whole; every acknowledged
// backup opens, verifies clean and holds what the store held then; the
// interrupted backup's directory holds no store that opens with less.
TEST_CASE("crash loop: kill -9 during restore and backup loses no acknowledged write") {
  constexpr int kAssets = 30;
  TempDir dir("crash-restore");
  const std::string store_dir = dir.sub("store");
  // The export to restore, made from a scratch store.
  std::string export_text;
  {
    auto scratch = OpenNew(dir.sub("scratch"));
    REQUIRE(scratch->Write(Actor::System(), [&](WriteTxn& t) {
      uint64_t ds = 0;
      ANNODB_RETURN_IF_ERROR(CreateDataset(t, "tmpl", "", &ds));
      for (int i = 0; i < kAssets; ++i) {
        AssetInput a;
        a.external_id = "a" + std::to_string(i);
        a.uri = "file:///a";
        ANNODB_RETURN_IF_ERROR(PutAsset(t, ds, a, nullptr, nullptr));
      }
      return Status::OK();
    }).ok());
    std::ostringstream out;
    ExportReport er;
    REQUIRE(ExportNdjson(*scratch, ExportOptions{}, out, &er).ok());
    export_text = out.str();
  }
  auto export_for = [&](const std::string& name) {
    std::string s = export_text;
    for (size_t at = 0; (at = s.find("\"tmpl\"", at)) != std::string::npos; at += name.size() + 2)
      s.replace(at, 6, "\"" + name + "\"");
    return s;
  };
  { OpenNew(store_dir); }
  std::set<std::string> restored;  // acknowledged (or found whole) datasets
  auto backup_dir = [&](uint64_t round, uint64_t j) {
    return dir.sub("backup-" + std::to_string(round) + "-" + std::to_string(j));
  };
  uint64_t acked = KillLoop(
      store_dir, Kills(), 14,
      [&](Store& store, int round, int fd) {
        for (uint64_t j = 0;; ++j) {
          std::string name = "r" + std::to_string(round) + "-" + std::to_string(j);
          std::string file = dir.sub("restore-" + std::to_string(::getpid()) + ".ndjson");
          {
            std::ofstream f(file, std::ios::trunc);
            f << export_for(name);
          }
          RestoreReport rep;
          Status s = RestoreNdjson(store, file, &rep);
          if (!s.ok()) return ChildFailed(s, 3);
          SendAck(fd, {1, j, rep.assets});
          uint64_t seq = 0;
          store.Sequence(&seq);
          s = store.Backup(backup_dir(round, j));
          if (!s.ok()) return ChildFailed(s, 4);
          SendAck(fd, {2, j, seq});
        }
      },
      [&](Store& store, int round, const std::vector<Ack>& acks) {
        std::map<uint64_t, uint64_t> backups;  // j -> sequence
        for (const Ack& a : acks) {
          if (a.a == 1) {
            CHECK(a.c == kAssets);
            restored.insert("r" + std::to_string(round) + "-" + std::to_string(a.b));
          } else {
            backups[a.b] = a.c;
          }
        }
        auto datasets = AssetsByDataset(store);
        // The interrupted restore (if it was one): absent or whole.
        std::string running = "r" + std::to_string(round) + "-" + std::to_string((acks.size() + 1) / 2);
        if (acks.size() % 2 == 0 && datasets.count(running)) {
          INFO("assets of the interrupted restore " << running);
          CHECK(datasets[running].size() == static_cast<size_t>(kAssets));
          restored.insert(running);
        }
        for (const auto& [name, assets] : datasets) {
          INFO("dataset " << name);
          CHECK(restored.count(name) == 1);
          CHECK(assets.size() == static_cast<size_t>(kAssets));
        }
        CHECK(datasets.size() == restored.size());
        uint64_t seq = 0;
        REQUIRE(store.Sequence(&seq).ok());
        // Acknowledged backups, and whatever the interrupted one left.
        struct BackupCheck {
          std::string dir;
          uint64_t sequence;
          bool acknowledged;
        };
        std::vector<BackupCheck> to_check;
        for (const auto& [j, s] : backups) to_check.push_back({backup_dir(round, j), s, true});
        if (acks.size() % 2 == 1) to_check.push_back({backup_dir(round, acks.size() / 2), seq, false});
        for (const BackupCheck& c : to_check) {
          INFO("backup " << c.dir << (c.acknowledged ? " (acknowledged)" : " (interrupted)"));
          std::unique_ptr<Store> b;
          Status s = Store::Open(c.dir, StoreOptions{}, &b);
          if (!c.acknowledged && !s.ok()) {
            // An interrupted backup may leave a directory, but no data file
            // that could pass for a store.
            INFO(s.ToString());
            CHECK(!std::filesystem::exists(c.dir + "/data.mdb"));
          } else {
            INFO(s.ToString());
            REQUIRE(s.ok());
            VerifyReport vr;
            REQUIRE(VerifyStore(*b, &vr).ok());
            CHECK(vr.ok());
            uint64_t got = 0;
            REQUIRE(b->Sequence(&got).ok());
            CHECK(got == c.sequence);
            b.reset();
          }
          std::filesystem::remove_all(c.dir);
        }
      });
  WARN("restore and backup: " << Kills() << " kills, " << acked << " acknowledged restores and backups checked");
}
