// Comment commands: comment add|reply|edit|resolve|reopen|list|show, inbox.
// The acting member (--as / $ANNODB_ACTOR / the OS user) is the author.
#include <memory>
#include <optional>
#include <sstream>

#include "annodb/comments.h"
#include "annodb/members.h"
#include "annodb/projects.h"
#include "asset_ref.h"
#include "cli.h"
#include "output.h"
#include "paging.h"

namespace annodb::cli {

using json = nlohmann::ordered_json;

namespace {

// The acting member's id (runs inside a transaction, so it returns a Status
// rather than throwing).
Status ActingMember(Context& ctx, const ReadTxn& txn, uint64_t* id) {
  Status s = FindMember(txn, ctx.actor().name, id);
  if (s.IsNotFound()) return Status::NotFound("'" + ctx.actor().name + "' is not a member; comment as one with --as NAME");
  return s;
}

std::vector<double> Numbers(const std::string& text, size_t n, const char* what) {
  std::vector<double> out;
  std::stringstream ss(text);
  std::string part;
  while (std::getline(ss, part, ',')) {
    try {
      size_t used = 0;
      out.push_back(std::stod(part, &used));
      if (used != part.size()) throw std::invalid_argument(part);
    } catch (const std::exception&) {
      UsageError(std::string(what) + " must be " + std::to_string(n) + " numbers separated by commas");
    }
  }
  if (out.size() != n) UsageError(std::string(what) + " must be " + std::to_string(n) + " numbers separated by commas");
  return out;
}

json CommentJson(const ReadTxn& txn, const CommentInfo& c) {
  MemberInfo author;
  json mentions = json::array();
  for (uint64_t m : c.mentions) {
    MemberInfo mi;
    mentions.push_back(GetMember(txn, m, &mi).ok() ? mi.name : std::to_string(m));
  }
  json j{{"id", c.id},
         {"thread", c.input.thread_id ? c.input.thread_id : c.id},
         {"asset_id", c.input.asset_id},
         {"author", GetMember(txn, c.input.author_member_id, &author).ok() ? author.name : std::to_string(c.input.author_member_id)},
         {"body", c.input.body},
         {"mentions", mentions},
         {"issue", IssueStateName(c.issue_state)},
         {"version", c.version},
         {"sequence", c.sequence}};
  if (c.input.project_id) j["project_id"] = c.input.project_id;
  if (c.input.label_id) j["label_id"] = c.input.label_id;
  if (c.input.annotation_index >= 0) j["annotation"] = c.input.annotation_index;
  if (c.input.region_box) j["region"] = {{"box", {c.input.region_box->x, c.input.region_box->y, c.input.region_box->w, c.input.region_box->h}}};
  if (c.input.region_point) j["region"] = {{"point", {c.input.region_point->x, c.input.region_point->y}}};
  return j;
}

void PrintComment(const ReadTxn& txn, const CommentInfo& c, bool as_json, const std::string& indent = "") {
  json j = CommentJson(txn, c);
  if (as_json) {
    PrintJson(j);
    return;
  }
  std::string head = indent + "#" + std::to_string(c.id) + " " + j["author"].get<std::string>();
  if (c.issue_state != IssueState::None) head += " [issue: " + std::string(IssueStateName(c.issue_state)) + "]";
  if (c.input.label_id) head += " on label " + std::to_string(c.input.label_id);
  else head += " on asset " + std::to_string(c.input.asset_id);
  if (c.input.annotation_index >= 0) head += " annotation " + std::to_string(c.input.annotation_index);
  PrintLine(head);
  PrintLine(indent + "  " + c.input.body);
}

struct AddArgs {
  AssetRef asset;
  std::string label, project, region, point, text;
  std::optional<uint32_t> annotation;  // unset: the whole label
  bool issue = false;
};

void CmdAdd(Context& ctx, AddArgs& a) {
  bool on_label = !a.label.empty();
  bool on_asset = !a.asset.id_text.empty() || !a.asset.external_id.empty();
  if (on_label == on_asset) UsageError("give exactly one of --asset ID, --dataset D --external-id X, or --label ID");
  if (on_asset) a.asset.Validate();
  CommentInput in;
  in.body = a.text;
  in.issue = a.issue;
  in.annotation_index = a.annotation ? static_cast<int32_t>(*a.annotation) : -1;
  if (!a.region.empty()) {
    auto v = Numbers(a.region, 4, "--region");
    in.region_box = Box{v[0], v[1], v[2], v[3]};
  }
  if (!a.point.empty()) {
    auto v = Numbers(a.point, 2, "--point");
    in.region_point = Point{v[0], v[1]};
  }
  uint64_t id = 0, seq = 0;
  if (on_label) in.label_id = ParseId(a.label, "label id");
  Check(Write(ctx.store(), ctx.actor(), [&](WriteTxn& txn) {
    ANNODB_RETURN_IF_ERROR(ActingMember(ctx, txn, &in.author_member_id));
    if (!on_label) ANNODB_RETURN_IF_ERROR(a.asset.Resolve(txn, &in.asset_id));
    if (!a.project.empty()) ANNODB_RETURN_IF_ERROR(FindProject(txn, a.project, &in.project_id));
    return AddComment(txn, in, &id);
  }, &seq));
  if (ctx.json()) PrintJson({{"id", id}, {"sequence", seq}, {"issue", a.issue}});
  else PrintLine(std::string(a.issue ? "opened issue " : "added comment ") + std::to_string(id));
}

void CmdReply(Context& ctx, uint64_t thread, const std::string& text) {
  uint64_t id = 0;
  Check(Write(ctx.store(), ctx.actor(), [&](WriteTxn& txn) {
    CommentInput in;
    ANNODB_RETURN_IF_ERROR(ActingMember(ctx, txn, &in.author_member_id));
    in.thread_id = thread;
    in.body = text;
    return AddComment(txn, in, &id);
  }));
  if (ctx.json()) PrintJson({{"id", id}, {"thread", thread}});
  else PrintLine("replied to thread " + std::to_string(thread) + " with comment " + std::to_string(id));
}

void CmdSimple(Context& ctx, uint64_t id, const char* verb, const std::function<Status(WriteTxn&)>& fn) {
  uint64_t seq = 0;
  Check(Write(ctx.store(), ctx.actor(), fn, &seq));
  if (ctx.json()) PrintJson({{"id", id}, {"action", verb}, {"sequence", seq}});
  else PrintLine(std::string(verb) + " " + std::to_string(id));
}

struct ListArgs {
  AssetRef asset;
  std::string label, project;
  bool open = false;
  Page page;  // --after THREAD_ID, --limit (threads; default: all)
};

void CmdList(Context& ctx, ListArgs& a) {
  std::string next;
  ThreadFilter f;
  f.open_issues_only = a.open;
  if (!a.label.empty()) f.label_id = ParseId(a.label, "label id");
  bool by_asset = !a.asset.id_text.empty() || !a.asset.external_id.empty();
  if (by_asset) a.asset.Validate();
  Check(Read(ctx.store(), [&](ReadTxn& txn) {
    if (by_asset) ANNODB_RETURN_IF_ERROR(a.asset.Resolve(txn, &f.asset_id));
    if (!a.project.empty()) {
      ANNODB_RETURN_IF_ERROR(FindProject(txn, a.project, &f.project_id));
      f.open_issues_only = true;
    }
    std::vector<uint64_t> roots;
    ANNODB_RETURN_IF_ERROR(ListThreads(txn, f, &roots));
    next = TakeIdPage<uint64_t>(&roots, a.page, [](uint64_t id) { return id; });
    if (!ctx.json() && roots.empty()) PrintLine("no threads");
    for (uint64_t root : roots) {
      std::vector<uint64_t> ids;
      ANNODB_RETURN_IF_ERROR(ListThread(txn, root, &ids));
      for (uint64_t id : ids) {
        CommentInfo c;
        ANNODB_RETURN_IF_ERROR(GetComment(txn, id, kCurrent, &c));
        PrintComment(txn, c, ctx.json(), id == root ? "" : "    ");
      }
    }
    return Status::OK();
  }));
  PrintMore(ctx, a.page, next);
}

void CmdInbox(Context& ctx, const std::string& member, bool unread, bool mark_read, const Page& page) {
  std::vector<InboxEntry> entries;
  uint64_t member_id = 0;
  std::string next;
  const uint64_t after = page.AfterId();
  Check(Read(ctx.store(), [&](ReadTxn& txn) {
    ANNODB_RETURN_IF_ERROR(FindMember(txn, member, &member_id));
    ANNODB_RETURN_IF_ERROR(Inbox(txn, member_id, unread, &entries));
    // Newest first: the rows after the cursor have smaller comment ids.
    next = TakePage<InboxEntry>(
        &entries, page, [&](const InboxEntry& e) { return e.comment_id < after; },
        [](const InboxEntry& e) { return std::to_string(e.comment_id); });
    if (!ctx.json() && entries.empty()) PrintLine(unread ? "no unread mentions" : "no mentions");
    for (const InboxEntry& e : entries) {
      CommentInfo c;
      ANNODB_RETURN_IF_ERROR(GetComment(txn, e.comment_id, kCurrent, &c));
      if (ctx.json()) {
        json j = CommentJson(txn, c);
        j["read"] = e.read;
        PrintJson(j);
      } else {
        PrintComment(txn, c, false, e.read ? "  " : "* ");
      }
    }
    return Status::OK();
  }));
  PrintMore(ctx, page, next);
  // Only the mentions listed on this page are marked read.
  if (mark_read && !entries.empty()) {
    Check(Write(ctx.store(), ctx.actor(), [&](WriteTxn& txn) {
      for (const InboxEntry& e : entries)
        if (!e.read) ANNODB_RETURN_IF_ERROR(MarkRead(txn, member_id, e.comment_id));
      return Status::OK();
    }));
  }
}

}  // namespace

void RegisterCommentCommands(CLI::App& app, Context& ctx) {
  CLI::App* group = AddCommand(&app, ctx, "comment", "Comment on assets, labels and annotations; open and resolve issues");
  group->group("Labels");
  auto a = std::make_shared<AddArgs>();
  CLI::App* add = AddCommand(group, ctx, "add", "Start a comment thread (or an issue) as the acting member");
  add->add_option("--asset", a->asset.id_text, "Asset id");
  add->add_option("--dataset", a->asset.dataset, "Dataset of --external-id");
  add->add_option("--external-id", a->asset.external_id, "Asset external id");
  add->add_option("--label", a->label, "Label id");
  add->add_option("--annotation", a->annotation, "Annotation index within the label (0 = the first)")
      ->check(UnsignedArg(0, INT32_MAX));
  add->add_option("--project", a->project, "Project (needed for an issue on an asset)");
  add->add_option("--region", a->region, "A box on the asset: x,y,w,h");
  add->add_option("--point", a->point, "A point on the asset: x,y");
  add->add_flag("--issue", a->issue, "Open the thread as an issue");
  add->add_option("--text", a->text, "Markdown body; @name mentions a member")->required();
  add->callback([&ctx, a] { ctx.action = [&ctx, a] { CmdAdd(ctx, *a); }; });

  struct ReplyArgs {
    std::string id, text;
  };
  auto r = std::make_shared<ReplyArgs>();
  CLI::App* reply = AddCommand(group, ctx, "reply", "Reply to a thread");
  reply->add_option("ID", r->id, "The thread's first comment")->required();
  reply->add_option("--text", r->text, "Markdown body")->required();
  reply->callback([&ctx, r] { ctx.action = [&ctx, r] { CmdReply(ctx, ParseId(r->id, "comment id"), r->text); }; });

  auto e = std::make_shared<ReplyArgs>();
  CLI::App* edit = AddCommand(group, ctx, "edit", "Replace a comment's body (history is kept)");
  edit->add_option("ID", e->id, "Comment id")->required();
  edit->add_option("--text", e->text, "New body")->required();
  edit->callback([&ctx, e] {
    ctx.action = [&ctx, e] {
      uint64_t id = ParseId(e->id, "comment id");
      CmdSimple(ctx, id, "edited", [&](WriteTxn& t) { return EditComment(t, id, e->text); });
    };
  });

  for (bool resolve : {true, false}) {
    auto id_text = std::make_shared<std::string>();
    CLI::App* cmd = AddCommand(group, ctx, resolve ? "resolve" : "reopen", resolve ? "Resolve an issue" : "Reopen a resolved issue");
    cmd->add_option("ID", *id_text, "The issue's first comment")->required();
    cmd->callback([&ctx, id_text, resolve] {
      ctx.action = [&ctx, id_text, resolve] {
        uint64_t id = ParseId(*id_text, "comment id");
        CmdSimple(ctx, id, resolve ? "resolved" : "reopened",
                  [&](WriteTxn& t) { return resolve ? ResolveIssue(t, id) : ReopenIssue(t, id); });
      };
    });
  }

  auto l = std::make_shared<ListArgs>();
  CLI::App* list = AddCommand(group, ctx, "list", "List threads on an asset or a label, or a project's open issues");
  list->add_option("--asset", l->asset.id_text, "Asset id");
  list->add_option("--dataset", l->asset.dataset, "Dataset of --external-id");
  list->add_option("--external-id", l->asset.external_id, "Asset external id");
  list->add_option("--label", l->label, "Label id");
  list->add_option("--project", l->project, "A project's open issues");
  list->add_flag("--open", l->open, "Open issues only");
  AddPageOptions(list, &l->page, 0, "thread id");
  list->callback([&ctx, l] { ctx.action = [&ctx, l] { CmdList(ctx, *l); }; });

  struct InboxArgs {
    std::string member;
    bool unread = false, mark = false;
    Page page;  // --after COMMENT_ID, --limit (default: all)
  };
  auto in = std::make_shared<InboxArgs>();
  CLI::App* inbox = AddCommand(&app, ctx, "inbox", "A member's mentions, newest first (* = unread)");
  inbox->group("Labels");
  inbox->add_option("--member", in->member, "Member name")->required();
  inbox->add_flag("--unread", in->unread, "Unread mentions only");
  inbox->add_flag("--mark-read", in->mark, "Mark the listed mentions read");
  AddPageOptions(inbox, &in->page, 0, "comment id");
  inbox->callback([&ctx, in] { ctx.action = [&ctx, in] { CmdInbox(ctx, in->member, in->unread, in->mark, in->page); }; });
}

}  // namespace annodb::cli
