// Members: the people who label, review and administer. Names are unique in
// a store. Members are versioned records; deactivating one is a new version.
// Labels, comments and leases refer to members by id.
//
// Functions run inside the caller's transaction. Thread safety: as the
// transaction's.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "annodb/schema/member_generated.h"
#include "annodb/store.h"

namespace annodb {

using Role = fb::Role;
const char* RoleName(Role role);  // "labeler", "reviewer", "admin"
bool ParseRole(std::string_view name, Role* out);

struct MemberInfo {
  uint64_t id = 0;
  std::string name;
  std::string display_name;
  Role role = Role::Labeler;
  bool active = true;
  uint64_t version = 0;
};

// Names: 1..200 bytes of UTF-8, no white space or '@' (mentions use @name).
// AlreadyExists when taken.
Status AddMember(WriteTxn& txn, const std::string& name, Role role, const std::string& display_name, uint64_t* id);
Status FindMember(const ReadTxn& txn, const std::string& name, uint64_t* id);
Status GetMember(const ReadTxn& txn, uint64_t id, MemberInfo* out);
Status ListMembers(const ReadTxn& txn, std::vector<MemberInfo>* out);
// Changes role and/or active flag (a new version; kUnchanged when equal).
Status UpdateMember(WriteTxn& txn, uint64_t id, Role role, bool active, PutOutcome* outcome);

}  // namespace annodb
