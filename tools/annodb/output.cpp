// Output helpers of the `annodb` program.
#include "output.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <iostream>

#include "annodb/asset_json.h"
#include "cli.h"

namespace annodb::cli {

using json = nlohmann::ordered_json;

void PrintJson(const json& j) {
  std::cout << j.dump(-1, ' ', false, json::error_handler_t::replace) << '\n';
}

void PrintJsonLine(std::string_view json_text) {
  std::cout << json_text << '\n';
}

void PrintLine(std::string_view text) { std::cout << text << '\n'; }

json ParseEngineJson(std::string_view text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) Fail("internal error: the engine produced invalid JSON");
  return j;
}

namespace {

// Display width of a UTF-8 string: code points, not bytes.
size_t Width(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

}  // namespace

void Table::Print() const {
  std::vector<size_t> widths;
  for (const auto& row : rows_) {
    if (widths.size() < row.size()) widths.resize(row.size(), 0);
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], Width(row[i]));
  }
  std::string line;
  for (const auto& row : rows_) {
    line.clear();
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line.append(widths[i] - Width(row[i]) + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    std::cout << line << '\n';
  }
}

std::string FormatTime(int64_t micros) {
  if (micros == 0) return "-";
  return FormatRfc3339(micros);
}

std::string FormatBytes(uint64_t bytes) {
  static const char* const kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  if (bytes < 1024) return std::to_string(bytes) + " B";
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 5) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f %s", v, kUnits[u]);
  return buf;
}

std::string FormatActor(ActorKind kind, std::string_view name) {
  std::string s = ActorKindName(kind);
  if (!name.empty()) {
    s += ':';
    s += name;
  }
  return s;
}

std::string DescribeProvenance(const ProvenanceInfo& p) {
  std::string s = FormatActor(p.actor_kind, p.actor_name);
  if (!p.model_name.empty()) {
    s += " model " + p.model_name;
    if (!p.model_version.empty()) s += "@" + p.model_version;
  }
  if (p.job_id) s += " job " + std::to_string(p.job_id);
  if (p.lease_id) s += " lease " + std::to_string(p.lease_id);
  s += " at " + FormatTime(p.time_us);
  if (!p.note.empty()) s += " (" + p.note + ")";
  return s;
}

const char* MetaKindName(MetaKind kind) {
  switch (kind) {
    case MetaKind::kString: return "string";
    case MetaKind::kInt: return "int";
    case MetaKind::kFloat: return "float";
    case MetaKind::kBool: return "bool";
    case MetaKind::kTime: return "time";
  }
  return "unknown";
}

std::string FormatMetaValue(const MetaEntry& m) {
  switch (m.kind) {
    case MetaKind::kString: return json(m.s).dump(-1, ' ', false, json::error_handler_t::replace);
    case MetaKind::kInt: return std::to_string(m.i);
    case MetaKind::kFloat: return json(m.f).dump();
    case MetaKind::kBool: return m.b ? "true" : "false";
    case MetaKind::kTime: return FormatRfc3339(m.i);
  }
  return "?";
}

std::string CountOf(uint64_t n, std::string_view singular, std::string_view plural) {
  return std::to_string(n) + " " + std::string(n == 1 ? singular : plural);
}

std::string Ellipsize(std::string_view text, size_t max) {
  if (Width(text) <= max) return std::string(text);
  std::string out;
  size_t n = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if ((c & 0xC0) != 0x80 && ++n > max - 3) break;
    out += text[i];
  }
  return out + "...";
}

const std::string& DatasetNames::Get(uint64_t dataset_id) {
  for (const auto& [id, name] : cache_)
    if (id == dataset_id) return name;
  DatasetInfo info;
  std::string name;
  Status s = GetDataset(txn_, dataset_id, &info);
  if (s.ok()) name = info.name;
  else name = "#" + std::to_string(dataset_id);
  if (!s.ok() && !s.IsNotFound() && status_.ok()) status_ = s;
  if (cache_.size() > 64) cache_.clear();
  cache_.emplace_back(dataset_id, std::move(name));
  return cache_.back().second;
}

void PrintAssetJson(const RecordView& v, std::string_view dataset_name) {
  PrintJsonLine(AssetToJson(v, dataset_name));
}

void PrintAssetHuman(const RecordView& v, std::string_view dataset_name) {
  AssetInput a = DecodeAsset(v.As<fb::Asset>());
  ProvenanceInfo p = v.DecodeProvenance();
  std::cout << "asset " << v.id() << "  dataset " << dataset_name << "  version " << v.version() << "  sequence "
            << v.sequence() << (v.deleted() ? "  (deleted)" : "") << '\n';
  Table t({"  external_id", a.external_id});
  t.Add({"  uri", a.uri});
  if (!a.media_type.empty()) t.Add({"  media_type", a.media_type});
  if (a.width || a.height) t.Add({"  size", std::to_string(a.width) + "x" + std::to_string(a.height)});
  if (a.duration_ms) t.Add({"  duration_ms", std::to_string(a.duration_ms)});
  if (a.byte_size) t.Add({"  byte_size", std::to_string(a.byte_size) + " (" + FormatBytes(a.byte_size) + ")"});
  if (a.content_hash) t.Add({"  content_hash", a.content_hash->Hex()});
  if (!a.embedding.empty()) t.Add({"  embedding", std::to_string(a.embedding.size()) + " dimensions"});
  if (!a.text.empty()) t.Add({"  text", Ellipsize(a.text, 60)});
  for (const MetaEntry& m : a.metadata)
    t.Add({"  meta." + m.key, FormatMetaValue(m) + "  (" + MetaKindName(m.kind) + ")"});
  std::string written = DescribeProvenance(p);
  if (p.replaces_version) written += ", replaces version " + std::to_string(p.replaces_version);
  t.Add({"  written_by", written});
  t.Print();
}

namespace {

const MetaEntry* FindMeta(const std::vector<MetaEntry>& v, const std::string& key) {
  for (const MetaEntry& m : v)
    if (m.key == key) return &m;
  return nullptr;
}

}  // namespace

std::string DescribeAssetChange(const AssetInput& before, const AssetInput& after) {
  std::vector<std::string> parts;
  for (const MetaEntry& m : after.metadata) {
    const MetaEntry* old = FindMeta(before.metadata, m.key);
    if (!old || !(*old == m)) parts.push_back("set " + m.key + "=" + FormatMetaValue(m));
  }
  for (const MetaEntry& m : before.metadata)
    if (!FindMeta(after.metadata, m.key)) parts.push_back("unset " + m.key);
  if (before.uri != after.uri) parts.push_back("uri " + after.uri);
  if (before.media_type != after.media_type) parts.push_back("media_type " + after.media_type);
  if (before.width != after.width || before.height != after.height)
    parts.push_back("size " + std::to_string(after.width) + "x" + std::to_string(after.height));
  if (before.duration_ms != after.duration_ms) parts.push_back("duration_ms " + std::to_string(after.duration_ms));
  if (before.byte_size != after.byte_size) parts.push_back("byte_size " + std::to_string(after.byte_size));
  if (before.content_hash != after.content_hash)
    parts.push_back("content_hash " + (after.content_hash ? after.content_hash->Hex() : std::string("removed")));
  if (before.embedding != after.embedding) parts.push_back("embedding changed");
  if (before.text != after.text) parts.push_back("text changed");
  std::string s;
  for (const std::string& p : parts) {
    if (!s.empty()) s += "; ";
    s += p;
  }
  return s;
}

}  // namespace annodb::cli
