// The C ABI: comments, threads, issues and inboxes.
#include <cstring>
#include <limits>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "annodb/asset_json.h"
#include "annodb/assets.h"
#include "annodb/comments.h"
#include "annodb/members.h"
#include "annodb/projects.h"
#include "internal.h"

namespace annodb::capi {
namespace {

using ojson = nlohmann::ordered_json;

constexpr size_t kCommentTargetSizeV1 = sizeof(annodb_comment_target);


Status RequireBody(const char* body) {
  ANNODB_RETURN_IF_ERROR(RequireString(body, "body"));
  if (!ValidUtf8(body)) return Status::InvalidArgument("comment body is not valid UTF-8");
  return Status::OK();
}

// Names of members, projects and assets by id, looked up once per call.
class Names {
 public:
  explicit Names(const ReadTxn& t) : t_(t) {}

  const std::string& Member(uint64_t id) {
    auto it = members_.find(id);
    if (it != members_.end()) return it->second;
    MemberInfo m;
    std::string name = GetMember(t_, id, &m).ok() ? m.name : "#" + std::to_string(id);
    return members_.emplace(id, std::move(name)).first->second;
  }

  const std::string& Project(uint64_t id) {
    auto it = projects_.find(id);
    if (it != projects_.end()) return it->second;
    ProjectInfo p;
    std::string name = GetProject(t_, id, kCurrent, &p).ok() ? p.name : std::string();
    return projects_.emplace(id, std::move(name)).first->second;
  }

  // (dataset name, external id) of asset `id`.
  const std::pair<std::string, std::string>& Asset(uint64_t id) {
    auto it = assets_.find(id);
    if (it != assets_.end()) return it->second;
    std::pair<std::string, std::string> names;
    RecordView v;
    if (t_.GetIncludingDeleted(RecordKind::Asset, id, &v).ok()) {
      const fb::Asset* a = v.As<fb::Asset>();
      names.second = a->external_id() ? a->external_id()->str() : std::string();
      DatasetInfo d;
      if (GetDataset(t_, a->dataset_id(), &d).ok()) names.first = d.name;
    }
    return assets_.emplace(id, std::move(names)).first->second;
  }

 private:
  const ReadTxn& t_;
  std::unordered_map<uint64_t, std::string> members_, projects_;
  std::unordered_map<uint64_t, std::pair<std::string, std::string>> assets_;
};

// One comment version as JSON (see annodb.h, "Comment JSON").
ojson CommentJson(const RecordView& v, Names& names) {
  const fb::Comment* c = v.As<fb::Comment>();
  ojson j;
  j["id"] = v.id();
  j["thread_id"] = c->thread_id() ? c->thread_id() : v.id();
  j["reply"] = c->thread_id() != 0;
  if (c->project_id()) {
    j["project"] = names.Project(c->project_id());
    j["project_id"] = c->project_id();
  }
  const auto& asset = names.Asset(c->asset_id());
  j["dataset"] = asset.first;
  j["asset"] = asset.second;
  j["asset_id"] = c->asset_id();
  if (c->label_id()) j["label_id"] = c->label_id();
  if (c->annotation_index() >= 0) j["annotation"] = c->annotation_index();
  if (c->region_box()) {
    const fb::Box* b = c->region_box();
    j["region"] = {{"box", {b->x(), b->y(), b->w(), b->h()}}};
  } else if (c->region_point()) {
    j["region"] = {{"point", {c->region_point()->x(), c->region_point()->y()}}};
  }
  j["author"] = names.Member(c->author_member_id());
  j["body"] = c->body() ? c->body()->str() : std::string();
  ojson mentions = ojson::array();
  if (c->mentions())
    for (uint64_t m : *c->mentions()) mentions.push_back(names.Member(m));
  j["mentions"] = std::move(mentions);
  j["issue"] = IssueStateName(c->issue_state());
  j["version"] = v.version();
  j["sequence"] = v.sequence();
  j["deleted"] = v.deleted();
  j["provenance"] = ojson::parse(ProvenanceToJson(v));
  return j;
}

Status GetCommentView(const ReadTxn& t, uint64_t id, uint64_t as_of, RecordView* v) {
  Status s = as_of == kCurrent ? t.Get(RecordKind::Comment, id, v) : t.GetAsOf(RecordKind::Comment, id, as_of, v);
  if (s.IsNotFound()) return Status::NotFound("comment " + std::to_string(id) + " does not exist");
  return s;
}

Status FindMemberArg(const ReadTxn& t, const std::string& name, const char* what, uint64_t* id) {
  return FindMember(t, name, id).WithContext(what);
}

// The new-thread input of a target, names still to resolve.
struct TargetArgs {
  CommentInput in;
  std::string project;
  bool has_project = false;
};

Status ToTarget(const annodb_comment_target* target, TargetArgs* out) {
  if (target == nullptr) return Status::InvalidArgument("target is NULL");
  ANNODB_RETURN_IF_ERROR(CheckStructSize(target, target->struct_size, kCommentTargetSizeV1,
                                         sizeof(annodb_comment_target), "annodb_comment_target"));
  CommentInput& in = out->in;
  in.asset_id = target->asset_id;
  in.label_id = target->label_id;
  if (target->has_annotation) {
    if (target->annotation_index > static_cast<uint32_t>(std::numeric_limits<int32_t>::max()))
      return Status::InvalidArgument("target.annotation_index " + std::to_string(target->annotation_index) +
                                     " is out of range");
    in.annotation_index = static_cast<int32_t>(target->annotation_index);
  }
  if (target->has_region_box)
    in.region_box = Box{target->box_x, target->box_y, target->box_w, target->box_h};
  if (target->has_region_point) in.region_point = Point{target->point_x, target->point_y};
  if (target->has_region_box && target->has_region_point)
    return Status::InvalidArgument("target: a region is a box or a point, not both");
  in.issue = target->issue != 0;
  if (target->project != nullptr) {
    out->has_project = true;
    out->project = target->project;
  }
  return Status::OK();
}

// A write on one comment id taking no other input.
template <typename Fn>
int RunCommentWrite(annodb_store* store, const char* what, const annodb_actor* actor, Fn&& fn) {
  return Run(store, what, [&](Store& s) -> Status {
    Actor a;
    ANNODB_RETURN_IF_ERROR(ToActor(actor, Actor::System(), &a));
    return s.Write(a, [&](WriteTxn& t) { return fn(t); });
  });
}

}  // namespace
}  // namespace annodb::capi

using namespace annodb;
using namespace annodb::capi;

extern "C" {

ANNODB_EXPORT int annodb_comment_target_init(annodb_comment_target* target, size_t struct_size) {
  try {
    if (target == nullptr) return SetThreadError(ANNODB_INVALID_ARGUMENT, "annodb_comment_target_init: target is NULL");
    if (struct_size < kCommentTargetSizeV1 || struct_size > kMaxStructSize)
      return SetThreadError(ANNODB_INVALID_ARGUMENT,
                            "annodb_comment_target_init: struct_size " + std::to_string(struct_size) +
                                " is not a size of annodb_comment_target (pass sizeof(annodb_comment_target))");
    std::memset(target, 0, struct_size);
    target->struct_size = struct_size;
    return ANNODB_OK;
  } catch (...) {
    return InternalError(nullptr, "annodb_comment_target_init", "unknown exception");
  }
}

ANNODB_EXPORT int annodb_comment_add(annodb_store* store, const annodb_comment_target* target, const char* author,
                                     const char* body, const annodb_actor* actor, uint64_t* id) {
  if (id) *id = 0;
  return Run(store, "annodb_comment_add", [&](Store& s) -> Status {
    TargetArgs args;
    ANNODB_RETURN_IF_ERROR(ToTarget(target, &args));
    ANNODB_RETURN_IF_ERROR(RequireString(author, "author"));
    ANNODB_RETURN_IF_ERROR(RequireBody(body));
    if (args.in.asset_id == 0 && args.in.label_id == 0)
      return Status::InvalidArgument("target: give an asset_id or a label_id");
    Actor a;
    ANNODB_RETURN_IF_ERROR(ToActor(actor, Actor::System(), &a));
    std::string author_name(author);
    args.in.body = body;
    uint64_t new_id = 0;
    ANNODB_RETURN_IF_ERROR(s.Write(a, [&](WriteTxn& t) -> Status {
      CommentInput in = args.in;
      ANNODB_RETURN_IF_ERROR(FindMemberArg(t, author_name, "author", &in.author_member_id));
      if (args.has_project) {
        ANNODB_RETURN_IF_ERROR(FindProject(t, args.project, &in.project_id));
        if (in.label_id) {
          RecordView lv;
          if (t.Get(RecordKind::Label, in.label_id, &lv).ok() && lv.As<fb::Label>()->project_id() != in.project_id)
            return Status::InvalidArgument("label " + std::to_string(in.label_id) + " is not in project '" +
                                           args.project + "'");
        }
      }
      return AddComment(t, std::move(in), &new_id);
    }));
    if (id) *id = new_id;
    return Status::OK();
  });
}

ANNODB_EXPORT int annodb_comment_reply(annodb_store* store, uint64_t thread_id, const char* author,
                                       const char* body, const annodb_actor* actor, uint64_t* id) {
  if (id) *id = 0;
  return Run(store, "annodb_comment_reply", [&](Store& s) -> Status {
    ANNODB_RETURN_IF_ERROR(RequireString(author, "author"));
    ANNODB_RETURN_IF_ERROR(RequireBody(body));
    if (thread_id == 0) return Status::InvalidArgument("thread_id is 0");
    Actor a;
    ANNODB_RETURN_IF_ERROR(ToActor(actor, Actor::System(), &a));
    std::string author_name(author), text(body);
    uint64_t new_id = 0;
    ANNODB_RETURN_IF_ERROR(s.Write(a, [&](WriteTxn& t) -> Status {
      CommentInput in;
      in.thread_id = thread_id;
      in.body = text;
      ANNODB_RETURN_IF_ERROR(FindMemberArg(t, author_name, "author", &in.author_member_id));
      return AddComment(t, std::move(in), &new_id);
    }));
    if (id) *id = new_id;
    return Status::OK();
  });
}

ANNODB_EXPORT int annodb_comment_edit(annodb_store* store, uint64_t id, const char* body,
                                      const annodb_actor* actor) {
  return Run(store, "annodb_comment_edit", [&](Store& s) -> Status {
    ANNODB_RETURN_IF_ERROR(RequireBody(body));
    Actor a;
    ANNODB_RETURN_IF_ERROR(ToActor(actor, Actor::System(), &a));
    std::string text(body);
    return s.Write(a, [&](WriteTxn& t) -> Status {
      RecordView v;
      ANNODB_RETURN_IF_ERROR(GetCommentView(t, id, kCurrent, &v));
      return EditComment(t, id, text);
    });
  });
}

ANNODB_EXPORT int annodb_comment_resolve(annodb_store* store, uint64_t thread_id, const annodb_actor* actor) {
  return RunCommentWrite(store, "annodb_comment_resolve", actor, [&](WriteTxn& t) -> Status {
    RecordView v;
    ANNODB_RETURN_IF_ERROR(GetCommentView(t, thread_id, kCurrent, &v));
    return ResolveIssue(t, thread_id);
  });
}

ANNODB_EXPORT int annodb_comment_reopen(annodb_store* store, uint64_t thread_id, const annodb_actor* actor) {
  return RunCommentWrite(store, "annodb_comment_reopen", actor, [&](WriteTxn& t) -> Status {
    RecordView v;
    ANNODB_RETURN_IF_ERROR(GetCommentView(t, thread_id, kCurrent, &v));
    return ReopenIssue(t, thread_id);
  });
}

ANNODB_EXPORT int annodb_comment_get(annodb_store* store, uint64_t id, uint64_t as_of, char** out,
                                     size_t* out_len) {
  ResetOut(out, out_len);
  return Run(store, "annodb_comment_get", [&](Store& s) -> Status {
    ANNODB_RETURN_IF_ERROR(RequireOut(out));
    ojson j;
    ANNODB_RETURN_IF_ERROR(s.Read([&](ReadTxn& t) -> Status {
      RecordView v;
      ANNODB_RETURN_IF_ERROR(GetCommentView(t, id, as_of, &v));
      Names names(t);
      j = CommentJson(v, names);
      return Status::OK();
    }));
    GiveText(Dump(j), out, out_len);
    return Status::OK();
  });
}

ANNODB_EXPORT int annodb_comment_history(annodb_store* store, uint64_t id, char** out, size_t* out_len) {
  ResetOut(out, out_len);
  return Run(store, "annodb_comment_history", [&](Store& s) -> Status {
    ANNODB_RETURN_IF_ERROR(RequireOut(out));
    ojson arr = ojson::array();
    ANNODB_RETURN_IF_ERROR(s.Read([&](ReadTxn& t) -> Status {
      std::vector<RecordView> versions;
      ANNODB_RETURN_IF_ERROR(t.History(RecordKind::Comment, id, &versions));
      if (versions.empty()) return Status::NotFound("comment " + std::to_string(id) + " does not exist");
      Names names(t);
      for (const RecordView& v : versions) arr.push_back(CommentJson(v, names));
      return Status::OK();
    }));
    GiveText(Dump(arr), out, out_len);
    return Status::OK();
  });
}

ANNODB_EXPORT int annodb_comment_threads(annodb_store* store, uint64_t asset_id, uint64_t label_id,
                                         const char* project, int open_issues_only, char** out, size_t* out_len) {
  ResetOut(out, out_len);
  return Run(store, "annodb_comment_threads", [&](Store& s) -> Status {
    ANNODB_RETURN_IF_ERROR(RequireOut(out));
    int given = (asset_id != 0) + (label_id != 0) + (project != nullptr);
    if (given != 1)
      return Status::InvalidArgument("list threads by exactly one of asset_id, label_id or project");
    std::string project_name(project ? project : "");
    ojson arr = ojson::array();
    ANNODB_RETURN_IF_ERROR(s.Read([&](ReadTxn& t) -> Status {
      ThreadFilter f;
      f.asset_id = asset_id;
      f.label_id = label_id;
      f.open_issues_only = open_issues_only != 0;
      if (project) ANNODB_RETURN_IF_ERROR(FindProject(t, project_name, &f.project_id));
      std::vector<uint64_t> roots;
      ANNODB_RETURN_IF_ERROR(ListThreads(t, f, &roots));
      Names names(t);
      for (uint64_t root : roots) {
        RecordView v;
        ANNODB_RETURN_IF_ERROR(t.GetIncludingDeleted(RecordKind::Comment, root, &v));
        std::vector<uint64_t> ids;
        ANNODB_RETURN_IF_ERROR(ListThread(t, root, &ids));
        ojson j = CommentJson(v, names);
        j["replies"] = ids.empty() ? 0 : ids.size() - 1;
        arr.push_back(std::move(j));
      }
      return Status::OK();
    }));
    GiveText(Dump(arr), out, out_len);
    return Status::OK();
  });
}

ANNODB_EXPORT int annodb_comment_thread(annodb_store* store, uint64_t thread_id, char** out, size_t* out_len) {
  ResetOut(out, out_len);
  return Run(store, "annodb_comment_thread", [&](Store& s) -> Status {
    ANNODB_RETURN_IF_ERROR(RequireOut(out));
    ojson arr = ojson::array();
    ANNODB_RETURN_IF_ERROR(s.Read([&](ReadTxn& t) -> Status {
      std::vector<uint64_t> ids;
      ANNODB_RETURN_IF_ERROR(ListThread(t, thread_id, &ids));
      if (ids.front() != thread_id)
        return Status::NotFound("thread " + std::to_string(thread_id) + " does not exist (comment " +
                                std::to_string(thread_id) + " is a reply)");
      Names names(t);
      for (uint64_t id : ids) {
        RecordView v;
        ANNODB_RETURN_IF_ERROR(t.GetIncludingDeleted(RecordKind::Comment, id, &v));
        arr.push_back(CommentJson(v, names));
      }
      return Status::OK();
    }));
    GiveText(Dump(arr), out, out_len);
    return Status::OK();
  });
}

ANNODB_EXPORT int annodb_inbox(annodb_store* store, const char* member, int unread_only, char** out,
                               size_t* out_len) {
  ResetOut(out, out_len);
  return Run(store, "annodb_inbox", [&](Store& s) -> Status {
    ANNODB_RETURN_IF_ERROR(RequireString(member, "member name"));
    ANNODB_RETURN_IF_ERROR(RequireOut(out));
    std::string name(member);
    ojson arr = ojson::array();
    ANNODB_RETURN_IF_ERROR(s.Read([&](ReadTxn& t) -> Status {
      uint64_t member_id = 0;
      ANNODB_RETURN_IF_ERROR(FindMember(t, name, &member_id));
      std::vector<InboxEntry> entries;
      ANNODB_RETURN_IF_ERROR(Inbox(t, member_id, unread_only != 0, &entries));
      Names names(t);
      for (const InboxEntry& e : entries) {
        RecordView v;
        ANNODB_RETURN_IF_ERROR(t.GetIncludingDeleted(RecordKind::Comment, e.comment_id, &v));
        ojson j = CommentJson(v, names);
        j["read"] = e.read;
        arr.push_back(std::move(j));
      }
      return Status::OK();
    }));
    GiveText(Dump(arr), out, out_len);
    return Status::OK();
  });
}

ANNODB_EXPORT int annodb_inbox_mark_read(annodb_store* store, const char* member, uint64_t comment_id,
                                         const annodb_actor* actor) {
  return Run(store, "annodb_inbox_mark_read", [&](Store& s) -> Status {
    ANNODB_RETURN_IF_ERROR(RequireString(member, "member name"));
    Actor a;
    ANNODB_RETURN_IF_ERROR(ToActor(actor, Actor::System(), &a));
    std::string name(member);
    return s.Write(a, [&](WriteTxn& t) -> Status {
      uint64_t member_id = 0;
      ANNODB_RETURN_IF_ERROR(FindMember(t, name, &member_id));
      return MarkRead(t, member_id, comment_id);
    });
  });
}

}  // extern "C"
