// Members (see members.h).
#include "annodb/members.h"

#include "annodb/keys.h"
#include "text_checks.h"

namespace annodb {
namespace {
void BuildMember(const std::string& name, const std::string& display, Role role, bool active,
                 flatbuffers::FlatBufferBuilder* b) {
  auto n = b->CreateString(name);
  auto d = display.empty() ? 0 : b->CreateString(display);
  fb::MemberBuilder mb(*b);
  mb.add_name(n);
  if (!d.IsNull()) mb.add_display_name(d);
  mb.add_role(role);
  mb.add_active(active);
  b->Finish(mb.Finish());
}

void Decode(const RecordView& v, MemberInfo* out) {
  const fb::Member* m = v.As<fb::Member>();
  out->id = v.id();
  out->name = FbStr(m->name());
  out->display_name = FbStr(m->display_name());
  out->role = m->role();
  out->active = m->active();
  out->version = v.version();
}
}  // namespace

const char* RoleName(Role role) {
  switch (role) {
    case Role::Labeler: return "labeler";
    case Role::Reviewer: return "reviewer";
    case Role::Admin: return "admin";
  }
  return "labeler";
}

bool ParseRole(std::string_view name, Role* out) {
  for (Role r : {Role::Labeler, Role::Reviewer, Role::Admin}) {
    if (name == RoleName(r)) {
      *out = r;
      return true;
    }
  }
  return false;
}

Status AddMember(WriteTxn& txn, const std::string& name, Role role, const std::string& display_name, uint64_t* id) {
  ANNODB_RETURN_IF_ERROR(CheckRecordName("member name", name));
  if (name.find_first_of(" \t@,") != std::string::npos)
    return Status::InvalidArgument("member name '" + name + "' may not contain spaces, commas or '@'");
  ANNODB_RETURN_IF_ERROR(CheckUtf8Field("display name", display_name, 200, false));
  if (static_cast<int>(role) > static_cast<int>(Role::Admin)) return Status::InvalidArgument("unknown role");
  std::string_view existing;
  if (txn.IndexGet(Index::kMemberByName, name, &existing).ok())
    return Status::AlreadyExists("member '" + name + "' already exists");
  uint64_t new_id = 0;
  ANNODB_RETURN_IF_ERROR(txn.AllocateId(RecordKind::Member, &new_id));
  flatbuffers::FlatBufferBuilder b(128);
  BuildMember(name, display_name, role, true, &b);
  ANNODB_RETURN_IF_ERROR(txn.Put(RecordKind::Member, new_id, b.GetBufferPointer(), b.GetSize(), nullptr));
  ANNODB_RETURN_IF_ERROR(txn.IndexPut(Index::kMemberByName, name, EncodeU64(new_id)));
  if (id) *id = new_id;
  return Status::OK();
}

Status FindMember(const ReadTxn& txn, const std::string& name, uint64_t* id) {
  if (name.empty() || name.size() > 200) return Status::InvalidArgument("member name must be 1..200 bytes");
  std::string_view v;
  Status s = txn.IndexGet(Index::kMemberByName, name, &v);
  if (s.IsNotFound()) return Status::NotFound("no member named '" + name + "'");
  ANNODB_RETURN_IF_ERROR(s);
  if (v.size() != 8) return Status::Corruption("member index entry is malformed");
  *id = DecodeU64(v.data());
  return Status::OK();
}

Status GetMember(const ReadTxn& txn, uint64_t id, MemberInfo* out) {
  RecordView v;
  ANNODB_RETURN_IF_ERROR(txn.Get(RecordKind::Member, id, &v));
  Decode(v, out);
  return Status::OK();
}

Status ListMembers(const ReadTxn& txn, std::vector<MemberInfo>* out) {
  out->clear();
  return txn.Scan(RecordKind::Member, 1, [&](const RecordView& v) {
    out->emplace_back();
    Decode(v, &out->back());
    return true;
  });
}

Status UpdateMember(WriteTxn& txn, uint64_t id, Role role, bool active, PutOutcome* outcome) {
  MemberInfo m;
  ANNODB_RETURN_IF_ERROR(GetMember(txn, id, &m));
  if (static_cast<int>(role) > static_cast<int>(Role::Admin)) return Status::InvalidArgument("unknown role");
  flatbuffers::FlatBufferBuilder b(128);
  BuildMember(m.name, m.display_name, role, active, &b);
  return txn.Put(RecordKind::Member, id, b.GetBufferPointer(), b.GetSize(), outcome);
}

}  // namespace annodb
