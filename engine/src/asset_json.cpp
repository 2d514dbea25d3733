// JSON forms of assets: the strict import-line parser (simdjson on-demand,
// error codes only, no exceptions) and the renderers of stored versions
// (nlohmann::json, insertion-ordered so "id" comes first).
#include "annodb/asset_json.h"

#include <simdjson.h>

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>

namespace annodb {
namespace {

namespace od = simdjson::ondemand;
using simdjson::error_code;

// ---- error messages ----

const char* TypeName(od::json_type t) {
  switch (t) {
    case od::json_type::array: return "an array";
    case od::json_type::object: return "an object";
    case od::json_type::number: return "a number";
    case od::json_type::string: return "a string";
    case od::json_type::boolean: return "a boolean";
    case od::json_type::null: return "null";
  }
  return "an unknown value";
}

Status Err(std::string_view field, std::string_view what) {
  std::string m;
  m.reserve(field.size() + what.size() + 2);
  m.append(field).append(": ").append(what);
  return Status::InvalidArgument(std::move(m));
}

// A simdjson error met while reading `field` (empty = the document itself).
Status JsonErr(std::string_view field, error_code e) {
  std::string what;
  switch (e) {
    case simdjson::UTF8_ERROR: what = "not valid UTF-8"; break;
    case simdjson::STRING_ERROR: what = "a string has a bad escape or an invalid \\u sequence"; break;
    case simdjson::NUMBER_ERROR: what = "not a valid number, or out of the range of a 64-bit float"; break;
    case simdjson::EMPTY: what = "empty"; break;
    case simdjson::DEPTH_ERROR: what = "nested too deeply"; break;
    default: what = std::string("not valid JSON (") + simdjson::error_message(e) + ")"; break;
  }
  if (field.empty()) return Status::InvalidArgument(std::move(what));
  return Err(field, what);
}

// "expected a string, got a number"
Status TypeErr(std::string_view field, const char* expected, od::value& v) {
  od::json_type t;
  if (auto e = v.type().get(t)) return JsonErr(field, e);
  return Err(field, std::string("expected ") + expected + ", got " + TypeName(t));
}

// The key of a field. Keys without escapes (nearly all) are used in place;
// only a key holding a backslash is unescaped into the parser's buffer. The
// input passed simdjson's first stage, so the closing quote exists.
error_code FieldKey(od::field& f, std::string_view* out) {
  const char* p = f.key().raw();
  const char* q = p;
  while (*q != '"' && *q != '\\') ++q;
  if (*q == '"') {
    *out = std::string_view(p, static_cast<size_t>(q - p));
    return simdjson::SUCCESS;
  }
  return f.unescaped_key().get(*out);
}

// ---- typed readers ----

// Reads a string into *out (reusing its capacity). A null leaves *out empty
// when `nullable` (optional fields), and is a type error otherwise.
Status ReadString(od::value& v, std::string_view field, bool nullable, std::string* out) {
  std::string_view s;
  error_code e = v.get_string().get(s);
  if (e == simdjson::INCORRECT_TYPE) {
    bool is_null = false;
    if (nullable && v.is_null().get(is_null) == simdjson::SUCCESS && is_null) {
      out->clear();
      return Status::OK();
    }
    return TypeErr(field, "a string", v);
  }
  if (e) return JsonErr(field, e);
  out->assign(s.data(), s.size());
  return Status::OK();
}

// Reads a non-negative integer no larger than `max` (null = 0). The common
// case is one parse; anything else is diagnosed on a slower path (simdjson's
// scalar getters leave the value unconsumed when they fail).
Status ReadUnsigned(od::value& v, std::string_view field, uint64_t max, uint64_t* out) {
  if (v.get_uint64().get(*out) == simdjson::SUCCESS) {
    if (*out > max) return Err(field, "is larger than " + std::to_string(max));
    return Status::OK();
  }
  od::json_type t;
  if (auto e = v.type().get(t)) return JsonErr(field, e);
  if (t == od::json_type::null) {
    bool is_null = false;
    if (auto e = v.is_null().get(is_null)) return JsonErr(field, e);
    *out = 0;
    return Status::OK();
  }
  if (t != od::json_type::number) return TypeErr(field, "a non-negative integer", v);
  od::number_type nt;
  if (auto e = v.get_number_type().get(nt)) return JsonErr(field, e);
  if (nt == od::number_type::floating_point_number)
    return Err(field, "expected a non-negative integer, got a number with a fraction or exponent");
  if (nt == od::number_type::unsigned_integer) return Err(field, "is larger than " + std::to_string(max));
  int64_t i;
  if (auto e = v.get_int64().get(i)) {
    if (e == simdjson::INCORRECT_TYPE) return Err(field, "must not be negative");  // below INT64_MIN
    return JsonErr(field, e);
  }
  if (i < 0) return Err(field, "must not be negative");
  *out = static_cast<uint64_t>(i);  // "-0"
  return Status::OK();
}

Status ReadU32(od::value& v, std::string_view field, uint32_t* out) {
  uint64_t x = 0;
  ANNODB_RETURN_IF_ERROR(ReadUnsigned(v, field, std::numeric_limits<uint32_t>::max(), &x));
  *out = static_cast<uint32_t>(x);
  return Status::OK();
}

Status ReadHash(od::value& v, std::optional<Hash128>* out) {
  std::string_view s;
  error_code e = v.get_string().get(s);
  if (e == simdjson::INCORRECT_TYPE) {
    bool is_null = false;
    if (v.is_null().get(is_null) == simdjson::SUCCESS && is_null) {
      out->reset();
      return Status::OK();
    }
    return TypeErr("content_hash", "a string of 32 hexadecimal digits", v);
  }
  if (e) return JsonErr("content_hash", e);
  Hash128 h;
  if (!Hash128::FromHex(s, &h))
    return Err("content_hash", "expected 32 hexadecimal digits (an xxh3-128 hash), got '" +
                                   std::string(s.substr(0, 64)) + "'");
  *out = h;
  return Status::OK();
}

Status ReadEmbedding(od::value& v, std::vector<float>* out) {
  out->clear();
  od::array arr;
  error_code e = v.get_array().get(arr);
  if (e == simdjson::INCORRECT_TYPE) {
    bool is_null = false;
    if (v.is_null().get(is_null) == simdjson::SUCCESS && is_null) return Status::OK();
    return TypeErr("embedding", "an array of numbers", v);
  }
  if (e) return JsonErr("embedding", e);
  size_t i = 0;
  for (auto elem : arr) {
    od::value ev;
    if (auto ee = elem.get(ev)) return JsonErr("embedding", ee);
    double d;
    if (auto ee = ev.get_double().get(d)) {
      std::string field = "embedding[" + std::to_string(i) + "]";
      if (ee == simdjson::INCORRECT_TYPE) return TypeErr(field, "a number", ev);
      return JsonErr(field, ee);
    }
    // Stored as float32: a double that would round to infinity is refused
    // here (0x1.ffffffp127 is FLT_MAX plus half a unit in the last place;
    // anything below it rounds to at most FLT_MAX).
    if (std::fabs(d) >= 0x1.ffffffp127)
      return Err("embedding[" + std::to_string(i) + "]", "out of the range of a 32-bit float");
    out->push_back(static_cast<float>(d));
    ++i;
  }
  return Status::OK();
}

// Reads one metadata value into *m (m->key already set). Allowed: string,
// integer (int64), float, boolean, {"$time": "<RFC 3339>"}. The field name
// for messages ("metadata.<key>") is only built when there is an error.
Status ReadMetaValue(od::value& v, MetaEntry* m) {
  auto field = [&] { return "metadata." + m->key; };
  od::json_type t;
  if (auto e = v.type().get(t)) return JsonErr(field(), e);
  switch (t) {
    case od::json_type::string: {
      m->kind = MetaKind::kString;
      std::string_view s;
      if (auto e = v.get_string().get(s)) return JsonErr(field(), e);
      m->s.assign(s.data(), s.size());
      return Status::OK();
    }
    case od::json_type::boolean:
      m->kind = MetaKind::kBool;
      if (auto e = v.get_bool().get(m->b)) return JsonErr(field(), e);
      return Status::OK();
    case od::json_type::number: {
      od::number_type nt;
      if (auto e = v.get_number_type().get(nt)) return JsonErr(field(), e);
      if (nt == od::number_type::floating_point_number) {
        m->kind = MetaKind::kFloat;
        if (auto e = v.get_double().get(m->f)) return JsonErr(field(), e);
        return Status::OK();
      }
      m->kind = MetaKind::kInt;
      if (nt == od::number_type::unsigned_integer)
        return Err(field(), "integer out of the range of a signed 64-bit integer");
      if (auto e = v.get_int64().get(m->i)) {
        if (e == simdjson::INCORRECT_TYPE) return Err(field(), "integer out of the range of a signed 64-bit integer");
        return JsonErr(field(), e);
      }
      return Status::OK();
    }
    case od::json_type::null:
      return Err(field(), "null is not a metadata value (leave the key out instead)");
    case od::json_type::array:
      return Err(field(), "arrays are not supported in metadata (values are strings, integers, floats, "
                          "booleans or {\"$time\": \"<RFC 3339>\"})");
    case od::json_type::object: {
      od::object obj;
      if (auto e = v.get_object().get(obj)) return JsonErr(field(), e);
      static constexpr const char* kNested =
          "nested objects are not supported in metadata; the only object allowed is {\"$time\": \"<RFC 3339>\"}";
      bool have_time = false;
      for (auto fr : obj) {
        od::field f;
        if (auto e = std::move(fr).get(f)) return JsonErr(field(), e);
        std::string_view key;
        if (auto e = FieldKey(f, &key)) return JsonErr(field(), e);
        if (key != "$time" || have_time) return Err(field(), kNested);
        od::value& tv = f.value();
        std::string_view ts;
        if (auto e = tv.get_string().get(ts)) {
          if (e == simdjson::INCORRECT_TYPE) return TypeErr(field() + ".$time", "an RFC 3339 time string", tv);
          return JsonErr(field(), e);
        }
        if (!ParseRfc3339(ts, &m->i))
          return Err(field(), "'" + std::string(ts.substr(0, 64)) +
                                  "' is not an RFC 3339 time (like 2024-05-01T12:00:00Z or 2024-05-01T14:00:00.5+02:00) "
                                  "in years 0000..9999 UTC, to the microsecond");
        have_time = true;
      }
      if (!have_time) return Err(field(), kNested);
      m->kind = MetaKind::kTime;
      return Status::OK();
    }
  }
  return Err(field(), "unsupported value");
}

// Fills *out, reusing existing entries (and their strings' capacity) so a
// bulk import allocates nothing per row in steady state.
Status ReadMetadataObject(od::object& obj, std::vector<MetaEntry>* out, size_t* used) {
  for (auto fr : obj) {
    od::field f;
    if (auto e = std::move(fr).get(f)) return JsonErr("metadata", e);
    std::string_view key;
    if (auto e = FieldKey(f, &key)) return JsonErr("metadata", e);
    // Stop at the limit (ValidateAsset would refuse more anyway), so a
    // hostile line cannot make us build a huge vector.
    if (*used == kMaxMetadataEntries)
      return Err("metadata", "more than " + std::to_string(kMaxMetadataEntries) + " keys");
    if (*used == out->size()) out->emplace_back();
    MetaEntry& m = (*out)[(*used)++];
    m.key.assign(key.data(), key.size());
    m.s.clear();
    m.i = 0;
    m.f = 0;
    m.b = false;
    ANNODB_RETURN_IF_ERROR(ReadMetaValue(f.value(), &m));
  }
  return Status::OK();
}

Status ReadMetadata(od::value& v, std::vector<MetaEntry>* out) {
  od::object obj;
  error_code e = v.get_object().get(obj);
  if (e == simdjson::INCORRECT_TYPE) {
    bool is_null = false;
    if (v.is_null().get(is_null) == simdjson::SUCCESS && is_null) {
      out->clear();
      return Status::OK();
    }
    return TypeErr("metadata", "an object", v);
  }
  if (e) return JsonErr("metadata", e);
  size_t used = 0;
  Status s = ReadMetadataObject(obj, out, &used);
  out->resize(used);
  return s;
}

// Checks a value we ignore is nonetheless well-formed JSON (on-demand parsing
// would otherwise skip over it without looking).
Status CheckValue(od::value& v, std::string_view field, int depth) {
  if (depth > 64) return Err(field, "nested too deeply");
  od::json_type t;
  if (auto e = v.type().get(t)) return JsonErr(field, e);
  switch (t) {
    case od::json_type::array: {
      od::array a;
      if (auto e = v.get_array().get(a)) return JsonErr(field, e);
      for (auto elem : a) {
        od::value ev;
        if (auto e = elem.get(ev)) return JsonErr(field, e);
        ANNODB_RETURN_IF_ERROR(CheckValue(ev, field, depth + 1));
      }
      return Status::OK();
    }
    case od::json_type::object: {
      od::object o;
      if (auto e = v.get_object().get(o)) return JsonErr(field, e);
      for (auto fr : o) {
        od::field f;
        if (auto e = std::move(fr).get(f)) return JsonErr(field, e);
        std::string_view k;
        if (auto e = FieldKey(f, &k)) return JsonErr(field, e);
        ANNODB_RETURN_IF_ERROR(CheckValue(f.value(), field, depth + 1));
      }
      return Status::OK();
    }
    case od::json_type::number: {
      double d;
      if (auto e = v.get_double().get(d)) return JsonErr(field, e);
      return Status::OK();
    }
    case od::json_type::string: {
      std::string_view s;
      if (auto e = v.get_string().get(s)) return JsonErr(field, e);
      return Status::OK();
    }
    case od::json_type::boolean: {
      bool b;
      if (auto e = v.get_bool().get(b)) return JsonErr(field, e);
      return Status::OK();
    }
    case od::json_type::null: {
      bool n = false;
      if (auto e = v.is_null().get(n)) return JsonErr(field, e);
      if (!n) return Err(field, "not valid JSON");
      return Status::OK();
    }
  }
  return Status::OK();
}

// The top-level keys. Bit positions also detect a key given twice.
enum Field : uint32_t {
  kExternalId, kUri, kMediaType, kWidth, kHeight, kDurationMs, kByteSize, kContentHash,
  kMetadata, kEmbedding, kText,
  kOutputOnly,  // keys annodb writes in its own output (AssetToJson): accepted and ignored
  kUnknown,
};

// Dispatch on the length first: one or two comparisons per key.
Field Classify(std::string_view k) {
  auto is = [&](std::string_view name) { return k == name; };
  switch (k.size()) {
    case 2: return is("id") ? kOutputOnly : kUnknown;
    case 3: return is("uri") ? kUri : kUnknown;
    case 4: return is("text") ? kText : kUnknown;
    case 5: return is("width") ? kWidth : kUnknown;
    case 6: return is("height") ? kHeight : kUnknown;
    case 7: return is("dataset") || is("version") || is("deleted") ? kOutputOnly : kUnknown;
    case 8: return is("metadata") ? kMetadata : is("sequence") ? kOutputOnly : kUnknown;
    case 9: return is("byte_size") ? kByteSize : is("embedding") ? kEmbedding : kUnknown;
    case 10: return is("media_type") ? kMediaType : is("dataset_id") || is("provenance") ? kOutputOnly : kUnknown;
    case 11: return is("external_id") ? kExternalId : is("duration_ms") ? kDurationMs : kUnknown;
    case 12: return is("content_hash") ? kContentHash : kUnknown;
    default: return kUnknown;
  }
}

void Reset(AssetInput* out) {
  out->external_id.clear();
  out->uri.clear();
  out->media_type.clear();
  out->width = out->height = 0;
  out->duration_ms = out->byte_size = 0;
  out->content_hash.reset();
  // metadata is left alone: ReadMetadata reuses its entries.
  out->embedding.clear();
  out->text.clear();
}

Status ParseDocument(od::document& doc, AssetInput* out) {
  od::object obj;
  if (auto e = doc.get_object().get(obj)) {
    od::json_type t;
    if (e != simdjson::INCORRECT_TYPE || doc.type().get(t) != simdjson::SUCCESS) return JsonErr("", e);
    // The type comes from the first character only: "nonsense" starts like
    // null. Read the scalar to tell bad JSON from a JSON value of the wrong type.
    error_code se = simdjson::SUCCESS;
    if (t == od::json_type::null) {
      bool is_null = false;
      se = doc.is_null().get(is_null);
      if (!se && !is_null) se = simdjson::N_ATOM_ERROR;
    } else if (t == od::json_type::boolean) {
      bool b;
      se = doc.get_bool().get(b);
    } else if (t == od::json_type::number) {
      double d;
      se = doc.get_double().get(d);
    } else if (t == od::json_type::string) {
      std::string_view sv;
      se = doc.get_string().get(sv);
    }
    if (se) return JsonErr("", se);
    return Status::InvalidArgument(std::string("expected a JSON object, got ") + TypeName(t));
  }
  uint32_t seen = 0;
  bool meta_seen = false;
  for (auto fr : obj) {
    od::field f;
    if (auto e = std::move(fr).get(f)) return JsonErr("", e);
    std::string_view key;
    if (auto e = FieldKey(f, &key)) return JsonErr("", e);
    Field which = Classify(key);
    if (which == kUnknown)
      return Status::InvalidArgument("unknown key '" + std::string(key.substr(0, 64)) +
                                     "' (allowed: external_id, uri, media_type, width, height, duration_ms, "
                                     "byte_size, content_hash, metadata, embedding, text)");
    if (which != kOutputOnly) {
      if (seen & (1u << which)) return Err(key, "given twice");
      seen |= 1u << which;
    }
    // `key` points into the input or the parser's string buffer, both
    // stable until the next document.
    std::string_view field = key;
    od::value& v = f.value();
    switch (which) {
      case kExternalId: ANNODB_RETURN_IF_ERROR(ReadString(v, field, false, &out->external_id)); break;
      case kUri: ANNODB_RETURN_IF_ERROR(ReadString(v, field, false, &out->uri)); break;
      case kMediaType: ANNODB_RETURN_IF_ERROR(ReadString(v, field, true, &out->media_type)); break;
      case kText: ANNODB_RETURN_IF_ERROR(ReadString(v, field, true, &out->text)); break;
      case kWidth: ANNODB_RETURN_IF_ERROR(ReadU32(v, field, &out->width)); break;
      case kHeight: ANNODB_RETURN_IF_ERROR(ReadU32(v, field, &out->height)); break;
      case kDurationMs:
        ANNODB_RETURN_IF_ERROR(ReadUnsigned(v, field, std::numeric_limits<uint64_t>::max(), &out->duration_ms));
        break;
      case kByteSize:
        ANNODB_RETURN_IF_ERROR(ReadUnsigned(v, field, std::numeric_limits<uint64_t>::max(), &out->byte_size));
        break;
      case kContentHash: ANNODB_RETURN_IF_ERROR(ReadHash(v, &out->content_hash)); break;
      case kMetadata:
        ANNODB_RETURN_IF_ERROR(ReadMetadata(v, &out->metadata));
        meta_seen = true;
        break;
      case kEmbedding: ANNODB_RETURN_IF_ERROR(ReadEmbedding(v, &out->embedding)); break;
      case kOutputOnly: ANNODB_RETURN_IF_ERROR(CheckValue(v, field, 0)); break;
      case kUnknown: break;
    }
  }
  // on-demand stops at the object's end: anything after it is an error.
  const char* rest = nullptr;
  if (doc.current_location().get(rest) == simdjson::SUCCESS)
    return Status::InvalidArgument("unexpected text after the JSON object");
  if (!meta_seen) out->metadata.clear();
  if (!(seen & (1u << kExternalId))) return Status::InvalidArgument("external_id is required");
  if (!(seen & (1u << kUri))) return Status::InvalidArgument("uri is required");
  return Status::OK();
}

// simdjson reads up to SIMDJSON_PADDING bytes past the end of its input, so
// each line is copied into a padded buffer kept per thread with its parser.
struct ParserState {
  od::parser parser;
  std::string buf;
};

}  // namespace

Status ParseAssetJson(std::string_view json, AssetInput* out) {
  if (!out) return Status::InvalidArgument("output is null");
  try {
    thread_local ParserState st;
    Reset(out);
    size_t need = json.size() + simdjson::SIMDJSON_PADDING;
    if (st.buf.size() < need) st.buf.resize(need);
    if (!json.empty()) std::memcpy(st.buf.data(), json.data(), json.size());
    od::document doc;
    Status s;
    if (auto e = st.parser.iterate(st.buf.data(), json.size(), st.buf.size()).get(doc)) {
      s = JsonErr("", e);
      out->metadata.clear();
    } else {
      s = ParseDocument(doc, out);
    }
    // Do not hold on to the memory of an unusually large line.
    if (json.size() > (size_t{1} << 20)) {
      st.parser = od::parser();
      std::string().swap(st.buf);
    }
    return s;
  } catch (const std::bad_alloc&) {
    return Status::IOError("out of memory parsing an asset");
  }
}

// ---- time ----

namespace {

// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void CivilFromDays(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<int64_t>(yoe) + era * 400 + (*m <= 2);
}

bool Digits(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = 0; i < n; ++i) {
    char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *out = v;
  return true;
}

}  // namespace

// The instants FormatRfc3339 prints with a four-digit year, which are
// exactly the instants ParseRfc3339 accepts: 0000-01-01T00:00:00Z to
// 9999-12-31T23:59:59.999999Z.
constexpr int64_t kMinRfc3339Micros = -62167219200LL * 1000000;  // 0000-01-01T00:00:00Z
constexpr int64_t kMaxRfc3339Micros = 253402300800LL * 1000000 - 1;  // 9999-12-31T23:59:59.999999Z

bool Rfc3339Printable(int64_t micros) { return micros >= kMinRfc3339Micros && micros <= kMaxRfc3339Micros; }

// date-time = YYYY-MM-DD ("T" / "t" / " ") HH:MM:SS [.fraction] ("Z" / "z" / +HH:MM / -HH:MM)
// A leap second (:60) is accepted as RFC 3339 allows and lands on the next
// second. Refused, so that whatever is accepted prints back as the same
// instant: digits finer than a microsecond that are not zero (the store
// keeps microseconds), and an instant outside years 0000..9999 in UTC (an
// offset or a leap second can push a date at either end over).
bool ParseRfc3339(std::string_view s, int64_t* micros) {
  int year, month, day, hour, minute, second;
  if (!Digits(s, 0, 4, &year) || s.size() < 20 || s[4] != '-' || !Digits(s, 5, 2, &month) || s[7] != '-' ||
      !Digits(s, 8, 2, &day))
    return false;
  if (s[10] != 'T' && s[10] != 't' && s[10] != ' ') return false;
  if (!Digits(s, 11, 2, &hour) || s[13] != ':' || !Digits(s, 14, 2, &minute) || s[16] != ':' ||
      !Digits(s, 17, 2, &second))
    return false;
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12 || day < 1) return false;
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  if (day > kDays[month - 1] + (month == 2 && leap ? 1 : 0)) return false;
  if (hour > 23 || minute > 59 || second > 60) return false;
  size_t pos = 19;
  int64_t frac = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    size_t start = pos;
    int64_t scale = 100000;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (scale > 0) frac += (s[pos] - '0') * scale;
      else if (s[pos] != '0') return false;  // finer than a microsecond
      scale /= 10;
      ++pos;
    }
    if (pos == start || pos - start > 9) return false;  // nanoseconds at most
  }
  if (pos >= s.size()) return false;
  int offset_min = 0;
  if (s[pos] == 'Z' || s[pos] == 'z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    int oh, om;
    if (!Digits(s, pos + 1, 2, &oh) || pos + 3 >= s.size() || s[pos + 3] != ':' || !Digits(s, pos + 4, 2, &om))
      return false;
    if (oh > 23 || om > 59) return false;
    offset_min = (oh * 60 + om) * (s[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return false;
  }
  if (pos != s.size()) return false;
  int64_t days = DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  int64_t secs = days * 86400 + hour * 3600 + minute * 60 + second - int64_t{offset_min} * 60;
  int64_t us = secs * 1000000 + frac;
  if (!Rfc3339Printable(us)) return false;
  *micros = us;
  return true;
}

// "2024-05-01T12:00:00Z", with ".ffffff" only when the microseconds are not 0.
std::string FormatRfc3339(int64_t micros) {
  int64_t secs = micros / 1000000, us = micros % 1000000;
  if (us < 0) {  // floor, so times before 1970 print correctly
    us += 1000000;
    secs -= 1;
  }
  int64_t days = secs / 86400, rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    days -= 1;
  }
  int64_t y;
  unsigned m, d;
  CivilFromDays(days, &y, &m, &d);
  char buf[64];
  int n = std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02d:%02d:%02d", static_cast<long long>(y), m, d,
                        static_cast<int>(rem / 3600), static_cast<int>(rem / 60 % 60), static_cast<int>(rem % 60));
  if (us != 0) n += std::snprintf(buf + n, sizeof buf - static_cast<size_t>(n), ".%06d", static_cast<int>(us));
  std::snprintf(buf + n, sizeof buf - static_cast<size_t>(n), "Z");
  return buf;
}

// ---- rendering ----

double FloatForJson(float f) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, f);
  if (r.ec != std::errc()) return f;
  *r.ptr = '\0';
  double d = std::strtod(buf, nullptr);
  return static_cast<float>(d) == f ? d : static_cast<double>(f);
}

namespace {

using ojson = nlohmann::ordered_json;

ojson ProvenanceObject(const RecordView& v) {
  ProvenanceInfo p = v.DecodeProvenance();
  ojson j;
  j["actor_kind"] = ActorKindName(p.actor_kind);
  j["actor"] = p.actor_name;
  if (!p.model_name.empty() || !p.model_version.empty())
    j["model"] = ojson{{"name", p.model_name}, {"version", p.model_version}};
  if (p.job_id) j["job_id"] = p.job_id;
  if (p.lease_id) j["lease_id"] = p.lease_id;
  j["time"] = FormatRfc3339(p.time_us);
  j["time_us"] = p.time_us;
  j["replaces_version"] = p.replaces_version;
  if (!p.note.empty()) j["note"] = p.note;
  return j;
}

std::string Dump(const ojson& j) {
  // Stored strings were validated as UTF-8 on the way in; `replace` keeps a
  // damaged store from turning into an exception here.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

std::string AssetToJson(const RecordView& v, std::string_view dataset_name) {
  try {
    const fb::Asset* a = v.valid() ? v.As<fb::Asset>() : nullptr;
    if (!a) return "{}";
    AssetInput in = DecodeAsset(a);
    ojson j;
    j["id"] = v.id();
    j["dataset_id"] = a->dataset_id();
    if (!dataset_name.empty()) j["dataset"] = std::string(dataset_name);
    j["external_id"] = in.external_id;
    j["uri"] = in.uri;
    if (!in.media_type.empty()) j["media_type"] = in.media_type;
    if (in.width) j["width"] = in.width;
    if (in.height) j["height"] = in.height;
    if (in.duration_ms) j["duration_ms"] = in.duration_ms;
    if (in.byte_size) j["byte_size"] = in.byte_size;
    if (in.content_hash) j["content_hash"] = in.content_hash->Hex();
    if (!in.metadata.empty()) {
      ojson meta = ojson::object();
      for (const MetaEntry& m : in.metadata) {
        switch (m.kind) {
          case MetaKind::kString: meta[m.key] = m.s; break;
          case MetaKind::kInt: meta[m.key] = m.i; break;
          case MetaKind::kFloat: meta[m.key] = m.f; break;  // nlohmann prints the shortest round-trip form
          case MetaKind::kBool: meta[m.key] = m.b; break;
          case MetaKind::kTime: meta[m.key] = ojson{{"$time", FormatRfc3339(m.i)}}; break;
        }
      }
      j["metadata"] = std::move(meta);
    }
    if (!in.embedding.empty()) {
      ojson emb = ojson::array();
      for (float f : in.embedding) emb.push_back(FloatForJson(f));
      j["embedding"] = std::move(emb);
    }
    if (!in.text.empty()) j["text"] = in.text;
    j["version"] = v.version();
    j["sequence"] = v.sequence();
    j["deleted"] = v.deleted();
    j["provenance"] = ProvenanceObject(v);
    return Dump(j);
  } catch (const std::exception&) {
    return "{\"error\":\"cannot render asset\"}";
  }
}

std::string ProvenanceToJson(const RecordView& v) {
  try {
    if (!v.valid()) return "{}";
    return Dump(ProvenanceObject(v));
  } catch (const std::exception&) {
    return "{}";
  }
}

}  // namespace annodb
