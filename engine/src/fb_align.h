// Element alignment of FlatBuffers vectors of structs.
#pragma once

#include <flatbuffers/flatbuffers.h>

#include <cstddef>
#include <cstdint>

#include "annodb/schema/changes_generated.h"
#include "annodb/schema/consensus_generated.h"
#include "annodb/schema/label_generated.h"

namespace annodb {

// Debian's FlatBuffers (2.0.8) verifier checks a vector's length field for
// 4-byte alignment but not its elements: a vector of 8-byte structs (Point2,
// ConsensusLabel, Change) placed at 4 mod 8 passes verification, and reading
// it is undefined behaviour (a misaligned double). Verifiers call this after
// the generated Verify*Buffer. `buf` is the start of the verified buffer,
// which readers always place at an 8-byte boundary; a null vector is fine.
template <typename T>
bool StructVectorAligned(const uint8_t* buf, const flatbuffers::Vector<const T*>* v) {
  if (!v) return true;
  auto offset = static_cast<size_t>(reinterpret_cast<const uint8_t*>(v->Data()) - buf);
  return offset % alignof(T) == 0;
}

// Every struct vector of a verified Label buffer (the annotations' points).
inline bool LabelStructsAligned(const uint8_t* buf) {
  const fb::Label* l = fb::GetLabel(buf);
  if (l->annotations())
    for (const fb::Annotation* a : *l->annotations())
      if (!StructVectorAligned(buf, a->points())) return false;
  return true;
}

// Every struct vector of a verified Consensus buffer (labels, pair features).
inline bool ConsensusStructsAligned(const uint8_t* buf) {
  const fb::Consensus* c = fb::GetConsensus(buf);
  if (!StructVectorAligned(buf, c->labels())) return false;
  if (c->pairs())
    for (const fb::ConsensusPair* p : *c->pairs())
      if (!StructVectorAligned(buf, p->features())) return false;
  return true;
}

// The changes of a verified ChangeSet buffer (a changefeed entry).
inline bool ChangeSetStructsAligned(const uint8_t* buf) { return StructVectorAligned(buf, fb::GetChangeSet(buf)->changes()); }

}  // namespace annodb
