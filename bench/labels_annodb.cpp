// annodb: queue (LeaseTasks, SubmitLease), PutLabel (consensus views kept in
// the same transaction for counted labels, none for drafts), ExportNdjson,
// ComputeAgreement (Krippendorff's alpha from the value-count views).
#include "labels_annodb.h"

#include <algorithm>
#include <fstream>
#include <stdexcept>

#include "annodb/assets.h"
#include "annodb/consensus.h"
#include "annodb/labels.h"
#include "annodb/members.h"
#include "annodb/ndjson.h"
#include "annodb/projects.h"
#include "annodb/queue.h"
#include "labelgen.h"

namespace bench::annodb_work {
namespace {

constexpr const char* kQueueProject = "bench_queue";

void Check(const annodb::Status& s, const char* what) {
  if (!s.ok()) throw std::runtime_error(std::string("annodb: ") + what + ": " + s.ToString());
}

annodb::Actor BenchActor() {
  annodb::Actor a;
  a.kind = annodb::ActorKind::kSystem;
  a.name = "annodb_bench";
  return a;
}

// Members "m0".."m31" and the dataset id, creating members that are missing.
void EnsureMembers(annodb::Store& store, uint64_t* dataset_id, std::vector<uint64_t>* members) {
  members->assign(kQueueMembers, 0);
  bool missing = false;
  Check(store.Read([&](annodb::ReadTxn& t) {
    ANNODB_RETURN_IF_ERROR(annodb::FindDataset(t, kDatasetName, dataset_id));
    for (int i = 0; i < kQueueMembers; ++i) {
      annodb::Status s = annodb::FindMember(t, "m" + std::to_string(i), &(*members)[static_cast<size_t>(i)]);
      if (s.IsNotFound()) missing = true;
      else ANNODB_RETURN_IF_ERROR(s);
    }
    return annodb::Status::OK();
  }), "find members");
  if (!missing) return;
  Check(store.Write(BenchActor(), [&](annodb::WriteTxn& t) {
    for (int i = 0; i < kQueueMembers; ++i) {
      uint64_t& id = (*members)[static_cast<size_t>(i)];
      std::string name = "m" + std::to_string(i);
      annodb::Status s = annodb::FindMember(t, name, &id);
      if (s.IsNotFound()) s = annodb::AddMember(t, name, annodb::Role::Labeler, "", &id);
      ANNODB_RETURN_IF_ERROR(s);
    }
    return annodb::Status::OK();
  }), "add members");
}

uint64_t CreateProject(annodb::Store& store, const std::string& name, uint64_t dataset_id) {
  uint64_t id = 0;
  annodb::ProjectSettings settings;
  settings.overlap = 1;
  Check(store.Write(BenchActor(), [&](annodb::WriteTxn& t) {
    return annodb::CreateProject(t, name, {dataset_id}, BenchOntology(), settings, &id);
  }), "create project");
  return id;
}

}  // namespace

void PrepareQueue(annodb::Store& store, const Config& cfg, QueueIds* ids) {
  uint64_t dataset_id = 0;
  EnsureMembers(store, &dataset_id, &ids->members);
  annodb::Status s = store.Read([&](annodb::ReadTxn& t) { return annodb::FindProject(t, kQueueProject, &ids->project); });
  if (s.ok()) return;
  if (!s.IsNotFound()) Check(s, "find queue project");
  ids->project = CreateProject(store, kQueueProject, dataset_id);
  // One task per asset (import gave them ids 1..rows), priority = id mod 10,
  // enqueued in chunks so no transaction grows without bound.
  const uint64_t chunk = 50000;
  for (uint64_t start = 1; start <= cfg.rows; start += chunk) {
    uint64_t end = std::min(cfg.rows + 1, start + chunk);
    Check(store.Write(BenchActor(), [&](annodb::WriteTxn& t) {
      for (int p = 0; p < 10; ++p) {
        std::vector<uint64_t> assets;
        for (uint64_t a = start; a < end; ++a)
          if (a % 10 == static_cast<uint64_t>(p)) assets.push_back(a);
        annodb::EnqueueResult r;
        if (!assets.empty()) ANNODB_RETURN_IF_ERROR(annodb::EnqueueAssets(t, ids->project, assets, p, &r));
      }
      return annodb::Status::OK();
    }), "enqueue");
  }
}

uint64_t LeaseSubmit(annodb::Store& store, const Config& cfg, const QueueIds& ids, int client, uint64_t cycles,
                     bool grouped) {
  const uint64_t member = ids.members.at(static_cast<size_t>(client));
  annodb::Actor actor = BenchActor();
  actor.kind = annodb::ActorKind::kPerson;
  actor.name = "m" + std::to_string(client);
  auto write = [&](const std::function<annodb::Status(annodb::WriteTxn&)>& fn) {
    return grouped ? store.WriteGrouped(actor, fn) : store.Write(actor, fn);
  };
  GenLabel gl;
  uint64_t done = 0;
  for (uint64_t i = 0; i < cycles; ++i) {
    std::vector<annodb::LeaseGrant> grants;
    Check(write([&](annodb::WriteTxn& t) {
      return annodb::LeaseTasks(t, ids.project, member, 1, annodb::LeaseLane::kLabel, &grants);
    }), "lease");
    if (grants.empty()) throw std::runtime_error("annodb: the queue ran dry");
    const annodb::LeaseGrant& g = grants[0];
    MakeLabel(cfg.seed, g.asset_id, static_cast<uint32_t>(client), &gl);
    Check(write([&](annodb::WriteTxn& t) {
      annodb::SubmitInput in;
      in.annotations = gl.annotations;  // copied: the function may run again
      in.time_spent_ms = 1000;
      uint64_t label_id = 0;
      return annodb::SubmitLease(t, g.lease_id, g.token, std::move(in), &label_id);
    }), "submit");
    ++done;
  }
  return done;
}

bool HasProject(annodb::Store& store, const std::string& project) {
  uint64_t id = 0;
  annodb::Status s = store.Read([&](annodb::ReadTxn& t) { return annodb::FindProject(t, project, &id); });
  if (s.IsNotFound()) return false;
  Check(s, "find project");
  return true;
}

uint64_t PutLabels(annodb::Store& store, const Config& cfg, const std::string& project, bool counted) {
  uint64_t dataset_id = 0;
  std::vector<uint64_t> members;
  EnsureMembers(store, &dataset_id, &members);
  const uint64_t project_id = CreateProject(store, project, dataset_id);
  const uint64_t total = cfg.labels;
  std::vector<annodb::LabelInput> batch;
  GenLabel gl;
  uint64_t written = 0;
  while (written < total) {
    batch.clear();
    for (uint64_t k = written; k < total && batch.size() < cfg.label_batch; ++k) {
      uint64_t asset = k / kLabelsPerAsset + 1;
      uint32_t m = static_cast<uint32_t>(k % kLabelsPerAsset);
      MakeLabel(cfg.seed, asset, m, &gl, /*with_json=*/false);
      annodb::LabelInput l;
      l.project_id = project_id;
      l.asset_id = asset;
      l.author_member_id = members[m];
      l.source = annodb::LabelSource::Human;
      l.status = counted ? annodb::LabelStatus::Submitted : annodb::LabelStatus::Draft;
      l.annotations = gl.annotations;
      l.time_spent_ms = 1000;
      batch.push_back(std::move(l));
    }
    Check(store.Write(BenchActor(), [&](annodb::WriteTxn& t) {
      for (const annodb::LabelInput& l : batch) {
        uint64_t id = 0;
        ANNODB_RETURN_IF_ERROR(annodb::PutLabel(t, l, &id, nullptr));
      }
      return annodb::Status::OK();
    }), "put labels");
    written += batch.size();
  }
  return written;
}

uint64_t Export(annodb::Store& store, const std::string& project, const std::string& path) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  annodb::ExportOptions o;
  o.project = project;
  annodb::ExportReport rep;
  Check(annodb::ExportNdjson(store, o, out, &rep), "export");
  out.close();
  if (!out) throw std::runtime_error("annodb: writing " + path);
  return rep.labels;
}

uint64_t Alpha(annodb::Store& store, const std::string& project, double* alpha) {
  std::vector<annodb::AgreementReport> reps;
  Check(store.Read([&](annodb::ReadTxn& t) {
    annodb::AgreementRequest req;
    ANNODB_RETURN_IF_ERROR(annodb::FindProject(t, project, &req.project_id));
    req.metric = annodb::AgreementMetric::kKrippendorffAlpha;
    req.feature = "category";
    req.level = annodb::stats::Level::kNominal;
    return annodb::ComputeAgreement(t, req, &reps);
  }), "alpha");
  if (reps.empty() || !reps[0].value) throw std::runtime_error("annodb: alpha undefined");
  *alpha = *reps[0].value;
  return reps[0].labels;
}

}  // namespace bench::annodb_work
