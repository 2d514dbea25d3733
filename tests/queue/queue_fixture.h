// A store with a fake clock, a dataset of N images, a project and members,
// for the queue tests.
#pragma once

#include <atomic>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "annodb/assets.h"
#include "annodb/labels.h"
#include "annodb/members.h"
#include "annodb/projects.h"
#include "annodb/queue.h"
#include "annodb/verify.h"
#include "test_util.h"

namespace annodb::test {

inline void Check(const Status& s) {
  if (!s.ok()) throw std::runtime_error(s.ToString());
}

struct QueueFixture {
  std::atomic<int64_t> now{1'700'000'000'000'000};
  TempDir dir{"queue"};
  std::unique_ptr<Store> store;
  uint64_t dataset = 0, project = 0;
  std::map<std::string, uint64_t> members;
  std::vector<uint64_t> assets;  // in creation order (ids ascending)

  explicit QueueFixture(size_t n_assets, ProjectSettings settings = {},
                        std::vector<std::pair<std::string, Role>> people = {{"alice", Role::Labeler},
                                                                             {"bob", Role::Labeler},
                                                                             {"carol", Role::Labeler},
                                                                             {"rita", Role::Reviewer}}) {
    StoreOptions o;
    o.clock_us = [this] { return now.load(); };
    store = OpenNew(dir.path(), o);
    std::vector<FeatureDef> features;
    Check(ParseOntologyJson(R"({"features": [
        {"name": "weather", "kind": "classification", "options": ["sunny", "rain", "snow"]},
        {"name": "vehicle", "kind": "bbox", "classes": ["car", "truck"]}]})",
                            &features));
    Check(store->Write(Actor::Person("admin"), [&](WriteTxn& t) {
      ANNODB_RETURN_IF_ERROR(CreateDataset(t, "cams", "", &dataset));
      for (size_t i = 0; i < n_assets; ++i) {
        AssetInput a;
        char name[32];
        std::snprintf(name, sizeof name, "img-%05zu", i);
        a.external_id = name;
        a.uri = std::string("file:///") + name + ".jpg";
        a.width = 640;
        a.height = 480;
        MetaEntry m;
        m.key = "camera";
        m.s = i % 2 ? "odd" : "even";
        a.metadata.push_back(m);
        uint64_t id = 0;
        ANNODB_RETURN_IF_ERROR(PutAsset(t, dataset, a, &id, nullptr));
        assets.push_back(id);
      }
      ANNODB_RETURN_IF_ERROR(CreateProject(t, "street", {dataset}, features, settings, &project));
      for (const auto& [name, role] : people) {
        uint64_t id = 0;
        ANNODB_RETURN_IF_ERROR(AddMember(t, name, role, "", &id));
        members[name] = id;
      }
      return Status::OK();
    }));
  }

  uint64_t M(const std::string& name) const { return members.at(name); }
  void Advance(int64_t seconds) { now += seconds * 1000000; }

  EnqueueResult Enqueue(double priority = 0, std::vector<std::pair<std::string, std::string>> where = {}) {
    EnqueueResult r;
    Check(store->Write(Actor::Person("admin"), [&](WriteTxn& t) {
      EnqueueOptions o;
      o.dataset_id = dataset;
      o.priority = priority;
      o.where = where;
      return annodb::Enqueue(t, project, o, &r);
    }));
    return r;
  }

  Status TryLease(const std::string& member, uint32_t n, std::vector<LeaseGrant>* grants,
                  LeaseLane lane = LeaseLane::kAuto, LeaseScanStats* stats = nullptr) {
    return store->Write(Actor::Person(member), [&](WriteTxn& t) {
      return LeaseTasks(t, project, M(member), n, lane, grants, stats);
    });
  }
  std::vector<LeaseGrant> Lease(const std::string& member, uint32_t n, LeaseLane lane = LeaseLane::kAuto) {
    std::vector<LeaseGrant> g;
    Check(TryLease(member, n, &g, lane));
    return g;
  }

  static SubmitInput Weather(const std::string& v) {
    SubmitInput in;
    AnnotationInput a;
    a.feature = "weather";
    a.value = v;
    in.annotations.push_back(a);
    return in;
  }
  Status Submit(const LeaseGrant& g, const std::string& value = "sunny", uint64_t* label_id = nullptr,
                uint64_t token = 0) {
    return store->Write(Actor::Person("x"), [&](WriteTxn& t) {
      return SubmitLease(t, g.lease_id, token, Weather(value), label_id);
    });
  }

  TaskInfo Task(uint64_t asset) {
    TaskInfo ti;
    Check(store->Read([&](ReadTxn& t) { return GetTask(t, project, asset, &ti); }));
    return ti;
  }
  QueueStatsInfo Stats() {
    QueueStatsInfo s;
    Check(store->Read([&](ReadTxn& t) { return GetQueueStats(t, project, &s); }));
    return s;
  }
  uint64_t Sequence() {
    uint64_t s = 0;
    Check(store->Sequence(&s));
    return s;
  }
  std::vector<std::string> VerifyProblems() {
    VerifyReport r;
    Check(VerifyStore(*store, &r));
    return r.problems;
  }
};

}  // namespace annodb::test
