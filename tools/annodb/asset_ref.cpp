// How a command names one asset: `ID`, or `--dataset D --external-id X`.
#include "asset_ref.h"

#include "annodb/assets.h"

namespace annodb::cli {

void AssetRef::AddOptions(CLI::App* cmd) {
  cmd->add_option("ID", id_text, "Asset id (or give --dataset and --external-id)");
  cmd->add_option("--dataset", dataset, "Dataset of the asset named by --external-id")->type_name("NAME");
  cmd->add_option("--external-id", external_id, "External id of the asset in --dataset")->type_name("X");
}

void AssetRef::Validate() {
  bool by_ext = !dataset.empty() || !external_id.empty();
  if (!id_text.empty() && by_ext) UsageError("give either an asset ID or --dataset with --external-id, not both");
  if (!id_text.empty()) {
    id = ParseId(id_text, "asset id");
    return;
  }
  if (dataset.empty() && external_id.empty()) UsageError("name an asset: give its ID, or --dataset and --external-id");
  if (dataset.empty()) UsageError("--external-id needs --dataset");
  if (external_id.empty()) UsageError("--dataset needs --external-id (or give an asset ID)");
}

Status AssetRef::Resolve(const ReadTxn& txn, uint64_t* out) const {
  if (id != 0) {
    *out = id;
    return Status::OK();
  }
  uint64_t ds = 0;
  ANNODB_RETURN_IF_ERROR(FindDataset(txn, dataset, &ds));
  Status s = FindAsset(txn, ds, external_id, out);
  if (s.IsNotFound()) return Status::NotFound("no asset '" + external_id + "' in dataset '" + dataset + "'");
  return s;
}

std::string AssetRef::Describe() const {
  if (id != 0) return "asset " + std::to_string(id);
  return "asset '" + external_id + "' in dataset '" + dataset + "'";
}

Status ResolveAsOf(const ReadTxn& txn, const std::string& as_of, uint64_t* sequence) {
  if (as_of.empty()) return Status::InvalidArgument("--as-of is empty");
  if (ParseU64(as_of, sequence)) {
    // The engine reads kCurrent (2^64 - 1) as "now", so any number past the
    // store's sequence is refused here, that one included.
    if (*sequence > txn.sequence())
      return Status::InvalidArgument("--as-of: sequence " + as_of + " is in the future (the store is at " +
                                     std::to_string(txn.sequence()) + ")");
    return Status::OK();
  }
  bool digits = true;
  for (char c : as_of) digits = digits && c >= '0' && c <= '9';
  if (digits) return Status::InvalidArgument("--as-of: sequence number '" + as_of + "' is out of range");
  SnapshotInfo snap;
  ANNODB_RETURN_IF_ERROR(txn.GetSnapshot(as_of, &snap));
  *sequence = snap.sequence;
  return Status::OK();
}

}  // namespace annodb::cli
