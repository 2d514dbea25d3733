// Finishing leases with work: a label submit, a review's accept or reject.
#include <algorithm>

#include "annodb/comments.h"
#include "annodb/keys.h"
#include "annodb/members.h"
#include "queue_state.h"

namespace annodb {

using queue::LeaseRecord;
using queue::Task;
using queue::Touch;

namespace {

// Restores the transaction's actor when a submit ends, however it ends.
class ActorScope {
 public:
  ActorScope(WriteTxn& txn, Actor a) : txn_(txn), saved_(txn.actor()) { txn_.set_actor(std::move(a)); }
  ~ActorScope() { txn_.set_actor(std::move(saved_)); }
  ActorScope(const ActorScope&) = delete;
  ActorScope& operator=(const ActorScope&) = delete;

 private:
  WriteTxn& txn_;
  Actor saved_;
};

Actor MemberActor(const WriteTxn& txn, const MemberInfo& m, uint64_t lease_id) {
  Actor a = txn.actor();
  a.kind = ActorKind::kPerson;
  a.name = m.name;
  a.lease_id = lease_id;
  return a;
}

bool Counts(const fb::Label* l) {
  return l->source() == LabelSource::Human &&
         (l->status() == LabelStatus::Submitted || l->status() == LabelStatus::Accepted);
}

// The task's labels that count toward overlap, by id.
Status CountingLabels(const ReadTxn& txn, uint64_t project_id, uint64_t asset_id, std::vector<uint64_t>* ids) {
  ids->clear();
  std::vector<uint64_t> all;
  LabelFilter f;
  f.project_id = project_id;
  f.asset_id = asset_id;
  ANNODB_RETURN_IF_ERROR(ListLabels(txn, f, 0, 1000, &all));
  for (uint64_t id : all) {
    RecordView v;
    ANNODB_RETURN_IF_ERROR(txn.Get(RecordKind::Label, id, &v));
    if (Counts(v.As<fb::Label>())) ids->push_back(id);
  }
  return Status::OK();
}

Status SetLabelStatus(WriteTxn& txn, uint64_t label_id, LabelStatus status, uint64_t* author) {
  RecordView v;
  ANNODB_RETURN_IF_ERROR(txn.Get(RecordKind::Label, label_id, &v));
  LabelInput l = DecodeLabel(v.As<fb::Label>());
  if (author) *author = l.author_member_id;
  l.status = status;
  return UpdateLabel(txn, label_id, std::move(l), nullptr);
}

// SubmitLease's work, with the operation's counters.
Status Submit(WriteTxn& txn, queue::Counts& counts, uint64_t lease_id, uint64_t token, SubmitInput& input,
              uint64_t* label_id) {
  LeaseRecord l;
  ANNODB_RETURN_IF_ERROR(queue::CheckActiveLease(txn, counts, lease_id, token, &l));
  if (l.stage != Stage::Label)
    return Status::Conflict("lease " + std::to_string(lease_id) + " is a review lease: finish it with a review");
  MemberInfo m;
  ANNODB_RETURN_IF_ERROR(GetMember(txn, l.member_id, &m));
  queue::QueueSettings qs;
  ANNODB_RETURN_IF_ERROR(queue::LoadSettings(txn, l.project_id, &qs));
  LabelInput li;
  li.project_id = l.project_id;
  li.asset_id = l.asset_id;
  li.author_member_id = l.member_id;
  li.source = LabelSource::Human;
  li.status = LabelStatus::Submitted;
  li.annotations = std::move(input.annotations);
  li.time_spent_ms = input.time_spent_ms;
  li.lease_id = lease_id;
  uint64_t id = 0;
  {
    ActorScope scope(txn, MemberActor(txn, m, lease_id));
    ANNODB_RETURN_IF_ERROR(PutLabel(txn, std::move(li), &id, nullptr));
    ANNODB_RETURN_IF_ERROR(queue::EndLease(txn, counts, &l, LeaseState::Submitted, ""));
  }
  Task before, after;
  ANNODB_RETURN_IF_ERROR(queue::LoadTask(txn, l.project_id, l.asset_id, &before));
  after = before;
  if (after.holders == 0) return Status::Corruption("submit to a task with no holder");
  after.holders -= 1;
  after.submitted += 1;
  if (!after.gold && after.stage == Stage::Label && after.submitted >= qs.overlap)
    after.stage = queue::SampledForReview(l.project_id, l.asset_id, qs.review_fraction) ? Stage::Review : Stage::Done;
  ANNODB_RETURN_IF_ERROR(queue::SaveTask(txn, counts, l.project_id, qs.overlap, l.asset_id, &before, after));
  ANNODB_RETURN_IF_ERROR(queue::SetTouch(txn, l.project_id, l.asset_id, l.member_id, Touch::kLabelled));
  if (label_id) *label_id = id;
  return Status::OK();
}

// ReviewLease's work, with the operation's counters.
Status Review(WriteTxn& txn, queue::Counts& counts, uint64_t lease_id, uint64_t token, const ReviewInput& input,
              std::vector<uint64_t>* comment_ids) {
  LeaseRecord l;
  ANNODB_RETURN_IF_ERROR(queue::CheckActiveLease(txn, counts, lease_id, token, &l));
  if (l.stage != Stage::Review)
    return Status::Conflict("lease " + std::to_string(lease_id) + " is a label lease: finish it with a submit");
  MemberInfo m;
  ANNODB_RETURN_IF_ERROR(GetMember(txn, l.member_id, &m));
  queue::QueueSettings qs;
  ANNODB_RETURN_IF_ERROR(queue::LoadSettings(txn, l.project_id, &qs));
  std::vector<uint64_t> counting;
  ANNODB_RETURN_IF_ERROR(CountingLabels(txn, l.project_id, l.asset_id, &counting));
  std::vector<uint64_t> rejected;
  if (!input.accept) {
    rejected = input.reject_label_ids.empty() ? counting : input.reject_label_ids;
    std::sort(rejected.begin(), rejected.end());
    rejected.erase(std::unique(rejected.begin(), rejected.end()), rejected.end());
    for (uint64_t id : rejected)
      if (!std::binary_search(counting.begin(), counting.end(), id))
        return Status::InvalidArgument("label " + std::to_string(id) + " is not a submitted label of asset " +
                                       std::to_string(l.asset_id) + " in this project");
  }
  Task before, after;
  ANNODB_RETURN_IF_ERROR(queue::LoadTask(txn, l.project_id, l.asset_id, &before));
  after = before;
  if (after.reviewing == 0) return Status::Corruption("review of a task with no reviewer");
  after.reviewing -= 1;
  std::vector<uint64_t> authors;
  {
    ActorScope scope(txn, MemberActor(txn, m, lease_id));
    if (input.accept) {
      for (uint64_t id : counting) ANNODB_RETURN_IF_ERROR(SetLabelStatus(txn, id, LabelStatus::Accepted, nullptr));
      after.stage = Stage::Done;
    } else {
      for (uint64_t id : rejected) {
        uint64_t author = 0;
        ANNODB_RETURN_IF_ERROR(SetLabelStatus(txn, id, LabelStatus::Rejected, &author));
        if (author) authors.push_back(author);
        CommentInput c;
        c.label_id = id;
        c.author_member_id = l.member_id;
        c.body = input.comment;
        c.issue = true;
        uint64_t cid = 0;
        ANNODB_RETURN_IF_ERROR(AddComment(txn, c, &cid));
        if (comment_ids) comment_ids->push_back(cid);
      }
      after.submitted -= std::min<uint32_t>(after.submitted, static_cast<uint32_t>(rejected.size()));
      after.stage = Stage::Label;
    }
    ANNODB_RETURN_IF_ERROR(queue::EndLease(txn, counts, &l, LeaseState::Submitted, ""));
  }
  ANNODB_RETURN_IF_ERROR(queue::SaveTask(txn, counts, l.project_id, qs.overlap, l.asset_id, &before, after));
  // Rework: the authors of rejected labels may take the task again.
  for (uint64_t a : authors) ANNODB_RETURN_IF_ERROR(queue::ClearTouch(txn, l.project_id, qs.overlap, l.asset_id, a, after));
  return Status::OK();
}

}  // namespace

Status SubmitLease(WriteTxn& txn, uint64_t lease_id, uint64_t token, SubmitInput input, uint64_t* label_id) {
  return queue::WithCounts(txn,
                           [&](queue::Counts& counts) { return Submit(txn, counts, lease_id, token, input, label_id); });
}

Status ReviewLease(WriteTxn& txn, uint64_t lease_id, uint64_t token, const ReviewInput& input,
                   std::vector<uint64_t>* comment_ids) {
  if (comment_ids) comment_ids->clear();
  if (!input.accept && input.comment.empty())
    return Status::InvalidArgument("a reject needs a comment saying what to fix");
  return queue::WithCounts(
      txn, [&](queue::Counts& counts) { return Review(txn, counts, lease_id, token, input, comment_ids); });
}

}  // namespace annodb
