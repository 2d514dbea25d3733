// Comments, threads, issues and inboxes (see comments.h).
#include "annodb/comments.h"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "annodb/keys.h"
#include "annodb/members.h"
#include "text_checks.h"

namespace annodb {
namespace {

std::string AssetKey(uint64_t asset, uint64_t comment) { return KeyBuilder().U64(asset).U64(comment).str(); }
std::string ThreadKey(uint64_t root, uint64_t comment) { return KeyBuilder().U64(root).U64(comment).str(); }
std::string IssueKey(uint64_t project, IssueState s, uint64_t comment) {
  return KeyBuilder().U64(project).U8(static_cast<uint8_t>(s)).U64(comment).str();
}
std::string InboxKey(uint64_t member, uint64_t comment) { return KeyBuilder().U64(member).U64(comment).str(); }

bool OpenState(IssueState s) { return s == IssueState::Open || s == IssueState::Reopened; }

void Build(const CommentInfo& c, flatbuffers::FlatBufferBuilder* b) {
  b->Clear();
  auto body = b->CreateString(c.input.body);
  auto mentions = b->CreateVector(c.mentions);
  fb::CommentBuilder cb(*b);
  cb.add_project_id(c.input.project_id);
  cb.add_asset_id(c.input.asset_id);
  cb.add_label_id(c.input.label_id);
  cb.add_annotation_index(c.input.annotation_index);
  fb::Box box(c.input.region_box ? c.input.region_box->x : 0, c.input.region_box ? c.input.region_box->y : 0,
              c.input.region_box ? c.input.region_box->w : 0, c.input.region_box ? c.input.region_box->h : 0);
  if (c.input.region_box) cb.add_region_box(&box);
  fb::Point2 pt(c.input.region_point ? c.input.region_point->x : 0, c.input.region_point ? c.input.region_point->y : 0);
  if (c.input.region_point) cb.add_region_point(&pt);
  cb.add_author_member_id(c.input.author_member_id);
  cb.add_thread_id(c.input.thread_id);
  cb.add_body(body);
  cb.add_mentions(mentions);
  cb.add_issue_state(c.issue_state);
  b->Finish(cb.Finish());
}

void Decode(const RecordView& v, CommentInfo* out) {
  const fb::Comment* c = v.As<fb::Comment>();
  *out = CommentInfo();
  out->id = v.id();
  out->input.project_id = c->project_id();
  out->input.asset_id = c->asset_id();
  out->input.label_id = c->label_id();
  out->input.annotation_index = c->annotation_index();
  if (c->region_box()) out->input.region_box = Box{c->region_box()->x(), c->region_box()->y(), c->region_box()->w(), c->region_box()->h()};
  if (c->region_point()) out->input.region_point = Point{c->region_point()->x(), c->region_point()->y()};
  out->input.author_member_id = c->author_member_id();
  out->input.thread_id = c->thread_id();
  out->input.body = FbStr(c->body());
  out->input.issue = c->issue_state() != IssueState::None;
  if (c->mentions()) out->mentions.assign(c->mentions()->begin(), c->mentions()->end());
  out->issue_state = c->issue_state();
  out->version = v.version();
  out->sequence = v.sequence();
  out->deleted = v.deleted();
}

Status ResolveMentions(const ReadTxn& txn, const std::string& body, std::vector<uint64_t>* ids) {
  ids->clear();
  for (const std::string& name : FindMentions(body)) {
    uint64_t id = 0;
    Status s = FindMember(txn, name, &id);
    if (s.IsNotFound()) return Status::NotFound("@" + name + " is not a member");
    ANNODB_RETURN_IF_ERROR(s);
    ids->push_back(id);
  }
  return Status::OK();
}

Status Deliver(WriteTxn& txn, const std::vector<uint64_t>& members, uint64_t comment) {
  for (uint64_t m : members) {
    std::string_view existing;
    if (txn.IndexGet(Index::kInbox, InboxKey(m, comment), &existing).ok()) continue;
    ANNODB_RETURN_IF_ERROR(txn.IndexPut(Index::kInbox, InboxKey(m, comment), std::string(1, '\0')));
  }
  return Status::OK();
}

Status WriteComment(WriteTxn& txn, const CommentInfo& c) {
  flatbuffers::FlatBufferBuilder b(512);
  Build(c, &b);
  return txn.Put(RecordKind::Comment, c.id, b.GetBufferPointer(), b.GetSize(), nullptr);
}

Status CheckRegion(const CommentInput& in, const fb::Asset* asset) {
  auto outside = [&](double x, double y) {
    return x < 0 || y < 0 || (asset->width() && x > asset->width()) || (asset->height() && y > asset->height());
  };
  if (in.region_box) {
    const Box& r = *in.region_box;
    if (!std::isfinite(r.x) || !std::isfinite(r.y) || !std::isfinite(r.w) || !std::isfinite(r.h) || r.w <= 0 || r.h <= 0)
      return Status::InvalidArgument("the comment's region box needs finite coordinates and a positive size");
    if (outside(r.x, r.y) || outside(r.x + r.w, r.y + r.h))
      return Status::InvalidArgument("the comment's region box lies outside the asset");
  }
  if (in.region_point) {
    if (!std::isfinite(in.region_point->x) || !std::isfinite(in.region_point->y) || outside(in.region_point->x, in.region_point->y))
      return Status::InvalidArgument("the comment's region point lies outside the asset");
  }
  return Status::OK();
}

}  // namespace

const char* IssueStateName(IssueState s) {
  switch (s) {
    case IssueState::None: return "none";
    case IssueState::Open: return "open";
    case IssueState::Resolved: return "resolved";
    case IssueState::Reopened: return "reopened";
  }
  return "none";
}

std::vector<std::string> FindMentions(const std::string& body) {
  std::vector<std::string> names;
  for (size_t i = 0; i < body.size(); ++i) {
    if (body[i] != '@') continue;
    // An '@' inside a word (an e-mail address) is not a mention.
    if (i > 0 && (std::isalnum(static_cast<unsigned char>(body[i - 1])) || body[i - 1] == '.')) continue;
    size_t j = i + 1;
    while (j < body.size() && !std::isspace(static_cast<unsigned char>(body[j])) &&
           std::string_view("@,;:!?()[]{}<>\"'`*").find(body[j]) == std::string_view::npos)
      ++j;
    std::string name = body.substr(i + 1, j - i - 1);
    while (!name.empty() && (name.back() == '.' || name.back() == '-')) name.pop_back();  // end of sentence
    if (!name.empty() && std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
    i = j - 1;
  }
  return names;
}

Status AddComment(WriteTxn& txn, CommentInput in, uint64_t* id) {
  ANNODB_RETURN_IF_ERROR(CheckUtf8Field("comment body", in.body, 65536, true));
  if (in.author_member_id == 0) return Status::InvalidArgument("a comment needs an author");
  MemberInfo author;
  Status s = GetMember(txn, in.author_member_id, &author);
  if (s.IsNotFound()) return Status::NotFound("member " + std::to_string(in.author_member_id) + " does not exist");
  ANNODB_RETURN_IF_ERROR(s);
  CommentInfo c;
  if (in.thread_id) {
    CommentInfo root;
    s = GetComment(txn, in.thread_id, kCurrent, &root);
    if (s.IsNotFound()) return Status::NotFound("thread " + std::to_string(in.thread_id) + " does not exist");
    ANNODB_RETURN_IF_ERROR(s);
    if (root.input.thread_id != 0) return Status::InvalidArgument("comment " + std::to_string(in.thread_id) + " is a reply, not a thread");
    if (in.issue) return Status::InvalidArgument("a reply cannot be an issue; the thread's first comment is");
    if (in.label_id || in.asset_id || in.region_box || in.region_point || in.annotation_index >= 0)
      return Status::InvalidArgument("a reply belongs to its thread's target; give no asset, label or region");
    in.project_id = root.input.project_id;
    in.asset_id = root.input.asset_id;
    in.label_id = root.input.label_id;
    in.annotation_index = root.input.annotation_index;
  } else {
    if (in.label_id) {
      RecordView lv;
      s = txn.Get(RecordKind::Label, in.label_id, &lv);
      if (s.IsNotFound()) return Status::NotFound("label " + std::to_string(in.label_id) + " does not exist");
      ANNODB_RETURN_IF_ERROR(s);
      const fb::Label* l = lv.As<fb::Label>();
      if (in.asset_id && in.asset_id != l->asset_id())
        return Status::InvalidArgument("label " + std::to_string(in.label_id) + " is not on asset " + std::to_string(in.asset_id));
      in.asset_id = l->asset_id();
      in.project_id = l->project_id();
      int32_t n = l->annotations() ? static_cast<int32_t>(l->annotations()->size()) : 0;
      if (in.annotation_index >= n)
        return Status::InvalidArgument("label " + std::to_string(in.label_id) + " has " + std::to_string(n) +
                                       " annotations; index " + std::to_string(in.annotation_index) + " is out of range");
    } else if (in.annotation_index >= 0) {
      return Status::InvalidArgument("an annotation index needs a label");
    }
    if (in.annotation_index < -1) return Status::InvalidArgument("annotation index must be -1 (none) or at least 0");
    if (!in.asset_id) return Status::InvalidArgument("a comment needs an asset or a label");
    RecordView av;
    s = txn.Get(RecordKind::Asset, in.asset_id, &av);
    if (s.IsNotFound()) return Status::NotFound("asset " + std::to_string(in.asset_id) + " does not exist");
    ANNODB_RETURN_IF_ERROR(s);
    ANNODB_RETURN_IF_ERROR(CheckRegion(in, av.As<fb::Asset>()));
    if (in.project_id) {
      RecordView pv;
      s = txn.Get(RecordKind::Project, in.project_id, &pv);
      if (s.IsNotFound()) return Status::NotFound("project " + std::to_string(in.project_id) + " does not exist");
      ANNODB_RETURN_IF_ERROR(s);
    }
    if (in.issue && !in.project_id) return Status::InvalidArgument("an issue belongs to a project: give one");
    c.issue_state = in.issue ? IssueState::Open : IssueState::None;
  }
  ANNODB_RETURN_IF_ERROR(ResolveMentions(txn, in.body, &c.mentions));
  ANNODB_RETURN_IF_ERROR(txn.AllocateId(RecordKind::Comment, &c.id));
  c.input = in;
  ANNODB_RETURN_IF_ERROR(WriteComment(txn, c));
  uint64_t root = in.thread_id ? in.thread_id : c.id;
  ANNODB_RETURN_IF_ERROR(txn.IndexPut(Index::kCommentByThread, ThreadKey(root, c.id), ""));
  if (!in.thread_id) {
    ANNODB_RETURN_IF_ERROR(txn.IndexPut(Index::kCommentByAsset, AssetKey(in.asset_id, c.id), ""));
    if (in.label_id) ANNODB_RETURN_IF_ERROR(txn.IndexPut(Index::kCommentByLabel, AssetKey(in.label_id, c.id), ""));
    if (in.issue) ANNODB_RETURN_IF_ERROR(txn.IndexPut(Index::kIssueByProject, IssueKey(in.project_id, IssueState::Open, c.id), ""));
  }
  ANNODB_RETURN_IF_ERROR(Deliver(txn, c.mentions, c.id));
  if (id) *id = c.id;
  return Status::OK();
}

Status EditComment(WriteTxn& txn, uint64_t id, const std::string& body) {
  ANNODB_RETURN_IF_ERROR(CheckUtf8Field("comment body", body, 65536, true));
  CommentInfo c;
  ANNODB_RETURN_IF_ERROR(GetComment(txn, id, kCurrent, &c));
  c.input.body = body;
  ANNODB_RETURN_IF_ERROR(ResolveMentions(txn, body, &c.mentions));
  ANNODB_RETURN_IF_ERROR(WriteComment(txn, c));
  return Deliver(txn, c.mentions, id);
}

static Status SetIssue(WriteTxn& txn, uint64_t thread_id, bool resolve) {
  CommentInfo c;
  ANNODB_RETURN_IF_ERROR(GetComment(txn, thread_id, kCurrent, &c));
  if (c.input.thread_id != 0 || c.issue_state == IssueState::None)
    return Status::InvalidArgument("comment " + std::to_string(thread_id) + " is not an issue");
  if (resolve && !OpenState(c.issue_state)) return Status::Conflict("issue " + std::to_string(thread_id) + " is already resolved");
  if (!resolve && OpenState(c.issue_state)) return Status::Conflict("issue " + std::to_string(thread_id) + " is already open");
  IssueState next = resolve ? IssueState::Resolved : IssueState::Reopened;
  ANNODB_RETURN_IF_ERROR(txn.IndexDelete(Index::kIssueByProject, IssueKey(c.input.project_id, c.issue_state, thread_id)));
  ANNODB_RETURN_IF_ERROR(txn.IndexPut(Index::kIssueByProject, IssueKey(c.input.project_id, next, thread_id), ""));
  c.issue_state = next;
  return WriteComment(txn, c);
}

Status ResolveIssue(WriteTxn& txn, uint64_t thread_id) { return SetIssue(txn, thread_id, true); }
Status ReopenIssue(WriteTxn& txn, uint64_t thread_id) { return SetIssue(txn, thread_id, false); }

Status GetComment(const ReadTxn& txn, uint64_t id, uint64_t as_of, CommentInfo* out) {
  RecordView v;
  ANNODB_RETURN_IF_ERROR(as_of == kCurrent ? txn.Get(RecordKind::Comment, id, &v)
                                           : txn.GetAsOf(RecordKind::Comment, id, as_of, &v));
  Decode(v, out);
  return Status::OK();
}

Status ListThreads(const ReadTxn& txn, const ThreadFilter& f, std::vector<uint64_t>* roots) {
  roots->clear();
  int given = (f.asset_id != 0) + (f.label_id != 0) + (f.project_id != 0);
  if (given != 1) return Status::InvalidArgument("list threads by exactly one of asset, label or project");
  auto ids_after_prefix = [&](Index index, const std::string& prefix) {
    return txn.IndexScan(index, "", prefix, [&](std::string_view k, std::string_view) {
      roots->push_back(DecodeU64(k.data() + k.size() - 8));
      return true;
    });
  };
  if (f.project_id) {
    if (!f.open_issues_only) return Status::InvalidArgument("by project, only open issues can be listed");
    ANNODB_RETURN_IF_ERROR(ids_after_prefix(Index::kIssueByProject, KeyBuilder().U64(f.project_id).U8(static_cast<uint8_t>(IssueState::Open)).str()));
    ANNODB_RETURN_IF_ERROR(ids_after_prefix(Index::kIssueByProject, KeyBuilder().U64(f.project_id).U8(static_cast<uint8_t>(IssueState::Reopened)).str()));
    std::sort(roots->begin(), roots->end());
    return Status::OK();
  }
  ANNODB_RETURN_IF_ERROR(f.asset_id ? ids_after_prefix(Index::kCommentByAsset, KeyBuilder().U64(f.asset_id).str())
                                    : ids_after_prefix(Index::kCommentByLabel, KeyBuilder().U64(f.label_id).str()));
  if (f.open_issues_only) {
    std::vector<uint64_t> open;
    for (uint64_t id : *roots) {
      CommentInfo c;
      ANNODB_RETURN_IF_ERROR(GetComment(txn, id, kCurrent, &c));
      if (OpenState(c.issue_state)) open.push_back(id);
    }
    *roots = std::move(open);
  }
  return Status::OK();
}

Status ListThread(const ReadTxn& txn, uint64_t thread_id, std::vector<uint64_t>* ids) {
  ids->clear();
  ANNODB_RETURN_IF_ERROR(txn.IndexScan(Index::kCommentByThread, "", KeyBuilder().U64(thread_id).str(),
                                       [&](std::string_view k, std::string_view) {
                                         ids->push_back(DecodeU64(k.data() + 8));
                                         return true;
                                       }));
  if (ids->empty()) return Status::NotFound("thread " + std::to_string(thread_id) + " does not exist");
  return Status::OK();
}

Status Inbox(const ReadTxn& txn, uint64_t member_id, bool unread_only, std::vector<InboxEntry>* out) {
  out->clear();
  ANNODB_RETURN_IF_ERROR(txn.IndexScan(Index::kInbox, "", KeyBuilder().U64(member_id).str(),
                                       [&](std::string_view k, std::string_view v) {
                                         bool read = !v.empty() && v[0] != 0;
                                         if (!unread_only || !read) out->push_back({DecodeU64(k.data() + 8), read});
                                         return true;
                                       }));
  std::reverse(out->begin(), out->end());
  return Status::OK();
}

Status MarkRead(WriteTxn& txn, uint64_t member_id, uint64_t comment_id) {
  std::string key = InboxKey(member_id, comment_id);
  std::string_view v;
  Status s = txn.IndexGet(Index::kInbox, key, &v);
  if (s.IsNotFound()) return Status::NotFound("comment " + std::to_string(comment_id) + " is not in the member's inbox");
  ANNODB_RETURN_IF_ERROR(s);
  return txn.IndexPut(Index::kInbox, key, std::string(1, '\1'));
}

}  // namespace annodb
