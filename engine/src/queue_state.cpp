// Queue state: encodings, lane placement, counters, lease records.
#include "queue_state.h"

#include <xxhash.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <set>

#include "annodb/keys.h"
#include "annodb/schema/project_generated.h"
#include "text_checks.h"
#include "stack_key.h"

namespace annodb::queue {
namespace {

void PutU32(char* p, uint32_t v) {
  for (int i = 3; i >= 0; --i) {
    p[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
}
uint32_t GetU32(const char* p) {
  const auto* b = reinterpret_cast<const unsigned char*>(p);
  return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | b[3];
}

// Doubles as unsigned integers whose order is the doubles' order.
uint64_t SortableDouble(double d) {
  uint64_t bits = std::bit_cast<uint64_t>(d);
  return (bits & (uint64_t{1} << 63)) ? ~bits : bits | (uint64_t{1} << 63);
}

// (project, lane) + OrderKey: a kQueueReady / kQueueAhead key.
StackKey<33> LaneKey(uint64_t project_id, Lane lane, double priority, uint64_t batch, uint64_t asset_id) {
  StackKey<33> k;
  k.U64(project_id).U8(static_cast<uint8_t>(lane)).U64(~SortableDouble(priority)).U64(batch).U64(asset_id);
  return k;
}
constexpr size_t kLanePrefixBytes = 9;

flatbuffers::FlatBufferBuilder& LeaseBuilder() {
  thread_local flatbuffers::FlatBufferBuilder b(256);
  return b;
}

std::string_view EncodeTaskIn(const Task& t, char (&b)[kTaskBytes]) {
  b[0] = 1;  // layout version
  b[1] = static_cast<char>(t.stage);
  b[2] = static_cast<char>(t.gold ? 1 : 0);
  b[3] = 0;
  PutU32(b + 4, t.submitted);
  PutU32(b + 8, t.holders);
  PutU32(b + 12, t.reviewing);
  StoreU64BE(b + 16, std::bit_cast<uint64_t>(t.priority));
  StoreU64BE(b + 24, t.batch);
  return std::string_view(b, kTaskBytes);
}

}  // namespace

std::string EncodeTask(const Task& t) {
  char b[kTaskBytes];
  return std::string(EncodeTaskIn(t, b));
}

bool DecodeTask(std::string_view b, Task* out) {
  if (b.size() != kTaskBytes || b[0] != 1) return false;
  auto stage = static_cast<uint8_t>(b[1]);
  if (stage > static_cast<uint8_t>(Stage::Done)) return false;
  out->stage = static_cast<Stage>(stage);
  out->gold = b[2] != 0;
  out->submitted = GetU32(b.data() + 4);
  out->holders = GetU32(b.data() + 8);
  out->reviewing = GetU32(b.data() + 12);
  out->priority = std::bit_cast<double>(DecodeU64(b.data() + 16));
  out->batch = DecodeU64(b.data() + 24);
  return std::isfinite(out->priority);
}

std::string OrderKey(double priority, uint64_t batch, uint64_t asset_id) {
  return KeyBuilder().U64(~SortableDouble(priority)).U64(batch).U64(asset_id).str();
}
uint64_t AssetOfOrderKey(std::string_view k) { return k.size() >= 8 ? DecodeU64(k.data() + k.size() - 8) : 0; }

std::string TaskKey(uint64_t p, uint64_t a) { return KeyBuilder().U64(p).U64(a).str(); }
std::string LanePrefix(uint64_t p, Lane lane) { return KeyBuilder().U64(p).U8(static_cast<uint8_t>(lane)).str(); }
std::string TouchKey(uint64_t p, uint64_t a, uint64_t m) { return KeyBuilder().U64(p).U64(a).U64(m).str(); }
std::string CursorKey(uint64_t p, uint64_t m, Lane lane) {
  return KeyBuilder().U64(p).U64(m).U8(static_cast<uint8_t>(lane)).str();
}
std::string ExpiryKey(int64_t expires_us, uint64_t lease_id) {
  // Biased so that negative times (a test clock) still sort correctly.
  return KeyBuilder().U64(static_cast<uint64_t>(expires_us) ^ (uint64_t{1} << 63)).U64(lease_id).str();
}
std::string MemberLeaseKey(uint64_t m, uint64_t l) { return KeyBuilder().U64(m).U64(l).str(); }
std::string BatchKey(uint64_t p, uint64_t b, uint64_t a) { return KeyBuilder().U64(p).U64(b).U64(a).str(); }
std::string_view CountsKey(uint64_t p, uint64_t m, char (&buf)[16]) {
  StoreU64BE(buf, p);
  StoreU64BE(buf + 8, m);
  return std::string_view(buf, sizeof buf);
}
std::string LegacyCountKey(uint64_t p, Counter c, uint64_t m) {
  return KeyBuilder().U64(p).U8(static_cast<uint8_t>(c)).U64(m).str();
}

std::string_view EncodeCounts(const CounterValues& v, char (&buf)[kCountsBytes]) {
  buf[0] = 1;  // layout version
  for (size_t i = 0; i < kCounterCount; ++i) StoreU64BE(buf + 1 + 8 * i, v[i]);
  return std::string_view(buf, sizeof buf);
}

bool DecodeCounts(std::string_view b, CounterValues* out) {
  out->fill(0);
  if (b.empty() || b[0] != 1 || (b.size() - 1) % 8 != 0 || (b.size() - 1) / 8 > kCounterCount) return false;
  for (size_t i = 0; i < (b.size() - 1) / 8; ++i) (*out)[i] = DecodeU64(b.data() + 1 + 8 * i);
  return true;
}

Status LoadSettings(const ReadTxn& txn, uint64_t project_id, QueueSettings* out) {
  RecordView v;
  Status s = txn.Get(RecordKind::Project, project_id, &v);
  if (s.IsNotFound()) return Status::NotFound("no project with id " + std::to_string(project_id));
  ANNODB_RETURN_IF_ERROR(s);
  const fb::Project* p = v.As<fb::Project>();
  out->overlap = p->overlap();
  out->lease_ttl_s = p->lease_ttl_s();
  out->review_fraction = p->review_fraction();
  out->gold_rate = p->gold_rate();
  out->max_leases = p->max_leases();
  if (out->overlap == 0) out->overlap = 1;
  return Status::OK();
}

Lane LaneOf(const Task& t, uint32_t overlap) {
  if (t.gold) return Lane::kGold;  // gold tasks stay offered; touches keep members from repeating them
  if (t.stage == Stage::Label) return t.submitted + t.holders < overlap ? Lane::kLabel : Lane::kNone;
  if (t.stage == Stage::Review) return t.reviewing == 0 ? Lane::kReview : Lane::kNone;
  return Lane::kNone;
}

Status LoadTask(const ReadTxn& txn, uint64_t project_id, uint64_t asset_id, Task* out) {
  std::string_view v;
  StackKey<16> key;
  Status s = txn.IndexGet(Index::kQueueTask, key.U64(project_id).U64(asset_id).view(), &v);
  if (s.IsNotFound())
    return Status::NotFound("asset " + std::to_string(asset_id) + " is not queued in project " +
                            std::to_string(project_id));
  ANNODB_RETURN_IF_ERROR(s);
  if (!DecodeTask(v, out)) return Status::Corruption("queue task entry for asset " + std::to_string(asset_id) + " is malformed");
  return Status::OK();
}

namespace {

// The counter a task's stage contributes to.
Counter StageCounter(const Task& t) {
  if (t.gold) return Counter::kGold;
  switch (t.stage) {
    case Stage::Label: return Counter::kLabelStage;
    case Stage::Review: return Counter::kReview;
    default: return Counter::kDone;
  }
}

}  // namespace

Status SaveTask(WriteTxn& txn, Counts& counts, uint64_t project_id, uint32_t overlap, uint64_t asset_id,
                const Task* before, const Task& after) {
  Lane lane_before = before ? LaneOf(*before, overlap) : Lane::kNone;
  Lane lane_after = LaneOf(after, overlap);
  // The order key is a function of the priority's bits and the batch.
  bool same_order = before && std::bit_cast<uint64_t>(before->priority) == std::bit_cast<uint64_t>(after.priority) &&
                    before->batch == after.batch;
  bool moved = lane_before != lane_after || !same_order;
  if (lane_before != Lane::kNone && moved) {
    StackKey<33> k = LaneKey(project_id, lane_before, before->priority, before->batch, asset_id);
    ANNODB_RETURN_IF_ERROR(txn.IndexDelete(Index::kQueueReady, k.view()));
    ANNODB_RETURN_IF_ERROR(txn.IndexDelete(Index::kQueueAhead, k.view()));
    if (lane_before == Lane::kLabel) ANNODB_RETURN_IF_ERROR(counts.Add(project_id, Counter::kReady, 0, -1));
  }
  if (lane_after != Lane::kNone && moved) {
    StackKey<33> k = LaneKey(project_id, lane_after, after.priority, after.batch, asset_id);
    ANNODB_RETURN_IF_ERROR(txn.IndexPut(Index::kQueueReady, k.view(), ""));
    // Behind some member's cursor: that member's scan starts past it, so
    // the ahead index must list it (docs/queue.md, "Cursors").
    Cursor furthest = GetCursor(txn, project_id, 0, lane_after);
    if (k.view().substr(kLanePrefixBytes) < furthest.order_key)
      ANNODB_RETURN_IF_ERROR(txn.IndexPut(Index::kQueueAhead, k.view(), ""));
    if (lane_after == Lane::kLabel) ANNODB_RETURN_IF_ERROR(counts.Add(project_id, Counter::kReady, 0, 1));
  }
  if (!before) {
    ANNODB_RETURN_IF_ERROR(counts.Add(project_id, Counter::kTasks, 0, 1));
    ANNODB_RETURN_IF_ERROR(counts.Add(project_id, StageCounter(after), 0, 1));
  } else if (StageCounter(*before) != StageCounter(after)) {
    ANNODB_RETURN_IF_ERROR(counts.Add(project_id, StageCounter(*before), 0, -1));
    ANNODB_RETURN_IF_ERROR(counts.Add(project_id, StageCounter(after), 0, 1));
  }
  StackKey<16> key;
  char value[kTaskBytes];
  return txn.IndexPut(Index::kQueueTask, key.U64(project_id).U64(asset_id).view(), EncodeTaskIn(after, value));
}

Touch GetTouch(const ReadTxn& txn, uint64_t project_id, uint64_t asset_id, uint64_t member_id) {
  StackKey<24> key;
  std::string_view v;
  bool found = false;
  // IndexFind: a lease looks up touches that are mostly absent, and a miss
  // through IndexGet would build a NotFound message each time.
  Status s = txn.IndexFind(Index::kQueueTouch, key.U64(project_id).U64(asset_id).U64(member_id).view(), &v, &found);
  if (!s.ok() || !found || v.size() != 1) return Touch::kNone;
  return static_cast<Touch>(v[0]);
}

Status SetTouch(WriteTxn& txn, uint64_t project_id, uint64_t asset_id, uint64_t member_id, Touch t) {
  StackKey<24> key;
  key.U64(project_id).U64(asset_id).U64(member_id);
  if (t == Touch::kNone) return txn.IndexDelete(Index::kQueueTouch, key.view());
  const char value = static_cast<char>(t);
  return txn.IndexPut(Index::kQueueTouch, key.view(), std::string_view(&value, 1));
}

Status ClearTouch(WriteTxn& txn, uint64_t project_id, uint32_t overlap, uint64_t asset_id, uint64_t member_id,
                  const Task& task) {
  ANNODB_RETURN_IF_ERROR(SetTouch(txn, project_id, asset_id, member_id, Touch::kNone));
  Lane lane = LaneOf(task, overlap);
  if (lane == Lane::kNone) return Status::OK();
  std::string key = OrderKey(task.priority, task.batch, asset_id);
  if (key < GetCursor(txn, project_id, 0, lane).order_key)
    return txn.IndexPut(Index::kQueueAhead, LanePrefix(project_id, lane) + key, "");
  return Status::OK();
}

Status Counts::Load(uint64_t project_id, uint64_t member_id, size_t* index) {
  for (size_t i = 0; i < entries_.size(); ++i) {
    if (entries_[i].project_id == project_id && entries_[i].member_id == member_id) {
      *index = i;
      return Status::OK();
    }
  }
  Entry e;
  e.project_id = project_id;
  e.member_id = member_id;
  std::string_view v;
  bool found = false;
  char kb[16];
  ANNODB_RETURN_IF_ERROR(txn_.IndexFind(Index::kQueueCounts, CountsKey(project_id, member_id, kb), &v, &found));
  if (found) {
    if (!DecodeCounts(v, &e.values))
      return Status::Corruption("queue counters of project " + std::to_string(project_id) + ", member " +
                                std::to_string(member_id) + " are malformed");
  } else {
    // No record yet: a store from before the one-record layout may hold
    // the counters as one entry each. Read once per (project, member), the
    // first time an operation changes them; Flush converts them.
    for (size_t c = 0; c < kCounterCount; ++c) {
      std::string key = LegacyCountKey(project_id, static_cast<Counter>(c), member_id);
      ANNODB_RETURN_IF_ERROR(txn_.IndexFind(Index::kQueueCounts, key, &v, &found));
      if (!found) continue;
      if (v.size() != 8)
        return Status::Corruption("queue counter " + std::to_string(c) + " of project " + std::to_string(project_id) +
                                  " is malformed");
      e.values[c] = DecodeU64(v.data());
      e.legacy = true;
    }
  }
  if (entries_.empty()) entries_.reserve(2);  // the project's and a member's
  entries_.push_back(e);
  *index = entries_.size() - 1;
  return Status::OK();
}

Status Counts::Add(uint64_t project_id, Counter c, uint64_t member_id, int64_t delta) {
  size_t i = 0;
  ANNODB_RETURN_IF_ERROR(Load(project_id, member_id, &i));
  uint64_t& cur = entries_[i].values[static_cast<size_t>(c)];
  if (delta < 0 && cur < static_cast<uint64_t>(-delta))
    return Status::Corruption("queue counter " + std::to_string(static_cast<int>(c)) + " would go below zero");
  cur += static_cast<uint64_t>(delta);
  entries_[i].dirty = true;
  return Status::OK();
}

Status Counts::Get(uint64_t project_id, Counter c, uint64_t member_id, uint64_t* out) {
  size_t i = 0;
  ANNODB_RETURN_IF_ERROR(Load(project_id, member_id, &i));
  *out = entries_[i].values[static_cast<size_t>(c)];
  return Status::OK();
}

Status Counts::Flush() {
  for (Entry& e : entries_) {
    if (!e.dirty) continue;
    // Zero counters are stored, not deleted: "leased" goes 0 -> 1 -> 0 on
    // every cycle, and a put in place is cheaper than B-tree churn.
    char kb[16], vb[kCountsBytes];
    ANNODB_RETURN_IF_ERROR(
        txn_.IndexPut(Index::kQueueCounts, CountsKey(e.project_id, e.member_id, kb), EncodeCounts(e.values, vb)));
    if (e.legacy) {
      for (size_t c = 0; c < kCounterCount; ++c)
        ANNODB_RETURN_IF_ERROR(txn_.IndexDelete(Index::kQueueCounts,
                                                LegacyCountKey(e.project_id, static_cast<Counter>(c), e.member_id)));
      e.legacy = false;
    }
    e.dirty = false;
  }
  return Status::OK();
}

Status ReadAllCounts(const ReadTxn& txn, uint64_t project_id,
                     std::map<std::pair<uint64_t, uint64_t>, CounterValues>* out, uint64_t* malformed,
                     std::vector<std::pair<uint64_t, uint64_t>>* both) {
  out->clear();
  *malformed = 0;
  std::set<std::pair<uint64_t, uint64_t>> records, legacy;
  std::string prefix = project_id ? KeyBuilder().U64(project_id).str() : std::string();
  auto visit = [&](std::string_view k, std::string_view v) {
    CounterValues values;
    if (k.size() == 16 && DecodeCounts(v, &values)) {
      std::pair<uint64_t, uint64_t> pm{DecodeU64(k.data()), DecodeU64(k.data() + 8)};
      CounterValues& into = (*out)[pm];
      for (size_t c = 0; c < kCounterCount; ++c) into[c] += values[c];
      records.insert(pm);
    } else if (k.size() == 17 && v.size() == 8 && static_cast<uint8_t>(k[8]) < kCounterCount) {
      std::pair<uint64_t, uint64_t> pm{DecodeU64(k.data()), DecodeU64(k.data() + 9)};
      (*out)[pm][static_cast<uint8_t>(k[8])] += DecodeU64(v.data());
      legacy.insert(pm);
    } else {
      ++*malformed;
    }
    return true;
  };
  ANNODB_RETURN_IF_ERROR(txn.IndexScan(Index::kQueueCounts, prefix, prefix, visit));
  if (both)
    for (const auto& pm : records)
      if (legacy.count(pm)) both->push_back(pm);
  return Status::OK();
}

Cursor GetCursor(const ReadTxn& txn, uint64_t project_id, uint64_t member_id, Lane lane) {
  Cursor c;
  StackKey<17> key;
  std::string_view v;
  bool found = false;
  Status s = txn.IndexFind(Index::kQueueCursor, key.U64(project_id).U64(member_id).U8(static_cast<uint8_t>(lane)).view(),
                           &v, &found);
  if (!s.ok() || !found || v.size() != 32) return c;
  c.order_key.assign(v.data(), 24);
  c.slots = DecodeU64(v.data() + 24);
  return c;
}

Status SetCursor(WriteTxn& txn, uint64_t project_id, uint64_t member_id, Lane lane, const Cursor& c) {
  char v[32] = {};
  std::memcpy(v, c.order_key.data(), std::min<size_t>(c.order_key.size(), 24));
  StoreU64BE(v + 24, c.slots);
  StackKey<17> key;
  return txn.IndexPut(Index::kQueueCursor, key.U64(project_id).U64(member_id).U8(static_cast<uint8_t>(lane)).view(),
                      std::string_view(v, sizeof v));
}

Status LoadLease(const ReadTxn& txn, uint64_t lease_id, LeaseRecord* out) {
  RecordView v;
  Status s = txn.Get(RecordKind::Lease, lease_id, &v);
  if (s.IsNotFound()) return Status::NotFound("no lease with id " + std::to_string(lease_id));
  ANNODB_RETURN_IF_ERROR(s);
  const fb::Lease* l = v.As<fb::Lease>();
  out->id = lease_id;
  out->project_id = l->project_id();
  out->asset_id = l->asset_id();
  out->member_id = l->member_id();
  out->token = l->token();
  out->stage = l->stage();
  out->granted_us = l->granted_us();
  out->expires_us = l->expires_us();
  out->state = l->state();
  out->gold = l->gold();
  out->skip_reason = FbStr(l->skip_reason());
  return Status::OK();
}

Status PutLease(WriteTxn& txn, const LeaseRecord& l) {
  flatbuffers::FlatBufferBuilder& b = LeaseBuilder();
  b.Clear();
  auto reason = l.skip_reason.empty() ? 0 : b.CreateString(l.skip_reason);
  fb::LeaseBuilder lb(b);
  lb.add_project_id(l.project_id);
  lb.add_asset_id(l.asset_id);
  lb.add_member_id(l.member_id);
  lb.add_stage(l.stage);
  lb.add_token(l.token);
  lb.add_granted_us(l.granted_us);
  lb.add_expires_us(l.expires_us);
  lb.add_state(l.state);
  if (!reason.IsNull()) lb.add_skip_reason(reason);
  lb.add_gold(l.gold);
  b.Finish(lb.Finish());
  return txn.Put(RecordKind::Lease, l.id, b.GetBufferPointer(), b.GetSize(), nullptr);
}

Status EndLease(WriteTxn& txn, Counts& counts, LeaseRecord* l, LeaseState state, const std::string& reason) {
  ANNODB_RETURN_IF_ERROR(txn.IndexDelete(Index::kLeaseByExpiry, ExpiryKey(l->expires_us, l->id)));
  ANNODB_RETURN_IF_ERROR(txn.IndexDelete(Index::kLeaseByMember, MemberLeaseKey(l->member_id, l->id)));
  l->state = state;
  l->skip_reason = reason;
  ANNODB_RETURN_IF_ERROR(PutLease(txn, *l));
  bool review = l->stage == Stage::Review;
  ANNODB_RETURN_IF_ERROR(counts.Add(l->project_id, review ? Counter::kReviewLeased : Counter::kLeased, 0, -1));
  ANNODB_RETURN_IF_ERROR(counts.Add(l->project_id, Counter::kLeased, l->member_id, -1));
  switch (state) {
    case LeaseState::Submitted:
      return counts.Add(l->project_id, review ? Counter::kReviewed : Counter::kSubmitted, l->member_id, 1);
    case LeaseState::Skipped: return counts.Add(l->project_id, Counter::kSkipped, l->member_id, 1);
    case LeaseState::Released: return counts.Add(l->project_id, Counter::kReleased, l->member_id, 1);
    case LeaseState::Expired: return counts.Add(l->project_id, Counter::kExpired, l->member_id, 1);
    default: return Status::Internal("ending a lease in state active");
  }
}

Status CheckActiveLease(WriteTxn& txn, Counts& counts, uint64_t lease_id, uint64_t token, LeaseRecord* out) {
  if (lease_id == 0) return Status::InvalidArgument("a lease id is required");
  ANNODB_RETURN_IF_ERROR(Reclaim(txn, counts, nullptr));
  ANNODB_RETURN_IF_ERROR(LoadLease(txn, lease_id, out));
  if (token != 0 && token != out->token)
    return Status::Conflict("fencing token " + std::to_string(token) + " does not match lease " +
                            std::to_string(lease_id) + " (its token is " + std::to_string(out->token) + ")");
  if (out->state != LeaseState::Active)
    return Status::Conflict("lease " + std::to_string(lease_id) + " is " + LeaseStateName(out->state) +
                            ": it no longer holds its task");
  return Status::OK();
}

Status ReturnTask(WriteTxn& txn, Counts& counts, const LeaseRecord& l, Touch member_touch_after) {
  QueueSettings qs;
  ANNODB_RETURN_IF_ERROR(LoadSettings(txn, l.project_id, &qs));
  Task before, after;
  ANNODB_RETURN_IF_ERROR(LoadTask(txn, l.project_id, l.asset_id, &before));
  after = before;
  if (l.stage == Stage::Review) {
    if (after.reviewing == 0) return Status::Corruption("review lease returned to a task with no reviewer");
    after.reviewing -= 1;
    ANNODB_RETURN_IF_ERROR(SaveTask(txn, counts, l.project_id, qs.overlap, l.asset_id, &before, after));
    if (member_touch_after == Touch::kNone) return Status::OK();
    return SetTouch(txn, l.project_id, l.asset_id, l.member_id, member_touch_after);
  }
  if (after.holders == 0) return Status::Corruption("label lease returned to a task with no holder");
  after.holders -= 1;
  ANNODB_RETURN_IF_ERROR(SaveTask(txn, counts, l.project_id, qs.overlap, l.asset_id, &before, after));
  if (member_touch_after == Touch::kNone)
    return ClearTouch(txn, l.project_id, qs.overlap, l.asset_id, l.member_id, after);
  return SetTouch(txn, l.project_id, l.asset_id, l.member_id, member_touch_after);
}

bool SampledForReview(uint64_t project_id, uint64_t asset_id, float fraction) {
  if (fraction <= 0) return false;
  if (fraction >= 1) return true;
  uint64_t in[2] = {project_id, asset_id};
  uint64_t h = XXH3_64bits(in, sizeof in);
  // The top 53 bits as a uniform number in [0, 1).
  double u = static_cast<double>(h >> 11) * (1.0 / 9007199254740992.0);
  return u < fraction;
}

}  // namespace annodb::queue
