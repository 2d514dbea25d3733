// Internal to the Label Studio import (ls_import.cpp): strict reads of Label
// Studio JSON values, the ontology inferred from results, and the conversion
// of one result into an annotation. Every error names the field and shows
// the value; the caller prefixes the task, annotation and result.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "annodb/labels.h"
#include "annodb/projects.h"

namespace annodb::ls {

// Ordered: "the first string in data" is the first in the file.
using Json = nlohmann::ordered_json;

// A value as compact JSON for a message, cut to about 80 bytes.
std::string Show(const Json& v);

// The member of object `o` named `key`, or null when `o` is not an object or
// lacks it (or holds JSON null there: Label Studio writes null for "none").
const Json* Find(const Json& o, const char* key);

// A string member: absent or null -> `fallback`; any other non-string is an
// error naming `key` and the value.
Status OptString(const Json& o, const char* key, const std::string& fallback, std::string* out);
// A boolean member: absent or null -> false.
Status OptBool(const Json& o, const char* key, bool* out);

// "task 7", or "tasks[3]" when the task has no integer id.
std::string TaskName(const Json& task, size_t index);

// The result types the import converts; others are skipped and counted.
bool Handled(const std::string& type);
// Image-region results (their to_name points at an image).
bool ImageRegion(const std::string& type);

// Infers an ontology from every annotation and prediction result: feature
// kinds from result types, options and classes in first-seen order. A
// from_name used with two result kinds, or a name that cannot be a feature,
// option or class name, is refused naming the task and result.
Status InferOntology(const Json& tasks, std::vector<FeatureDef>* out);

// original_width/original_height of a result: 0 when absent or null; an
// error when not an integer pixel count 1..4294967295.
Status ResultSize(const Json& r, uint32_t* width, uint32_t* height);

struct ConvertOptions {
  // > 0: boxes extending at most this many percent of the image's width or
  // height past its edges are clamped to the image; 0: refused.
  double clamp_percent = 0;
};

// Converts result `r` of handled type `type` into an annotation of feature
// `f`, checked against the asset (whose width/height convert percentages:
// `width`/`height` are the result's or the asset's size, 0 when unknown).
// *clamped tells that the box was clamped.
Status ConvertResult(const Json& r, const std::string& type, const FeatureDef& f, const std::string& project,
                     const AssetInput& asset, uint32_t width, uint32_t height, const ConvertOptions& o,
                     std::optional<float> default_score, AnnotationInput* out, bool* clamped);

// A score member (of a result or a prediction): absent or null -> nullopt;
// an error when not a finite number a float holds.
Status OptScore(const Json& o, std::optional<float>* out);

}  // namespace annodb::ls
