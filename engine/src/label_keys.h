// Index keys of labels (shared by labels.cpp and verify.cpp).
#pragma once

#include <string>

#include "annodb/keys.h"
#include "annodb/labels.h"

namespace annodb::label_keys {

// The author part of the uniqueness key: a member id, or a model's name and version.
inline std::string Author(LabelSource source, uint64_t member, const std::string& model, const std::string& version) {
  if (source == LabelSource::Model || source == LabelSource::Aggregate)
    return KeyBuilder().U8('x').Str(model).Tail(version).str();
  return KeyBuilder().U8('m').U64(member).str();
}
inline std::string Unique(uint64_t project, uint64_t asset, LabelSource source, const std::string& author) {
  return KeyBuilder().U64(project).U64(asset).U8(static_cast<uint8_t>(source)).Tail(author).str();
}
inline std::string ByAsset(uint64_t project, uint64_t asset, uint64_t id) { return KeyBuilder().U64(project).U64(asset).U64(id).str(); }
inline std::string ByAuthor(uint64_t project, uint64_t member, uint64_t id) { return KeyBuilder().U64(project).U64(member).U64(id).str(); }
inline std::string ByStatus(uint64_t project, LabelStatus s, uint64_t id) {
  return KeyBuilder().U64(project).U8(static_cast<uint8_t>(s)).U64(id).str();
}

}  // namespace annodb::label_keys
