// Filling the queue and ordering it: batches of assets, priorities.
#include <algorithm>
#include <charconv>
#include <cmath>

#include "annodb/keys.h"
#include "annodb/schema/asset_generated.h"
#include "indexed_record.h"
#include "queue_state.h"

namespace annodb {

using queue::Task;
using queue::Touch;

namespace {

// The text form a `where` value is compared with.
std::string MetaText(const fb::MetaValue* m) {
  switch (m->kind()) {
    case fb::ValueKind::String: return m->s() ? m->s()->str() : std::string();
    case fb::ValueKind::Int:
    case fb::ValueKind::Time: return std::to_string(m->i());
    case fb::ValueKind::Bool: return m->b() ? "true" : "false";
    case fb::ValueKind::Float: {
      char buf[64];
      auto r = std::to_chars(buf, buf + sizeof buf, m->f());
      return std::string(buf, r.ptr);
    }
  }
  return std::string();
}

bool Matches(const fb::Asset* a, const std::vector<std::pair<std::string, std::string>>& where) {
  for (const auto& [key, value] : where) {
    const fb::MetaValue* m = a->metadata() ? a->metadata()->LookupByKey(key.c_str()) : nullptr;
    if (!m || MetaText(m) != value) return false;
  }
  return true;
}

// Ids of every label (deleted ones included) of the asset in the project.
Status LabelIdsOfAsset(const ReadTxn& txn, uint64_t project_id, uint64_t asset_id, std::vector<uint64_t>* ids) {
  std::string prefix = KeyBuilder().U64(project_id).U64(asset_id).str();
  return txn.IndexScan(Index::kLabelByAsset, prefix, prefix, [&](std::string_view k, std::string_view) {
    if (k.size() == 24) ids->push_back(DecodeU64(k.data() + 16));
    return true;
  });
}

struct EnqueueContext {
  uint64_t project_id = 0;
  queue::QueueSettings qs;
  std::vector<uint64_t> dataset_ids;
  double priority = 0;
  uint64_t batch = 0;
  const std::vector<std::pair<std::string, std::string>>* where = nullptr;
};

Status EnqueueOne(WriteTxn& txn, queue::Counts& counts, EnqueueContext& ctx, uint64_t asset_id, EnqueueResult* r) {
  std::string_view existing;
  Status s = txn.IndexGet(Index::kQueueTask, queue::TaskKey(ctx.project_id, asset_id), &existing);
  if (s.ok()) {
    ++r->already_queued;
    return Status::OK();
  }
  if (!s.IsNotFound()) return s;
  if (ctx.where && !ctx.where->empty()) {
    RecordView v;
    ANNODB_RETURN_IF_ERROR(txn.Get(RecordKind::Asset, asset_id, &v));
    if (!Matches(v.As<fb::Asset>(), *ctx.where)) {
      ++r->filtered_out;
      return Status::OK();
    }
  }
  // Labels already there: a gold label makes a gold task; members' counting
  // labels count toward overlap and keep their authors from the task.
  Task t;
  t.priority = ctx.priority;
  t.batch = ctx.batch;
  std::vector<uint64_t> authors;
  std::vector<uint64_t> label_ids;
  ANNODB_RETURN_IF_ERROR(LabelIdsOfAsset(txn, ctx.project_id, asset_id, &label_ids));
  for (uint64_t id : label_ids) {
    RecordView v;
    ANNODB_RETURN_IF_ERROR(GetIndexedRecord(txn, Index::kLabelByAsset, RecordKind::Label, id, &v));
    if (v.deleted()) continue;
    const fb::Label* l = v.As<fb::Label>();
    if (l->source() == LabelSource::Gold) t.gold = true;
    if (l->source() == LabelSource::Human && l->author_member_id() &&
        (l->status() == LabelStatus::Submitted || l->status() == LabelStatus::Accepted))
      authors.push_back(l->author_member_id());
  }
  t.submitted = static_cast<uint32_t>(authors.size());
  if (!t.gold && t.submitted >= ctx.qs.overlap)
    t.stage = queue::SampledForReview(ctx.project_id, asset_id, ctx.qs.review_fraction) ? Stage::Review : Stage::Done;
  for (uint64_t a : authors) ANNODB_RETURN_IF_ERROR(queue::SetTouch(txn, ctx.project_id, asset_id, a, Touch::kLabelled));
  ANNODB_RETURN_IF_ERROR(queue::SaveTask(txn, counts, ctx.project_id, ctx.qs.overlap, asset_id, nullptr, t));
  ANNODB_RETURN_IF_ERROR(txn.IndexPut(Index::kQueueBatch, queue::BatchKey(ctx.project_id, ctx.batch, asset_id), ""));
  ++r->added;
  if (t.gold) ++r->gold;
  return Status::OK();
}

Status StartEnqueue(WriteTxn& txn, uint64_t project_id, double priority, EnqueueContext* ctx) {
  if (!std::isfinite(priority)) return Status::InvalidArgument("priority must be a finite number");
  ctx->project_id = project_id;
  ctx->priority = priority;
  ANNODB_RETURN_IF_ERROR(queue::LoadSettings(txn, project_id, &ctx->qs));
  RecordView v;
  ANNODB_RETURN_IF_ERROR(txn.Get(RecordKind::Project, project_id, &v));
  const fb::Project* p = v.As<fb::Project>();
  if (p->dataset_ids()) ctx->dataset_ids.assign(p->dataset_ids()->begin(), p->dataset_ids()->end());
  return txn.AllocateCounter("queue_batch", &ctx->batch);
}

Status Reprioritise(WriteTxn& txn, queue::Counts& counts, uint64_t project_id, uint32_t overlap, uint64_t asset_id,
                    double priority, bool* changed) {
  Task before;
  ANNODB_RETURN_IF_ERROR(queue::LoadTask(txn, project_id, asset_id, &before));
  *changed = before.priority != priority;
  if (!*changed) return Status::OK();
  Task after = before;
  after.priority = priority;
  return queue::SaveTask(txn, counts, project_id, overlap, asset_id, &before, after);
}

}  // namespace

Status Enqueue(WriteTxn& txn, uint64_t project_id, const EnqueueOptions& o, EnqueueResult* result) {
  if (!result) return Status::InvalidArgument("result is null");
  *result = EnqueueResult();
  for (const auto& [k, v] : o.where)
    if (k.empty()) return Status::InvalidArgument("a where condition needs a metadata key (key=value)");
  queue::Counts counts(txn);
  ANNODB_RETURN_IF_ERROR(queue::Reclaim(txn, counts, nullptr));
  EnqueueContext ctx;
  ANNODB_RETURN_IF_ERROR(StartEnqueue(txn, project_id, o.priority, &ctx));
  if (std::find(ctx.dataset_ids.begin(), ctx.dataset_ids.end(), o.dataset_id) == ctx.dataset_ids.end())
    return Status::InvalidArgument("dataset " + std::to_string(o.dataset_id) + " is not one of the project's datasets");
  ctx.where = &o.where;
  std::string after, next;
  std::vector<uint64_t> ids;
  do {
    ANNODB_RETURN_IF_ERROR(ListAssets(txn, o.dataset_id, after, 4096, &ids, &next));
    for (uint64_t id : ids) ANNODB_RETURN_IF_ERROR(EnqueueOne(txn, counts, ctx, id, result));
    after = next;
  } while (!next.empty());
  if (result->added) result->batch_id = ctx.batch;
  return counts.Flush();
}

Status EnqueueAssets(WriteTxn& txn, uint64_t project_id, const std::vector<uint64_t>& asset_ids, double priority,
                     EnqueueResult* result) {
  if (!result) return Status::InvalidArgument("result is null");
  *result = EnqueueResult();
  queue::Counts counts(txn);
  ANNODB_RETURN_IF_ERROR(queue::Reclaim(txn, counts, nullptr));
  EnqueueContext ctx;
  ANNODB_RETURN_IF_ERROR(StartEnqueue(txn, project_id, priority, &ctx));
  for (uint64_t id : asset_ids) {
    RecordView v;
    Status s = txn.Get(RecordKind::Asset, id, &v);
    if (s.IsNotFound()) return Status::NotFound("no asset with id " + std::to_string(id));
    ANNODB_RETURN_IF_ERROR(s);
    uint64_t ds = v.As<fb::Asset>()->dataset_id();
    if (std::find(ctx.dataset_ids.begin(), ctx.dataset_ids.end(), ds) == ctx.dataset_ids.end())
      return Status::InvalidArgument("asset " + std::to_string(id) + " is not in one of the project's datasets");
    ANNODB_RETURN_IF_ERROR(EnqueueOne(txn, counts, ctx, id, result));
  }
  if (result->added) result->batch_id = ctx.batch;
  return counts.Flush();
}

Status SetTaskPriority(WriteTxn& txn, uint64_t project_id, uint64_t asset_id, double priority) {
  if (!std::isfinite(priority)) return Status::InvalidArgument("priority must be a finite number");
  queue::Counts counts(txn);
  ANNODB_RETURN_IF_ERROR(queue::Reclaim(txn, counts, nullptr));
  queue::QueueSettings qs;
  ANNODB_RETURN_IF_ERROR(queue::LoadSettings(txn, project_id, &qs));
  bool changed = false;
  ANNODB_RETURN_IF_ERROR(Reprioritise(txn, counts, project_id, qs.overlap, asset_id, priority, &changed));
  return counts.Flush();
}

Status SetBatchPriority(WriteTxn& txn, uint64_t project_id, uint64_t batch_id, double priority, uint64_t* changed) {
  if (changed) *changed = 0;
  if (!std::isfinite(priority)) return Status::InvalidArgument("priority must be a finite number");
  queue::Counts counts(txn);
  ANNODB_RETURN_IF_ERROR(queue::Reclaim(txn, counts, nullptr));
  queue::QueueSettings qs;
  ANNODB_RETURN_IF_ERROR(queue::LoadSettings(txn, project_id, &qs));
  std::string prefix = KeyBuilder().U64(project_id).U64(batch_id).str();
  std::vector<uint64_t> assets;
  ANNODB_RETURN_IF_ERROR(txn.IndexScan(Index::kQueueBatch, prefix, prefix, [&](std::string_view k, std::string_view) {
    if (k.size() == 24) assets.push_back(DecodeU64(k.data() + 16));
    return true;
  }));
  if (assets.empty())
    return Status::NotFound("project " + std::to_string(project_id) + " has no batch " + std::to_string(batch_id));
  for (uint64_t a : assets) {
    bool c = false;
    ANNODB_RETURN_IF_ERROR(Reprioritise(txn, counts, project_id, qs.overlap, a, priority, &c));
    if (c && changed) ++*changed;
  }
  return counts.Flush();
}

Status SetPriorityFromModel(WriteTxn& txn, uint64_t project_id, const std::string& model_name,
                            const std::string& model_version, uint64_t* changed) {
  if (changed) *changed = 0;
  if (model_name.empty()) return Status::InvalidArgument("a model name is required");
  queue::Counts counts(txn);
  ANNODB_RETURN_IF_ERROR(queue::Reclaim(txn, counts, nullptr));
  queue::QueueSettings qs;
  ANNODB_RETURN_IF_ERROR(queue::LoadSettings(txn, project_id, &qs));
  // Every task of the project, then each one's labels by that model.
  std::vector<std::pair<uint64_t, Task>> tasks;
  std::string prefix = KeyBuilder().U64(project_id).str();
  Status bad;
  ANNODB_RETURN_IF_ERROR(txn.IndexScan(Index::kQueueTask, prefix, prefix, [&](std::string_view k, std::string_view v) {
    Task t;
    if (k.size() != 16 || !queue::DecodeTask(v, &t)) {
      bad = Status::Corruption("malformed queue task entry");
      return false;
    }
    if (t.stage == Stage::Label && !t.gold) tasks.emplace_back(DecodeU64(k.data() + 8), t);
    return true;
  }));
  ANNODB_RETURN_IF_ERROR(bad);
  for (const auto& [asset_id, task] : tasks) {
    std::vector<uint64_t> ids;
    ANNODB_RETURN_IF_ERROR(LabelIdsOfAsset(txn, project_id, asset_id, &ids));
    bool found = false;
    double lowest = 1;
    for (uint64_t id : ids) {
      RecordView v;
      ANNODB_RETURN_IF_ERROR(GetIndexedRecord(txn, Index::kLabelByAsset, RecordKind::Label, id, &v));
      if (v.deleted()) continue;
      const fb::Label* l = v.As<fb::Label>();
      if (l->source() != LabelSource::Model || !l->model_name() || l->model_name()->str() != model_name) continue;
      if (!model_version.empty() && (!l->model_version() || l->model_version()->str() != model_version)) continue;
      found = true;
      if (l->annotations())
        for (const fb::Annotation* a : *l->annotations())
          if (a->score()) lowest = std::min(lowest, static_cast<double>(*a->score()));
    }
    if (!found) continue;
    bool c = false;
    ANNODB_RETURN_IF_ERROR(Reprioritise(txn, counts, project_id, qs.overlap, asset_id, 1.0 - lowest, &c));
    if (c && changed) ++*changed;
  }
  return counts.Flush();
}

}  // namespace annodb
