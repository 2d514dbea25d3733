// Bulk import of assets: JSON Lines files (one asset a line) and directories
// of media files (docs/formats.md, "Asset import" and "Directory import").
//
// An import is an upsert keyed by (dataset, external id): a row whose asset
// exists unchanged writes nothing, a changed row writes a new version, a new
// row creates an asset. Importing the same input twice therefore creates
// nothing the second time, and re-running an import that was interrupted
// (killed, cancelled, out of disk) completes it without duplicates.
//
// Two passes:
//  1. check: the whole input is read and every row parsed and validated
//     (ParseAssetJson + ValidateAsset) without writing anything. A bad row
//     refuses the import with "line N: <reason>" and leaves the store exactly
//     as it was (no dataset created, no sequence used). Memory stays bounded:
//     lines are read through one reused buffer (a line longer than
//     kMaxImportLineBytes is refused). Input that cannot be read twice
//     (stdin, a pipe, an std::istream) is spooled to an unlinked temporary
//     file in the store directory during this pass.
//  2. write: rows are written in batches of batch_rows, one write
//     transaction (one commit, synced per the store's Durability) per batch.
//     A batch in which every row is unchanged is rolled back instead of
//     committed, so a repeated import writes nothing at all.
// Committed batches stay when the import stops early (cancel, crash, an I/O
// error, input changed between the passes): re-run the import to finish.
//
// Within one input, the same external id may appear more than once: rows are
// applied in order and the last one wins (each differing row is a version).
// Such an input is not idempotent: every run writes the earlier rows again.
// Detecting it would take memory that grows with the input, which an import
// never does.
//
// Provenance: versions are written by a copy of `actor` carrying the import's
// job id (allocated from the store counter "job" in the first batch that
// writes anything); an actor of kind System becomes kind ImportJob.
//
// Threads: the write pass parses (and hashes) the next batch on one helper
// thread while the calling thread writes the current one; transactions,
// progress callbacks and cancel checks all happen on the calling thread. The
// store's writer is taken once per batch, so other threads and processes may
// read and write between batches. Exceptions never escape.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <istream>
#include <string>
#include <string_view>

#include "annodb/options.h"
#include "annodb/status.h"
#include "annodb/store.h"

namespace annodb {

// The longest JSON line accepted (without its line break).
inline constexpr size_t kMaxImportLineBytes = size_t{16} << 20;

struct ImportProgress {
  enum class Phase : uint8_t { kChecking = 0, kWriting = 1 };
  Phase phase = Phase::kChecking;
  uint64_t rows_done = 0;    // rows checked (kChecking) or written (kWriting) so far
  uint64_t rows_total = 0;   // rows in the input; known in kWriting, 0 while checking
  uint64_t bytes_done = 0;   // input bytes read (directory import: file bytes hashed)
  uint64_t bytes_total = 0;  // input size; 0 when unknown (stdin while checking)
  uint64_t created = 0, updated = 0, unchanged = 0;
  uint64_t batches = 0;      // write batches done
};

struct ImportOptions {
  // Rows per write transaction. A batch also ends early after 64 MiB of row
  // data, so that huge rows cannot make a batch huge. 0 = 1.
  size_t batch_rows = 20000;
  // Create the dataset when it does not exist (in the first batch's
  // transaction); otherwise a missing dataset is NotFound.
  bool create_dataset = true;
  // JSONL: a row with no content_hash whose uri is a file:// URI of an
  // existing regular file gets the xxh3-128 hash of the file's bytes (and its
  // byte_size when the row gives none). Directory import: hash each file;
  // when false, only byte_size is recorded.
  bool hash_local_files = true;
  // Called after every write batch, and every batch_rows rows while
  // checking. Runs on the importing thread, outside any transaction.
  std::function<void(const ImportProgress&)> progress;
  // When it becomes true, the import stops with Status::Aborted at the next
  // batch boundary (checked between batches; while checking, every
  // batch_rows rows). Batches committed before that stay committed.
  const std::atomic<bool>* cancel = nullptr;
};

struct ImportReport {
  uint64_t lines = 0;    // rows in the input (blank lines are not rows)
  uint64_t created = 0, updated = 0, unchanged = 0;
  uint64_t job_id = 0;   // 0 when nothing was written
  uint64_t first_sequence = 0, last_sequence = 0;  // commits of this import; 0 when none
  uint64_t batches = 0;  // write batches run (committed or, when all rows were unchanged, rolled back)
  // This import created the dataset: decided inside the write transaction
  // that created it, so of two concurrent imports into a missing dataset
  // exactly one reports it.
  bool dataset_created = false;
};

// Imports a JSON Lines file into `dataset`. `path` "-" reads standard input.
// Errors: InvalidArgument ("line N: <reason>", nothing written), NotFound
// (no dataset and !create_dataset), IOError (unreadable input), Aborted
// (cancelled), or any store error. `report` may be null; it is filled as far
// as the import got, also on error.
Status ImportJsonl(Store& store, const std::string& dataset, const std::string& path, const Actor& actor,
                   const ImportOptions& options, ImportReport* report);

// As ImportJsonl, reading JSON Lines from a stream (spooled while checking).
Status ImportJsonlStream(Store& store, const std::string& dataset, std::istream& in, const Actor& actor,
                         const ImportOptions& options, ImportReport* report);

// Imports every regular file under `dir` (recursively, in byte order of the
// names, hidden files and directories skipped, symbolic links to files
// followed, to directories not): external_id = the path relative to `dir`
// with '/' separators, uri = file:// + the absolute path (percent-encoded
// where needed), media_type from the extension, byte_size and content_hash of
// the bytes. A name that makes an invalid asset (not UTF-8, too long) or an
// unreadable file refuses the import before anything is written.
Status ImportDirectory(Store& store, const std::string& dataset, const std::string& dir, const Actor& actor,
                       const ImportOptions& options, ImportReport* report);

// The media type that directory import gives a file name, from its extension
// (case-insensitive); "application/octet-stream" when unknown.
const char* MediaTypeForPath(std::string_view path);

// The local path of a file:// URI ("file:///a%20b" -> "/a b"; host empty or
// "localhost"); false for anything else.
bool FileUriToPath(std::string_view uri, std::string* path);
// The file:// URI of an absolute path, percent-encoding what a URI cannot hold.
std::string PathToFileUri(std::string_view abs_path);

}  // namespace annodb
