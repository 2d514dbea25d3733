#include "annodb/record.h"

#include <cstring>

#include "envelope.h"

namespace annodb {

namespace {
const char* const kKindNames[kRecordKindCount] = {"unknown", "dataset", "asset",  "project",  "member",
                                                  "label",   "comment", "lease",  "consensus"};
}

const char* RecordKindName(RecordKind kind) {
  auto i = static_cast<size_t>(kind);
  return i < kRecordKindCount ? kKindNames[i] : "unknown";
}

bool ParseRecordKind(const std::string& name, RecordKind* out) {
  for (int i = 1; i < kRecordKindCount; ++i) {
    if (name == kKindNames[i]) {
      *out = static_cast<RecordKind>(i);
      return true;
    }
  }
  return false;
}

RecordView& RecordView::operator=(RecordView&& other) noexcept {
  if (this == &other) return *this;
  id_ = other.id_;
  size_ = other.size_;
  payload_offset_ = other.payload_offset_;
  copy_ = std::move(other.copy_);
  if (other.base_ == other.inline_copy_) {
    std::memcpy(inline_copy_, other.inline_copy_, other.size_);
    base_ = inline_copy_;
  } else if (copy_) {
    base_ = reinterpret_cast<const uint8_t*>(copy_.get());
  } else {
    base_ = other.base_;
  }
  other.base_ = nullptr;
  other.size_ = 0;
  return *this;
}

void RecordView::Reset(uint64_t id, const uint8_t* data, size_t size) {
  id_ = id;
  size_ = size;
  copy_.reset();
  if ((reinterpret_cast<uintptr_t>(data) & 7) == 0) {
    base_ = data;
  } else if (size <= sizeof(inline_copy_)) {
    std::memcpy(inline_copy_, data, size);
    base_ = inline_copy_;
  } else {
    copy_.reset(new uint64_t[(size + 7) / 8]);
    std::memcpy(copy_.get(), data, size);
    base_ = reinterpret_cast<const uint8_t*>(copy_.get());
  }
  payload_offset_ = envelope::PayloadOffset(base_);
}

static std::string Str(const flatbuffers::String* s) { return s ? s->str() : std::string(); }

ProvenanceInfo RecordView::DecodeProvenance() const {
  ProvenanceInfo p;
  const fb::Provenance* fp = provenance();
  if (!fp) return p;
  p.actor_kind = static_cast<ActorKind>(fp->actor_kind());
  p.actor_name = Str(fp->actor_name());
  p.model_name = Str(fp->model_name());
  p.model_version = Str(fp->model_version());
  p.job_id = fp->job_id();
  p.lease_id = fp->lease_id();
  p.time_us = fp->time_us();
  p.replaces_version = fp->replaces_version();
  p.note = Str(fp->note());
  return p;
}

const char* ActorKindName(ActorKind kind) {
  switch (kind) {
    case ActorKind::kSystem: return "system";
    case ActorKind::kPerson: return "person";
    case ActorKind::kModel: return "model";
    case ActorKind::kPlugin: return "plugin";
    case ActorKind::kImportJob: return "import_job";
  }
  return "system";
}

bool ParseActorKind(const std::string& name, ActorKind* out) {
  for (auto k : {ActorKind::kSystem, ActorKind::kPerson, ActorKind::kModel, ActorKind::kPlugin,
                 ActorKind::kImportJob}) {
    if (name == ActorKindName(k)) {
      *out = k;
      return true;
    }
  }
  return false;
}

}  // namespace annodb
