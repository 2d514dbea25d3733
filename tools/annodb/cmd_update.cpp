// update: a new version of an asset with metadata set or removed, or a new URI.
//
// Typing of `--set key=value` (docs/cli.md):
//   a JSON number without fraction or exponent  -> int      (--set n=3),
//                                                  but float when the key already holds a float
//   any other JSON number                       -> float    (--set lux=12.5, 1e3)
//   true / false                                -> bool
//   a JSON string in double quotes              -> string   (--set n='"3"')
//   {"$time": "<RFC 3339>"}                     -> time     (as in import files)
//   anything else, taken literally              -> string   (--set camera=A)
// `--set-time key=<RFC 3339>` always sets a time.
#include <algorithm>
#include <memory>

#include "annodb/asset_json.h"
#include "annodb/assets.h"
#include "asset_ref.h"
#include "cli.h"
#include "output.h"
#include "update_values.h"

namespace annodb::cli {

using json = nlohmann::ordered_json;

namespace {

void SplitAssignment(const std::string& arg, const char* option, std::string* key, std::string* value) {
  size_t eq = arg.find('=');
  if (eq == std::string::npos) UsageError(std::string(option) + " '" + arg + "': expected key=value");
  *key = arg.substr(0, eq);
  *value = arg.substr(eq + 1);
  if (key->empty()) UsageError(std::string(option) + " '" + arg + "': the key is empty");
}

}  // namespace

MetaEntry ParseSetValue(const std::string& key, const std::string& value) {
  MetaEntry m;
  m.key = key;
  m.kind = MetaKind::kString;
  m.s = value;
  json j = json::parse(value, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return m;
  if (j.is_boolean()) {
    m.kind = MetaKind::kBool;
    m.b = j.get<bool>();
  } else if (j.is_number_integer() && !j.is_number_unsigned()) {
    m.kind = MetaKind::kInt;
    m.i = j.get<int64_t>();
  } else if (j.is_number_unsigned()) {
    uint64_t u = j.get<uint64_t>();
    if (u > static_cast<uint64_t>(INT64_MAX))
      UsageError("--set " + key + ": integer " + value + " is out of range (at most 9223372036854775807)");
    m.kind = MetaKind::kInt;
    m.i = static_cast<int64_t>(u);
  } else if (j.is_number_float()) {
    m.kind = MetaKind::kFloat;
    m.f = j.get<double>();
  } else if (j.is_string()) {
    m.s = j.get<std::string>();
  } else if (j.is_object() && j.size() == 1 && j.contains("$time") && j["$time"].is_string()) {
    int64_t us = 0;
    if (!ParseRfc3339(j["$time"].get<std::string>(), &us))
      UsageError("--set " + key + ": '" + j["$time"].get<std::string>() + "' is not an RFC 3339 time");
    m.kind = MetaKind::kTime;
    m.i = us;
  }
  if (m.kind != MetaKind::kString) m.s.clear();
  return m;
}

MetaEntry ParseSetTime(const std::string& key, const std::string& value) {
  MetaEntry m;
  m.key = key;
  m.kind = MetaKind::kTime;
  if (!ParseRfc3339(value, &m.i))
    UsageError("--set-time " + key + ": '" + value + "' is not an RFC 3339 time (e.g. 2024-05-01T12:00:00Z) in years 0000..9999 UTC, "
               "to the microsecond");
  return m;
}

namespace {

struct UpdateArgs {
  AssetRef ref;
  std::vector<std::string> set, set_time, unset;
  std::string uri, media_type;
  bool has_uri = false, has_media_type = false;
};

void CmdUpdate(Context& ctx, UpdateArgs& a) {
  a.ref.Validate();
  std::vector<MetaEntry> set;
  std::vector<std::string> keys;
  auto add = [&](MetaEntry m) {
    for (const std::string& k : keys)
      if (k == m.key) UsageError("metadata key '" + m.key + "' is given more than once");
    keys.push_back(m.key);
    set.push_back(std::move(m));
  };
  for (const std::string& s : a.set) {
    std::string k, v;
    SplitAssignment(s, "--set", &k, &v);
    add(ParseSetValue(k, v));
  }
  for (const std::string& s : a.set_time) {
    std::string k, v;
    SplitAssignment(s, "--set-time", &k, &v);
    add(ParseSetTime(k, v));
  }
  for (const std::string& k : a.unset) {
    if (k.empty()) UsageError("--unset: the key is empty");
    for (const std::string& other : keys)
      if (other == k) UsageError("metadata key '" + k + "' is given more than once");
    keys.push_back(k);
  }
  a.has_uri = !a.uri.empty();
  a.has_media_type = !a.media_type.empty();
  if (set.empty() && a.unset.empty() && !a.has_uri && !a.has_media_type)
    UsageError("nothing to update: give --set, --set-time, --unset, --uri or --media-type");

  uint64_t id = 0, seq = 0, version = 0;
  PutOutcome outcome = PutOutcome::kUnchanged;
  std::string rendered;  // the version now current, as JSON (rendered inside the transaction)
  Check(Write(ctx.store(), 
      ctx.actor(),
      [&](WriteTxn& txn) {
        ANNODB_RETURN_IF_ERROR(a.ref.Resolve(txn, &id));
        RecordView cur;
        ANNODB_RETURN_IF_ERROR(GetAsset(txn, id, kCurrent, &cur));
        AssetInput in = DecodeAsset(cur.As<fb::Asset>());
        for (const std::string& key : a.unset) {
          auto it = std::find_if(in.metadata.begin(), in.metadata.end(), [&](const MetaEntry& m) { return m.key == key; });
          if (it == in.metadata.end())
            return Status::NotFound("metadata key '" + key + "' is not set on asset " + std::to_string(id));
          in.metadata.erase(it);
        }
        for (const MetaEntry& e : set) {
          auto it = std::find_if(in.metadata.begin(), in.metadata.end(), [&](const MetaEntry& m) { return m.key == e.key; });
          if (it == in.metadata.end()) {
            in.metadata.push_back(e);
          } else if (it->kind == MetaKind::kFloat && e.kind == MetaKind::kInt) {
            it->f = static_cast<double>(e.i);  // a float key stays a float: --set lux=30
          } else {
            *it = e;
          }
        }
        if (a.has_uri) in.uri = a.uri;
        if (a.has_media_type) in.media_type = a.media_type;
        ANNODB_RETURN_IF_ERROR(UpdateAsset(txn, id, in, &outcome));
        RecordView now;
        ANNODB_RETURN_IF_ERROR(txn.Get(RecordKind::Asset, id, &now));
        version = now.version();
        if (ctx.json()) {
          DatasetNames names(txn);
          rendered = AssetToJson(now, names.Get(now.As<fb::Asset>()->dataset_id()));
          return names.status();
        }
        return Status::OK();
      },
      &seq));

  if (ctx.json()) {
    json j = ParseEngineJson(rendered);
    j["outcome"] = outcome == PutOutcome::kUnchanged ? "unchanged" : "updated";
    PrintJson(j);
  } else if (outcome == PutOutcome::kUnchanged) {
    PrintLine("asset " + std::to_string(id) + " unchanged (version " + std::to_string(version) +
              " already holds these values)");
  } else {
    PrintLine("updated asset " + std::to_string(id) + " to version " + std::to_string(version) + " (sequence " +
              std::to_string(seq) + ")");
  }
}

}  // namespace

void RegisterUpdateCommand(CLI::App& app, Context& ctx) {
  auto a = std::make_shared<UpdateArgs>();
  CLI::App* cmd = AddCommand(&app, ctx, "update", "Write a new version of an asset: set or remove metadata, change its URI");
  a->ref.AddOptions(cmd);
  cmd->add_option("--set", a->set,
                  "Set metadata key=value; value typed as JSON (12 int, 12.5 float, true bool, \"x\" string), "
                  "else a literal string")
      ->type_name("KEY=VALUE")
      ->allow_extra_args(false);
  cmd->add_option("--set-time", a->set_time, "Set time metadata key=RFC3339 (2024-05-01T12:00:00Z)")
      ->type_name("KEY=TIME")
      ->allow_extra_args(false);
  cmd->add_option("--unset", a->unset, "Remove a metadata key")->type_name("KEY")->allow_extra_args(false);
  cmd->add_option("--uri", a->uri, "New URI")->type_name("URI");
  cmd->add_option("--media-type", a->media_type, "New media type")->type_name("TYPE");
  cmd->callback([&ctx, a] { ctx.action = [&ctx, a] { CmdUpdate(ctx, *a); }; });
  cmd->group("Assets");
}

}  // namespace annodb::cli
