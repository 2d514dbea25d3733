// The labeller's and reviewer's side of the queue: lease, renew, release,
// skip, submit, review accept|reject, heartbeat, leases.
#include <memory>

#include "annodb/assets.h"
#include "annodb/label_json.h"
#include "annodb/members.h"
#include "annodb/projects.h"
#include "annodb/queue.h"
#include "cli.h"
#include "output.h"
#include "paging.h"

namespace annodb::cli {

using json = nlohmann::ordered_json;

namespace {

json LeaseJson(const ReadTxn& txn, uint64_t lease_id, uint64_t token, uint64_t asset_id, Stage stage, bool gold,
               int64_t expires_us) {
  json j{{"lease", lease_id}, {"token", token}, {"asset_id", asset_id}};
  RecordView v;
  if (GetAsset(txn, asset_id, kCurrent, &v).ok()) {
    const fb::Asset* a = v.As<fb::Asset>();
    DatasetInfo d;
    j["external_id"] = a->external_id() ? a->external_id()->str() : "";
    if (GetDataset(txn, a->dataset_id(), &d).ok()) j["dataset"] = d.name;
    j["uri"] = a->uri() ? a->uri()->str() : "";
  }
  j["stage"] = StageName(stage);
  j["gold"] = gold;
  j["expires_at"] = FormatTime(expires_us);
  j["expires_us"] = expires_us;
  return j;
}

void PrintLeaseHuman(const json& j) {
  PrintLine("lease " + std::to_string(j["lease"].get<uint64_t>()) + "  token " + std::to_string(j["token"].get<uint64_t>()) +
            "  " + j["stage"].get<std::string>() + (j["gold"].get<bool>() ? " (gold)" : "") + "  asset " +
            std::to_string(j["asset_id"].get<uint64_t>()) + " " + j.value("dataset", "") + "/" + j.value("external_id", "") +
            "  expires " + j["expires_at"].get<std::string>());
}

struct LeaseArgs {
  std::string project, member, stage = "auto";
  uint32_t n = 1;
};

void CmdLease(Context& ctx, const LeaseArgs& a) {
  LeaseLane lane = LeaseLane::kAuto;
  if (a.stage == "label") lane = LeaseLane::kLabel;
  else if (a.stage == "review") lane = LeaseLane::kReview;
  else if (a.stage != "auto") UsageError("--stage must be auto, label or review");
  std::vector<json> leases;
  Actor actor = ctx.opts.as.empty() ? Actor::Person(a.member) : ctx.actor();
  Check(Write(ctx.store(), actor, [&](WriteTxn& txn) {
    uint64_t project = 0, member = 0;
    ANNODB_RETURN_IF_ERROR(FindProject(txn, a.project, &project));
    ANNODB_RETURN_IF_ERROR(FindMember(txn, a.member, &member));
    std::vector<LeaseGrant> grants;
    ANNODB_RETURN_IF_ERROR(LeaseTasks(txn, project, member, a.n, lane, &grants));
    leases.clear();  // the function may run again (map growth)
    for (const LeaseGrant& g : grants)
      leases.push_back(LeaseJson(txn, g.lease_id, g.token, g.asset_id, g.stage, g.gold, g.expires_us));
    return Status::OK();
  }));
  for (const json& j : leases) {
    if (ctx.json()) PrintJson(j);
    else PrintLeaseHuman(j);
  }
  if (leases.empty() && !ctx.json()) PrintLine("no work for " + a.member + " in " + a.project + " right now");
}

struct LeaseRef {
  uint64_t lease = 0, token = 0;
  void Add(CLI::App* cmd) {
    cmd->add_option("--lease", lease, "Lease id")->required()->check(UnsignedArg(1));
    cmd->add_option("--token", token, "Fencing token to check (default: not checked)")->check(UnsignedArg());
  }
};

void PrintDone(Context& ctx, const std::string& what, uint64_t lease, json extra = json::object()) {
  if (ctx.json()) {
    json j{{"lease", lease}, {"result", what}};
    for (auto& [k, v] : extra.items()) j[k] = v;
    PrintJson(j);
  } else {
    std::string line = "lease " + std::to_string(lease) + ": " + what;
    for (auto& [k, v] : extra.items()) line += ", " + k + " " + (v.is_string() ? v.get<std::string>() : v.dump());
    PrintLine(line);
  }
}

// A submit file: the annotations as a JSON array, or a label object whose
// "annotations" (and "time_spent_ms") are taken; project, asset and author
// come from the lease.
std::vector<AnnotationInput> ParseSubmitFile(const std::string& path, uint64_t* time_spent_ms) {
  std::vector<AnnotationInput> anns;
  Check(ParseAnnotationsJson(ReadInputFile(path), &anns, time_spent_ms), InputName(path));
  return anns;
}

}  // namespace

void RegisterLeaseCommands(CLI::App& app, Context& ctx) {
  auto la = std::make_shared<LeaseArgs>();
  CLI::App* lease = AddCommand(&app, ctx, "lease", "Take up to N tasks from a project's queue for a member");
  lease->group("Queue");
  lease->add_option("--project", la->project, "Project name")->required();
  lease->add_option("--member", la->member, "Member name")->required();
  lease->add_option("-n", la->n, "How many tasks (1..1000)")->capture_default_str()->check(UnsignedArg(1, 1000));
  lease->add_option("--stage", la->stage, "auto (by role), label or review")->capture_default_str();
  lease->callback([&ctx, la] { ctx.action = [&ctx, la] { CmdLease(ctx, *la); }; });

  auto rn = std::make_shared<LeaseRef>();
  CLI::App* renew = AddCommand(&app, ctx, "renew", "Extend a lease by the project's lease TTL");
  renew->group("Queue");
  rn->Add(renew);
  renew->callback([&ctx, rn] {
    ctx.action = [&ctx, rn] {
      int64_t exp = 0;
      Check(Write(ctx.store(), ctx.actor(), [&](WriteTxn& t) { return RenewLease(t, rn->lease, rn->token, &exp); }));
      PrintDone(ctx, "renewed", rn->lease, {{"expires_at", FormatTime(exp)}});
    };
  });

  auto rl = std::make_shared<LeaseRef>();
  CLI::App* release = AddCommand(&app, ctx, "release", "Give a leased task back to the queue");
  release->group("Queue");
  rl->Add(release);
  release->callback([&ctx, rl] {
    ctx.action = [&ctx, rl] {
      Check(Write(ctx.store(), ctx.actor(), [&](WriteTxn& t) { return ReleaseLease(t, rl->lease, rl->token); }));
      PrintDone(ctx, "released", rl->lease);
    };
  });

  struct SkipArgs {
    LeaseRef ref;
    std::string reason;
  };
  auto sk = std::make_shared<SkipArgs>();
  CLI::App* skip = AddCommand(&app, ctx, "skip", "Give a leased task back and never be offered it again");
  skip->group("Queue");
  sk->ref.Add(skip);
  skip->add_option("--reason", sk->reason, "Why (recorded with the lease)")->required();
  skip->callback([&ctx, sk] {
    ctx.action = [&ctx, sk] {
      Check(Write(ctx.store(), ctx.actor(), [&](WriteTxn& t) { return SkipLease(t, sk->ref.lease, sk->ref.token, sk->reason); }));
      PrintDone(ctx, "skipped", sk->ref.lease);
    };
  });

  struct SubmitArgs {
    LeaseRef ref;
    std::string file;
    uint64_t time_spent_ms = 0;
  };
  auto sb = std::make_shared<SubmitArgs>();
  CLI::App* submit = AddCommand(&app, ctx, "submit", "Submit the label for a leased task");
  submit->group("Queue");
  sb->ref.Add(submit);
  submit->add_option("--label", sb->file, "File with the annotations (JSON array or label object), - for stdin")->required();
  submit->add_option("--time-spent", sb->time_spent_ms, "Milliseconds spent")->type_name("MS")->check(UnsignedArg());
  submit->callback([&ctx, sb] {
    ctx.action = [&ctx, sb] {
      SubmitInput in;
      in.time_spent_ms = sb->time_spent_ms;
      in.annotations = ParseSubmitFile(sb->file, &in.time_spent_ms);
      uint64_t label = 0, seq = 0;
      Check(Write(ctx.store(), ctx.actor(), [&](WriteTxn& t) {
        return SubmitLease(t, sb->ref.lease, sb->ref.token, std::move(in), &label);
      }, &seq));
      PrintDone(ctx, "submitted", sb->ref.lease, {{"label", label}, {"sequence", seq}});
    };
  });

  CLI::App* review = AddCommand(&app, ctx, "review", "Finish a review lease: accept or reject the task's labels");
  review->group("Queue");
  review->require_subcommand(1);
  auto ra = std::make_shared<LeaseRef>();
  CLI::App* accept = AddCommand(review, ctx, "accept", "Accept the labels; the task is done");
  ra->Add(accept);
  accept->callback([&ctx, ra] {
    ctx.action = [&ctx, ra] {
      ReviewInput in;
      Check(Write(ctx.store(), ctx.actor(), [&](WriteTxn& t) { return ReviewLease(t, ra->lease, ra->token, in, nullptr); }));
      PrintDone(ctx, "accepted", ra->lease);
    };
  });
  struct RejectArgs {
    LeaseRef ref;
    std::string comment;
    std::vector<uint64_t> labels;
  };
  auto rj = std::make_shared<RejectArgs>();
  CLI::App* reject = AddCommand(review, ctx, "reject", "Reject labels with a comment; the task goes back for rework");
  rj->ref.Add(reject);
  reject->add_option("--comment", rj->comment, "What to fix (opens an issue on each rejected label)")->required();
  reject->add_option("--label", rj->labels, "Reject only this label (repeatable; default: all)")->check(UnsignedArg(1));
  reject->callback([&ctx, rj] {
    ctx.action = [&ctx, rj] {
      ReviewInput in;
      in.accept = false;
      in.comment = rj->comment;
      in.reject_label_ids = rj->labels;
      std::vector<uint64_t> issues;
      Check(Write(ctx.store(), ctx.actor(), [&](WriteTxn& t) { return ReviewLease(t, rj->ref.lease, rj->ref.token, in, &issues); }));
      PrintDone(ctx, "rejected", rj->ref.lease, {{"issues", issues}});
    };
  });

  auto hb = std::make_shared<std::string>();
  CLI::App* heartbeat = AddCommand(&app, ctx, "heartbeat", "Renew every active lease of a member");
  heartbeat->group("Queue");
  heartbeat->add_option("--member", *hb, "Member name")->required();
  heartbeat->callback([&ctx, hb] {
    ctx.action = [&ctx, hb] {
      uint32_t renewed = 0;
      Check(Write(ctx.store(), ctx.actor(), [&](WriteTxn& t) {
        uint64_t member = 0;
        ANNODB_RETURN_IF_ERROR(FindMember(t, *hb, &member));
        return Heartbeat(t, member, &renewed);
      }));
      if (ctx.json()) PrintJson({{"member", *hb}, {"renewed", renewed}});
      else PrintLine("renewed " + std::to_string(renewed) + " leases of " + *hb);
    };
  });

  struct ListArgs {
    std::string member, project;
    Page page;  // --after LEASE_ID, --limit (default: all)
  };
  auto ls = std::make_shared<ListArgs>();
  CLI::App* leases = AddCommand(&app, ctx, "leases", "List a member's active leases");
  leases->group("Queue");
  leases->add_option("--member", ls->member, "Member name")->required();
  leases->add_option("--project", ls->project, "Only this project");
  AddPageOptions(leases, &ls->page, 0, "lease id");
  leases->callback([&ctx, ls] {
    ctx.action = [&ctx, ls] {
      std::string next;
      Check(Read(ctx.store(), [&](ReadTxn& txn) {
        uint64_t member = 0, project = 0;
        ANNODB_RETURN_IF_ERROR(FindMember(txn, ls->member, &member));
        if (!ls->project.empty()) ANNODB_RETURN_IF_ERROR(FindProject(txn, ls->project, &project));
        std::vector<LeaseInfo> out;
        ANNODB_RETURN_IF_ERROR(ListMemberLeases(txn, member, project, &out));
        next = TakeIdPage<LeaseInfo>(&out, ls->page, [](const LeaseInfo& l) { return l.lease_id; });
        if (out.empty() && !ctx.json()) PrintLine(ls->member + " holds no leases");
        for (const LeaseInfo& l : out) {
          json j = LeaseJson(txn, l.lease_id, l.token, l.asset_id, l.stage, l.gold, l.expires_us);
          j["expired"] = l.expired;
          if (ctx.json()) PrintJson(j);
          else PrintLeaseHuman(j);
        }
        return Status::OK();
      }));
      PrintMore(ctx, ls->page, next);
    };
  });
}

}  // namespace annodb::cli
