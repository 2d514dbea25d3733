// JSON forms of assets: parsing one import line, rendering a stored version.
//
// The import line format (docs/formats.md):
//   {"external_id": "img-0001", "uri": "file:///data/img-0001.jpg",
//    "media_type": "image/jpeg", "width": 640, "height": 480,
//    "duration_ms": 0, "byte_size": 1234, "content_hash": "<32 hex digits>",
//    "metadata": {"camera": "A", "night": true, "lux": 12.5, "n": 3,
//                 "taken": {"$time": "2024-05-01T12:00:00Z"}},
//    "embedding": [0.1, 0.2], "text": "..."}
// external_id and uri are required; unknown top-level keys are refused, but
// the keys AssetToJson adds (id, dataset_id, dataset, version, sequence,
// deleted, provenance) are accepted and ignored, so rendered output
// re-imports. Optional fields may be null ("not given"); metadata values may
// not (nor arrays, nor objects other than {"$time": ...}).
//
// Thread safety: all functions are reentrant (the parser keeps a reusable
// simdjson parser per thread).
#pragma once

#include <string>
#include <string_view>

#include "annodb/assets.h"
#include "annodb/record.h"
#include "annodb/status.h"

namespace annodb {

// Parses one JSON object into `out`. InvalidArgument names the field and the
// reason ("metadata.lux: arrays are not supported ...", "width: must not be
// negative", "not valid UTF-8", "unknown key 'x' ..."). Checks JSON syntax,
// types and numeric ranges; the size limits of assets.h are left to
// ValidateAsset, which callers apply. `out` may be reused from row to row:
// every field is reset, and its metadata entries' buffers are reused. On
// error `out` holds a partial row.
Status ParseAssetJson(std::string_view json, AssetInput* out);

// The double that prints as float `f`'s shortest decimal form (0.91f is
// 0.91 in JSON, not 0.9100000262260437) and still converts back to exactly
// f. Used wherever a stored 32-bit float (embeddings, scores, settings) is
// rendered as JSON. Pure; thread-safe.
double FloatForJson(float f);

// Renders an asset version as one JSON object (no trailing newline):
//   {"id":1,"dataset_id":1,"dataset":"cams","external_id":..,"uri":..,
//    "media_type":..,"width":..,"height":..,"duration_ms":..,"byte_size":..,
//    "content_hash":"..","metadata":{..},"embedding":[..],"text":"..",
//    "version":2,"sequence":7,"deleted":false,"provenance":{..}}
// Absent optional fields are left out. Time metadata renders as
// {"$time":"<RFC 3339 UTC>"} and floats in their shortest round-trip form, so
// the output re-imports to the same values bit for bit (docs/formats.md,
// "Asset JSON output"). Never throws.
std::string AssetToJson(const RecordView& v, std::string_view dataset_name);

// The provenance of a version as a JSON object:
//   {"actor_kind":"person","actor":"alice","model":{"name":..,"version":..},
//    "job_id":..,"lease_id":..,"time":"<RFC 3339>","time_us":..,
//    "replaces_version":..,"note":..}
std::string ProvenanceToJson(const RecordView& v);

// RFC 3339 conversion for time metadata. Parse accepts
// YYYY-MM-DD(T|t| )HH:MM:SS[.fraction](Z|z|+HH:MM|-HH:MM) with a fraction of
// up to 9 digits, of which those past the sixth (below a microsecond) must
// be 0; false for anything else, for an impossible date, and for an instant
// Format cannot print with a four-digit year (see Rfc3339Printable), so what
// Parse accepts prints back as the same instant. Format prints UTC:
// "2024-05-01T12:00:00Z", with ".ffffff" when the microseconds are not zero.
bool ParseRfc3339(std::string_view s, int64_t* micros);
std::string FormatRfc3339(int64_t micros);
// True for the instants from 0000-01-01T00:00:00Z to
// 9999-12-31T23:59:59.999999Z: those FormatRfc3339 prints in a form that
// ParseRfc3339 reads back. Stored time values must be in this range.
bool Rfc3339Printable(int64_t micros);

}  // namespace annodb
