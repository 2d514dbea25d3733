// Comments and issues: conversations about assets, labels and annotations.
//
// A comment is attached to an asset, a label, or one annotation of a label,
// optionally at a region of the asset (a box or a point). Its body is
// Markdown; `@name` mentions are resolved to members (an unknown name is an
// error) and put an unread entry in each mentioned member's inbox. Replies
// form a thread under its first comment (the thread's root). A root may be
// an issue: open, then resolved, reopened, resolved... each change a new
// version of the root with provenance. Edits keep history like every record.
//
// Functions run inside the caller's transaction. Thread safety: as the
// transaction's.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "annodb/labels.h"
#include "annodb/schema/comment_generated.h"
#include "annodb/store.h"

namespace annodb {

using IssueState = fb::IssueState;
const char* IssueStateName(IssueState s);  // "none", "open", "resolved", "reopened"

struct Box {
  double x = 0, y = 0, w = 0, h = 0;
};

struct CommentInput {
  uint64_t project_id = 0;        // derived from the label when on a label
  uint64_t asset_id = 0;          // an asset comment, or derived from the label
  uint64_t label_id = 0;          // 0 = on the asset
  int32_t annotation_index = -1;  // -1 = the whole label
  std::optional<Box> region_box;
  std::optional<Point> region_point;
  uint64_t author_member_id = 0;  // required
  uint64_t thread_id = 0;         // 0 = start a thread; else the root's id
  std::string body;               // Markdown, 1 byte .. 64 KiB
  bool issue = false;             // a new thread that is an issue (open)
};

struct CommentInfo {
  uint64_t id = 0;
  CommentInput input;
  std::vector<uint64_t> mentions;  // member ids
  IssueState issue_state = IssueState::None;
  uint64_t version = 0;
  uint64_t sequence = 0;
  bool deleted = false;
};

// The member names mentioned in `body` (`@name`, in order, without duplicates).
std::vector<std::string> FindMentions(const std::string& body);

// Adds a comment (a thread root, or a reply when thread_id is set). Errors:
// NotFound (asset, label, member, thread or mentioned name unknown),
// InvalidArgument (empty body, annotation index out of range, region outside
// the asset, a reply that tries to be an issue or has its own target).
Status AddComment(WriteTxn& txn, CommentInput in, uint64_t* id);
// Replaces the body (a new version); new mentions land in inboxes.
Status EditComment(WriteTxn& txn, uint64_t id, const std::string& body);
// Resolves or reopens an issue thread. Conflict when the issue is already in
// that state; InvalidArgument when the comment is not an issue root.
Status ResolveIssue(WriteTxn& txn, uint64_t thread_id);
Status ReopenIssue(WriteTxn& txn, uint64_t thread_id);
Status GetComment(const ReadTxn& txn, uint64_t id, uint64_t as_of, CommentInfo* out);

struct ThreadFilter {
  uint64_t asset_id = 0;    // threads on this asset (its label comments included)
  uint64_t label_id = 0;    // threads on this label
  uint64_t project_id = 0;  // with open_issues_only: the project's open issues
  bool open_issues_only = false;
};
// Root comment ids matching the filter, oldest first. Exactly one of asset,
// label or project must be given (project requires open_issues_only).
Status ListThreads(const ReadTxn& txn, const ThreadFilter& filter, std::vector<uint64_t>* roots);
// The comments of a thread: the root, then its replies, oldest first.
Status ListThread(const ReadTxn& txn, uint64_t thread_id, std::vector<uint64_t>* ids);

struct InboxEntry {
  uint64_t comment_id = 0;
  bool read = false;
};
// A member's mentions, newest first.
Status Inbox(const ReadTxn& txn, uint64_t member_id, bool unread_only, std::vector<InboxEntry>* out);
// Marks a mention read. NotFound when it is not in the member's inbox.
Status MarkRead(WriteTxn& txn, uint64_t member_id, uint64_t comment_id);

}  // namespace annodb
