/*
 * annodb.h: the C ABI of annodb, an embedded, versioned store for AI
 * annotation data (assets, datasets, provenance, snapshots, a changefeed).
 *
 * In the style of LevelDB's c.h and LMDB's lmdb.h. The guide with examples is
 * docs/c-api.md; what follows is the reference.
 *
 * CONVENTIONS (they hold for every function unless its comment says otherwise)
 *
 * Status codes. Functions return an int: ANNODB_OK (0) on success, or one of
 * the ANNODB_* codes below, which have the same numbers as annodb::Code in the
 * C++ API. A call that fails leaves the store as it was and sets its output
 * parameters to NULL / 0 (see Ownership; annodb_verify and the import
 * reports are the documented exceptions).
 *
 * Messages. After a call on a store handle fails, annodb_last_error(store)
 * returns a readable message for the failure, for the calling thread only
 * (other threads' failures on the same handle do not overwrite it). Calls
 * that have no valid handle (annodb_open, a NULL or closed handle) leave their
 * message in a per-thread slot read by annodb_last_error(NULL).
 *
 * Ownership. Strings passed in (const char*) are NUL-terminated UTF-8 and are
 * only read during the call; annodb keeps no pointer to them. Everything
 * annodb returns through an output pointer (char** out, void** out) is a
 * buffer allocated with malloc that the caller owns and must release with
 * annodb_free(). Text outputs are NUL-terminated; *out_len (when out_len is
 * not NULL) receives the length without the terminating NUL. Binary outputs
 * (annodb_asset_flatbuffer) require out_len. On failure *out is set to NULL
 * and *out_len to 0, so freeing the output unconditionally is always safe.
 * The only pointers annodb returns that the caller must NOT free are
 * annodb_version(), annodb_status_name() and annodb_last_error().
 *
 * JSON. Structured outputs are JSON text (RFC 8259, UTF-8). Asset objects have
 * the shape documented in docs/formats.md ("Asset JSON"): id, dataset_id,
 * dataset, external_id, uri, media_type, width, height, duration_ms,
 * byte_size, content_hash, metadata, embedding, text, version, sequence,
 * deleted, provenance; absent optional fields are left out. 64-bit ids and
 * sequence numbers are JSON integers: parse them into 64-bit integers.
 *
 * Threads. A store handle may be used by any number of threads at once: every
 * function that takes a handle may be called concurrently with any other,
 * including annodb_close (which waits for the calls in progress on the handle
 * to finish; calls that start after it get ANNODB_INVALID_ARGUMENT). Open a
 * store directory only once per process (a second annodb_open of the same
 * directory returns ANNODB_BUSY) and share the handle; never use a handle in a
 * child after fork(). Functions without a handle are thread-safe.
 *
 * Bad arguments. Every function checks its arguments: a NULL handle, a handle
 * that is not open (never opened or already closed), a NULL required pointer,
 * a wrong struct_size or an out-of-range enum value returns
 * ANNODB_INVALID_ARGUMENT and does nothing. Strings that are not valid UTF-8,
 * too long, or malformed JSON are refused by the engine's validation with
 * ANNODB_INVALID_ARGUMENT and a message naming the field. No C++ exception
 * ever crosses this interface (an unexpected one becomes ANNODB_INTERNAL, and
 * running out of memory is reported the same way).
 *
 * Versions. Every commit that changes records gets the next store sequence
 * number. Reads take an `as_of` sequence number: ANNODB_CURRENT reads the
 * current version, any other value reads the version that was current just
 * after that commit.
 *
 * Writers. Functions that write take an optional `const annodb_actor*` naming
 * who or what writes; it goes into the provenance of every version written.
 * NULL means the system actor "annodb".
 *
 * This header compiles as C99, C11 and C++.
 */
#ifndef ANNODB_ANNODB_H_
#define ANNODB_ANNODB_H_

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32)
#define ANNODB_EXPORT
#elif defined(__GNUC__) || defined(__clang__)
#define ANNODB_EXPORT __attribute__((visibility("default")))
#else
#define ANNODB_EXPORT
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* Status codes (same numbers as annodb::Code)                              */
/* ------------------------------------------------------------------------ */

#define ANNODB_OK 0
#define ANNODB_NOT_FOUND 1        /* no such record, dataset, snapshot, store */
#define ANNODB_INVALID_ARGUMENT 2 /* bad input; the store is unchanged */
#define ANNODB_ALREADY_EXISTS 3   /* a unique name or key is taken */
#define ANNODB_CORRUPTION 4       /* a checksum, record or index is wrong on disk */
#define ANNODB_IO_ERROR 5         /* the OS or LMDB refused an operation */
#define ANNODB_BUSY 6             /* the store is already open in this process, or locked */
#define ANNODB_INCOMPATIBLE 7     /* the store's format is newer than this library */
#define ANNODB_CONFLICT 8         /* a precondition on the current state failed */
#define ANNODB_ABORTED 9          /* the operation was cancelled */
#define ANNODB_INTERNAL 10        /* a bug in annodb (or out of memory) */

/* Reads: "the current version" as an as_of value. */
#define ANNODB_CURRENT UINT64_MAX

/* What a put or update did (the *outcome output). */
#define ANNODB_PUT_CREATED 0   /* a new record: version 1 written */
#define ANNODB_PUT_UPDATED 1   /* a new version written (also reviving a deleted asset) */
#define ANNODB_PUT_UNCHANGED 2 /* identical to the current version: nothing written */

/* ------------------------------------------------------------------------ */
/* Library                                                                  */
/* ------------------------------------------------------------------------ */

/* The library version, "MAJOR.MINOR.PATCH". Static storage: never free it.
 * Thread-safe. Never fails. */
ANNODB_EXPORT const char* annodb_version(void);

/* The name of a status code ("OK", "NotFound", "InvalidArgument", ...), or
 * "Unknown" for a number that is not a status code. Static storage: never
 * free it. Thread-safe. Never fails. */
ANNODB_EXPORT const char* annodb_status_name(int code);

/* Releases a buffer returned by any annodb function through an output
 * pointer (JSON text, error messages, FlatBuffers bytes). NULL is allowed and
 * ignored. Passing anything else is undefined behaviour, as with free().
 * Thread-safe. */
ANNODB_EXPORT void annodb_free(void* ptr);

/* ------------------------------------------------------------------------ */
/* Options and opening                                                      */
/* ------------------------------------------------------------------------ */

/* Durability of commits (annodb_options.durability); docs/ARCHITECTURE.md
 * "Durability" states each guarantee exactly. */
#define ANNODB_DURABILITY_FULL 0                 /* fsync per commit: a power loss loses nothing committed */
#define ANNODB_DURABILITY_LAST_COMMIT_MAY_DROP 1 /* a system crash may undo the last commit, never corrupts */
#define ANNODB_DURABILITY_PROCESS_CRASH_SAFE 2   /* no fsync at commit, periodic flush; a process crash loses nothing */

/* Settings for annodb_open. Always initialise with annodb_options_init, then
 * change fields: the struct may gain fields at its end in later versions, and
 * struct_size tells the library which fields the caller knows (fields past
 * struct_size take their defaults). */
typedef struct annodb_options {
  size_t struct_size;         /* sizeof(annodb_options) as the caller compiled it */
  int create_if_missing;      /* non-zero: create the directory and an empty store if none; default 0 */
  int durability;             /* ANNODB_DURABILITY_*; default ANNODB_DURABILITY_FULL */
  uint64_t initial_map_bytes; /* starting size of the memory map (it grows by itself); 0 = default 64 MiB */
  uint32_t flush_interval_ms; /* PROCESS_CRASH_SAFE: interval of the background flush; 0 = default 1000 */
  uint32_t max_readers;       /* concurrent read transactions across processes; 0 = default 256 */
} annodb_options;

/* Fills *opts with the defaults and sets opts->struct_size = struct_size.
 * Pass sizeof(annodb_options). The whole struct_size bytes are written.
 * Errors: ANNODB_INVALID_ARGUMENT when opts is NULL, struct_size is smaller
 * than the first published annodb_options or larger than 4096. Thread-safe. */
ANNODB_EXPORT int annodb_options_init(annodb_options* opts, size_t struct_size);

/* An open store. Opaque. */
typedef struct annodb_store annodb_store;

/* Opens the store in directory `path` (or, with opts->create_if_missing,
 * creates it) and sets *out to a new handle, which the caller owns and must
 * release with annodb_close.
 *   path:   directory, NUL-terminated; read only during the call.
 *   opts:   NULL means the defaults (create_if_missing 0). Read only during
 *           the call. opts->struct_size must be at least the size of the
 *           first published annodb_options; a struct_size larger than this
 *           library's annodb_options is accepted only when the unknown
 *           trailing bytes are zero.
 *   out:    required; *out is set to NULL on failure.
 *   errmsg: optional; on failure *errmsg receives a malloc'd message (free it
 *           with annodb_free), on success NULL. A previous value is
 *           overwritten, not freed. The message is also readable with
 *           annodb_last_error(NULL) by the calling thread.
 * Errors: ANNODB_INVALID_ARGUMENT (NULL path/out, empty path, bad options),
 * ANNODB_NOT_FOUND (no store and create_if_missing is 0), ANNODB_BUSY (this
 * directory is already open in this process), ANNODB_INCOMPATIBLE (written
 * by a newer annodb), ANNODB_CORRUPTION (a data.mdb that exists but cannot
 * be read: a damaged meta page, or LMDB data that is not an annodb store;
 * create_if_missing never writes over it, and the message names
 * `annodb recover`), ANNODB_IO_ERROR (permissions, disk; a full disk says
 * "no space left on device" and a failed creation removes what it made).
 * Thread-safe. */
ANNODB_EXPORT int annodb_open(const char* path, const annodb_options* opts, annodb_store** out, char** errmsg);

/* Closes the store and frees the handle. NULL and handles that are not open
 * are ignored. Waits for calls in progress on the handle in other threads to
 * finish (a call from inside a callback of a call on the same handle, such
 * as an import progress callback, is ignored: it would wait for itself);
 * after it returns the handle is invalid (calls with it return
 * ANNODB_INVALID_ARGUMENT until the address is reused by a later open) and
 * pointers from annodb_last_error(store) are dangling. Buffers returned
 * earlier through output pointers stay valid (the caller owns them). With
 * ANNODB_DURABILITY_PROCESS_CRASH_SAFE, close flushes to disk. */
ANNODB_EXPORT void annodb_close(annodb_store* store);

/* The message of the last failed call that the calling thread made on
 * `store` ("" when it has made none). With store NULL (or a handle that is
 * not open): the calling thread's last failure of a call that had no open
 * handle, such as annodb_open. Never returns NULL. The caller must not free
 * the string; it stays valid until the calling thread's next annodb call on
 * the same handle (or with NULL: the thread's next call without a handle),
 * or until the handle is closed. A handle keeps one message per thread that
 * has failed on it, until annodb_close. Thread-safe. */
ANNODB_EXPORT const char* annodb_last_error(annodb_store* store);

/* ------------------------------------------------------------------------ */
/* Actors (provenance)                                                      */
/* ------------------------------------------------------------------------ */

#define ANNODB_ACTOR_SYSTEM 0
#define ANNODB_ACTOR_PERSON 1
#define ANNODB_ACTOR_MODEL 2
#define ANNODB_ACTOR_PLUGIN 3
#define ANNODB_ACTOR_IMPORT_JOB 4

/* Who or what writes. Passed by pointer to every writing function; read only
 * during the call. Initialise with annodb_actor_init (or set struct_size to
 * sizeof(annodb_actor) yourself); NULL strings mean "none" (an empty name;
 * a system actor with no name is recorded as "annodb"). Strings must be
 * valid UTF-8 of at most 256 bytes. */
typedef struct annodb_actor {
  size_t struct_size;        /* sizeof(annodb_actor) as the caller compiled it */
  int kind;                  /* ANNODB_ACTOR_* */
  const char* name;          /* person, plugin or job name */
  const char* model_name;    /* when a model wrote the version */
  const char* model_version;
} annodb_actor;

/* Sets *actor to the system actor with no strings and actor->struct_size =
 * struct_size (pass sizeof(annodb_actor)). Errors: ANNODB_INVALID_ARGUMENT
 * when actor is NULL or struct_size is out of range (as for options).
 * Thread-safe. */
ANNODB_EXPORT int annodb_actor_init(annodb_actor* actor, size_t struct_size);

/* ------------------------------------------------------------------------ */
/* Datasets                                                                 */
/* ------------------------------------------------------------------------ */

/* Creates dataset `name` (1..200 bytes of UTF-8, no control characters) with
 * an optional `description` (NULL = none; at most 64 KiB). *id (optional)
 * receives its id. Errors: ANNODB_INVALID_ARGUMENT (bad name, NULL
 * store/name), ANNODB_ALREADY_EXISTS (the name is taken), ANNODB_IO_ERROR. */
ANNODB_EXPORT int annodb_dataset_create(annodb_store* store, const char* name, const char* description,
                                        const annodb_actor* actor, uint64_t* id);

/* Sets *id to the id of the dataset named `name`. Errors:
 * ANNODB_NOT_FOUND, ANNODB_INVALID_ARGUMENT (NULL arguments, bad name). */
ANNODB_EXPORT int annodb_dataset_find(annodb_store* store, const char* name, uint64_t* id);

/* Every dataset as a JSON array, in id order:
 *   [{"id":1,"name":"cams","description":"...","version":1,"sequence":3}, ...]
 * *out (required) receives the text, *out_len (optional) its length.
 * Free *out with annodb_free. */
ANNODB_EXPORT int annodb_dataset_list(annodb_store* store, char** out, size_t* out_len);

/* ------------------------------------------------------------------------ */
/* Assets                                                                   */
/* ------------------------------------------------------------------------ */

/* Creates or updates (an upsert keyed by external_id) one asset of dataset
 * `dataset` (a name) from `json`, one JSON object in the import line format
 * (docs/formats.md):
 *   {"external_id":"img-1","uri":"file:///d/img-1.jpg","media_type":"image/jpeg",
 *    "width":640,"height":480,"metadata":{"camera":"A","night":true},"embedding":[0.1]}
 * external_id and uri are required; unknown keys are refused. The object
 * replaces the asset's content (fields left out are cleared). *id (optional)
 * receives the asset id, *outcome (optional) ANNODB_PUT_CREATED, _UPDATED or
 * _UNCHANGED. Errors: ANNODB_INVALID_ARGUMENT (bad JSON or a field naming
 * the reason), ANNODB_NOT_FOUND (no such dataset). */
ANNODB_EXPORT int annodb_asset_put_json(annodb_store* store, const char* dataset, const char* json,
                                        const annodb_actor* actor, uint64_t* id, int* outcome);

/* Asset `id` as a JSON object, the version current at `as_of`
 * (ANNODB_CURRENT = now). Errors: ANNODB_NOT_FOUND (never existed, or
 * deleted at that point). Free *out with annodb_free. */
ANNODB_EXPORT int annodb_asset_get(annodb_store* store, uint64_t id, uint64_t as_of, char** out, size_t* out_len);

/* As annodb_asset_get, for the asset with external id `external_id` in the
 * dataset named `dataset`. Errors: ANNODB_NOT_FOUND (no such dataset or
 * asset, or deleted at that point). */
ANNODB_EXPORT int annodb_asset_get_by_external_id(annodb_store* store, const char* dataset, const char* external_id,
                                                  uint64_t as_of, char** out, size_t* out_len);

/* As annodb_asset_get, as of the named snapshot `snapshot`. Errors:
 * ANNODB_NOT_FOUND (no such snapshot, or the asset did not exist then). */
ANNODB_EXPORT int annodb_asset_get_at_snapshot(annodb_store* store, uint64_t id, const char* snapshot, char** out,
                                               size_t* out_len);

/* Changes the metadata of asset `id`, writing a new version. `json` is one
 * JSON object: each key with a value sets that metadata key (string,
 * integer, number, true/false, or {"$time":"<RFC 3339>"}), each key with null
 * removes it. *outcome (optional) receives ANNODB_PUT_UPDATED or
 * ANNODB_PUT_UNCHANGED. Errors: ANNODB_INVALID_ARGUMENT (not an object, a
 * value of another type, limits), ANNODB_NOT_FOUND (no such live asset, or a
 * key to remove is not set). */
ANNODB_EXPORT int annodb_asset_update_metadata(annodb_store* store, uint64_t id, const char* json,
                                               const annodb_actor* actor, int* outcome);

/* Deletes asset `id` by writing a tombstone version; its history stays
 * readable and putting the same external id again revives it with the same
 * id. Errors: ANNODB_NOT_FOUND (no such asset, or already deleted). */
ANNODB_EXPORT int annodb_asset_delete(annodb_store* store, uint64_t id, const annodb_actor* actor);

/* Every version of asset `id`, oldest first, as a JSON array of asset
 * objects (deletions included, with "deleted":true; each with its
 * "version", "sequence" and "provenance"). Errors: ANNODB_NOT_FOUND. */
ANNODB_EXPORT int annodb_asset_history(annodb_store* store, uint64_t id, char** out, size_t* out_len);

/* One page of the live assets of dataset `dataset` in external-id order,
 * starting after the external id `after` (NULL or "" = from the start), at
 * most `limit` of them (0 = 100):
 *   {"items":[<asset>, ...],"next":"<cursor>"}
 * "next" is the cursor to pass as `after` for the next page, or null when
 * this is the last page. Errors: ANNODB_NOT_FOUND (no such dataset). */
ANNODB_EXPORT int annodb_asset_list(annodb_store* store, const char* dataset, const char* after, size_t limit,
                                    char** out, size_t* out_len);

/* The live assets whose content hash is `hash_hex` (32 hex digits, the
 * xxh3-128 of the file's bytes), as a JSON array of asset objects in id
 * order ([] when none). Errors: ANNODB_INVALID_ARGUMENT (not 32 hex digits). */
ANNODB_EXPORT int annodb_asset_find_by_hash(annodb_store* store, const char* hash_hex, char** out,
                                            size_t* out_len);

/* A copy of the FlatBuffers payload of asset `id` as of `as_of`: a buffer
 * whose root is table annodb.fb.Asset of schema/asset.fbs (installed in
 * share/annodb/schema), for programs that read FlatBuffers directly. The
 * buffer is malloc'd (suitably aligned for FlatBuffers); free it with
 * annodb_free. out and out_len are both required. Errors: as
 * annodb_asset_get. */
ANNODB_EXPORT int annodb_asset_flatbuffer(annodb_store* store, uint64_t id, uint64_t as_of, void** out,
                                          size_t* out_len);

/* ------------------------------------------------------------------------ */
/* Bulk import                                                              */
/* ------------------------------------------------------------------------ */

/* Progress of an import, passed to annodb_import_options.progress. */
#define ANNODB_IMPORT_CHECKING 0 /* pass 1: every row parsed and validated, nothing written */
#define ANNODB_IMPORT_WRITING 1  /* pass 2: rows written in batches, one commit each */

typedef struct annodb_import_progress {
  size_t struct_size;   /* sizeof(annodb_import_progress) of this library: read fields below it only */
  int phase;            /* ANNODB_IMPORT_CHECKING or ANNODB_IMPORT_WRITING */
  uint64_t rows_done;   /* rows checked (CHECKING) or written (WRITING) so far */
  uint64_t rows_total;  /* rows in the input; known while WRITING, 0 while CHECKING */
  uint64_t bytes_done;  /* input bytes read (directory import: file bytes hashed) */
  uint64_t bytes_total; /* input size; 0 when unknown */
  uint64_t created;
  uint64_t updated;
  uint64_t unchanged;
  uint64_t batches; /* write batches done */
} annodb_import_progress;

/* Progress callback: called on the importing thread, outside any
 * transaction, after every write batch (and every batch_rows rows while
 * checking). `progress` is valid only during the call. Return 0 to go on, or
 * non-zero to cancel: the import then stops at the next batch boundary with
 * ANNODB_ABORTED (batches committed before stay; run the import again to
 * finish it). The callback may use the store through annodb functions
 * (annodb_close on it is ignored there) and must not throw or longjmp. */
typedef int (*annodb_import_progress_fn)(const annodb_import_progress* progress, void* user_data);

/* Settings for an import. Initialise with annodb_import_options_init. */
typedef struct annodb_import_options {
  size_t struct_size;   /* sizeof(annodb_import_options) as the caller compiled it */
  size_t batch_rows;    /* rows per write transaction (one commit); 0 = default 20000 */
  int create_dataset;   /* non-zero: create the dataset when missing; default 1 */
  int hash_local_files; /* non-zero: hash files named by file:// URIs (JSONL) or found (directory); default 1 */
  annodb_import_progress_fn progress; /* optional */
  void* progress_user_data;           /* passed to progress as is */
} annodb_import_options;

/* Fills *opts with the defaults and opts->struct_size = struct_size (pass
 * sizeof(annodb_import_options)). Errors: ANNODB_INVALID_ARGUMENT (NULL,
 * struct_size out of range). Thread-safe. */
ANNODB_EXPORT int annodb_import_options_init(annodb_import_options* opts, size_t struct_size);

/* What an import did. The caller sets struct_size (sizeof(annodb_import_report));
 * annodb fills the fields it knows. */
typedef struct annodb_import_report {
  size_t struct_size;
  uint64_t lines;          /* rows in the input (blank lines are not rows; directory: files) */
  uint64_t created;        /* assets created */
  uint64_t updated;        /* assets that got a new version */
  uint64_t unchanged;      /* rows identical to the stored version */
  uint64_t job_id;         /* the import job id in the provenance; 0 when nothing was written */
  uint64_t first_sequence; /* first commit of this import; 0 when none */
  uint64_t last_sequence;  /* last commit of this import; 0 when none */
  uint64_t batches;        /* write batches run */
} annodb_import_report;

/* Imports the JSON Lines file at `path` ("-" reads standard input) into the
 * dataset named `dataset`: one asset object a line in the
 * annodb_asset_put_json format, blank lines skipped. An upsert keyed by
 * external id: importing the same file twice writes nothing the second time.
 * Two passes: every line is checked first, and a bad line (not JSON, missing
 * field, wrong type, invalid UTF-8, oversized value) refuses the import with
 * ANNODB_INVALID_ARGUMENT and "line N: <reason>", with nothing written. Then
 * rows are written in batches of opts->batch_rows, one commit per batch: a
 * crash or cancel leaves the committed batches, and re-running the import
 * completes it with no duplicates. Memory does not grow with the file.
 *   opts:        NULL = defaults (dataset created when missing).
 *   actor:       NULL = the system actor; a system actor is recorded as an
 *                import job (ANNODB_ACTOR_IMPORT_JOB) with the job id.
 *   report:      optional; struct_size set by the caller. Filled as far as
 *                the import got, on failure too.
 *   report_json: optional; on success a JSON object {"lines":..,"created":..,
 *                "updated":..,"unchanged":..,"job_id":..,"first_sequence":..,
 *                "last_sequence":..,"batches":..,"dataset_created":..}; free
 *                it with annodb_free.
 *   report_len:  optional; its length.
 * Runs on the calling thread; other threads may use the store meanwhile
 * (the writer is taken once per batch). Errors: ANNODB_INVALID_ARGUMENT (a bad
 * line, bad arguments), ANNODB_NOT_FOUND (no such file, or no such dataset
 * and create_dataset 0), ANNODB_IO_ERROR (unreadable input), ANNODB_ABORTED
 * (cancelled by the progress callback). */
ANNODB_EXPORT int annodb_import_jsonl(annodb_store* store, const char* dataset, const char* path,
                                      const annodb_import_options* opts, const annodb_actor* actor,
                                      annodb_import_report* report, char** report_json, size_t* report_len);

/* As annodb_import_jsonl, reading the JSON Lines from memory: `data`, `size`
 * bytes (need not be NUL-terminated; data may be NULL when size is 0). The
 * bytes are read only during the call (spooled to a temporary file in the
 * store directory for the check pass). */
ANNODB_EXPORT int annodb_import_jsonl_buffer(annodb_store* store, const char* dataset, const char* data,
                                             size_t size, const annodb_import_options* opts,
                                             const annodb_actor* actor, annodb_import_report* report,
                                             char** report_json, size_t* report_len);

/* Imports every regular file under directory `dir` (recursively, in byte
 * order of the names; hidden files and directories skipped; symbolic links
 * to files followed, to directories not) into the dataset named `dataset`:
 * external_id = the path relative to `dir` with '/' separators, uri =
 * file:// + the absolute path, media_type from the extension, byte_size and
 * content_hash (xxh3-128) of the bytes. A file name that makes an invalid
 * asset, or an unreadable file, refuses the import before anything is
 * written. Upsert, batches, outputs and errors as annodb_import_jsonl. */
ANNODB_EXPORT int annodb_import_directory(annodb_store* store, const char* dataset, const char* dir,
                                          const annodb_import_options* opts, const annodb_actor* actor,
                                          annodb_import_report* report, char** report_json, size_t* report_len);

/* ------------------------------------------------------------------------ */
/* Versions: sequence, changefeed, snapshots                                */
/* ------------------------------------------------------------------------ */

/* Sets *out to the store's last committed sequence number. */
ANNODB_EXPORT int annodb_sequence(annodb_store* store, uint64_t* out);

/* The changefeed: commits with sequence > `since`, oldest first, at most
 * `limit` of them (0 = 1000), as a JSON array:
 *   [{"sequence":5,"time_us":...,"time":"<RFC 3339>","actor_kind":"person",
 *     "actor":"alice","job_id":0,
 *     "changes":[{"kind":"asset","op":"create","first_id":1,"last_id":3}]}, ...]
 * Pass the last "sequence" seen as `since` to follow the store. */
ANNODB_EXPORT int annodb_changes_since(annodb_store* store, uint64_t since, size_t limit, char** out,
                                       size_t* out_len);

/* Creates snapshot `name` (1..200 bytes of UTF-8, not all digits) naming the
 * current sequence; *sequence (optional) receives it. Errors:
 * ANNODB_ALREADY_EXISTS, ANNODB_INVALID_ARGUMENT. */
ANNODB_EXPORT int annodb_snapshot_create(annodb_store* store, const char* name, const annodb_actor* actor,
                                         uint64_t* sequence);

/* Deletes snapshot `name` (the versions it named stay). Errors:
 * ANNODB_NOT_FOUND. */
ANNODB_EXPORT int annodb_snapshot_delete(annodb_store* store, const char* name, const annodb_actor* actor);

/* Every snapshot as a JSON array in name order:
 *   [{"name":"v1","sequence":12,"created_us":...,"created":"<RFC 3339>"}, ...] */
ANNODB_EXPORT int annodb_snapshot_list(annodb_store* store, char** out, size_t* out_len);

/* ------------------------------------------------------------------------ */
/* Maintenance                                                              */
/* ------------------------------------------------------------------------ */

/* Store statistics as a JSON object:
 *   {"assets":N,"datasets":N,"sequence":N,"bytes":N,"map_bytes":N,
 *    "snapshots":N,"format_version":N,
 *    "live":{"dataset":N,"asset":N,...},"versions":{"dataset":N,...}}
 * "bytes" is the size of data.mdb on disk; "live" counts live records per
 * kind, "versions" superseded versions kept in history per kind. */
ANNODB_EXPORT int annodb_stats(annodb_store* store, char** out, size_t* out_len);

/* Checks every record's checksum and every index against its records.
 * Returns ANNODB_OK when the store is sound, ANNODB_CORRUPTION when a problem
 * was found (the message names the first), or another code when the check
 * could not run. `report_json` (optional) receives, whenever the check ran
 * (so also with ANNODB_CORRUPTION: the one exception to "outputs are NULL on
 * failure"), {"ok":bool,"records_checked":N,"versions_checked":N,
 * "index_entries_checked":N,"changes_checked":N,"problems":["...", ...]}
 * (at most 1000 problems listed); free it with annodb_free. Long-running: one
 * read transaction over the whole store. */
ANNODB_EXPORT int annodb_verify(annodb_store* store, char** report_json, size_t* report_len);

/* Forces written data to disk (useful with
 * ANNODB_DURABILITY_PROCESS_CRASH_SAFE). Errors: ANNODB_IO_ERROR. */
ANNODB_EXPORT int annodb_sync(annodb_store* store);

/* Writes an online, compacted copy of the store into directory `dest_dir`
 * (created if missing; must be empty). Readers and writers continue
 * meanwhile. The copy appears as data.mdb only once complete and synced; a
 * backup cut short leaves at most data.mdb.partial. Errors: ANNODB_INVALID_ARGUMENT (not empty, not a directory),
 * ANNODB_IO_ERROR. */
ANNODB_EXPORT int annodb_backup(annodb_store* store, const char* dest_dir);

/* ------------------------------------------------------------------------ */
/* Projects and ontologies                                                  */
/* ------------------------------------------------------------------------ */

/* Settings of a project (annodb_project_create, annodb_project_set_settings).
 * Initialise with annodb_project_settings_init, then change fields. A
 * struct that is all zero except struct_size is refused by the checks below
 * (overlap and lease_ttl_s must be at least 1): use the _init function. */
typedef struct annodb_project_settings {
  size_t struct_size;       /* sizeof(annodb_project_settings) as the caller compiled it */
  uint32_t overlap;         /* labels needed per asset from distinct members, 1..100; default 1 */
  uint32_t lease_ttl_s;     /* lease time-to-live in seconds, 1..604800 (7 days); default 1800 */
  double review_fraction;   /* share of labels sent to review, 0..1 (stored as a 32-bit float); default 0 */
  double gold_rate;         /* share of gold (benchmark) tasks, 0..1 (stored as a 32-bit float); default 0 */
  uint32_t max_leases;      /* leases a member may hold at once; 0 = unlimited (default) */
  const char* instructions; /* Markdown for labellers, at most 1 MiB; NULL = none (default) */
} annodb_project_settings;

/* Fills *settings with the defaults and settings->struct_size = struct_size
 * (pass sizeof(annodb_project_settings)). Errors: ANNODB_INVALID_ARGUMENT
 * (NULL, struct_size out of range). Thread-safe. */
ANNODB_EXPORT int annodb_project_settings_init(annodb_project_settings* settings, size_t struct_size);

/* Creates project `name` (1..200 bytes of UTF-8) labelling the datasets named
 * in the array `datasets` (`dataset_count` names, at least one, no
 * duplicates; an array rather than a comma list because dataset names may
 * contain commas) against the ontology `ontology_json`, the ontology file
 * format of docs/formats.md:
 *   {"features":[{"name":"weather","kind":"classification","options":["sunny","rain"]},
 *                {"name":"vehicle","kind":"bbox","classes":["car","truck"]},
 *                {"name":"road","kind":"polygon"},{"name":"caption","kind":"text"}]}
 * Kinds: classification, multi_classification (both need "options"), bbox,
 * polygon, polyline, point, mask, span ("classes" optional), text. Options
 * and classes are ordered; an optional "required": true is recorded with the
 * feature.
 *   settings: NULL = the defaults of annodb_project_settings_init.
 *   id:       optional; receives the project id.
 * Errors: ANNODB_INVALID_ARGUMENT (NULL arguments, a bad name, an ontology
 * problem naming the feature, settings out of range), ANNODB_NOT_FOUND (no
 * such dataset), ANNODB_ALREADY_EXISTS (the name is taken). */
ANNODB_EXPORT int annodb_project_create(annodb_store* store, const char* name, const char* const* datasets,
                                        size_t dataset_count, const char* ontology_json,
                                        const annodb_project_settings* settings, const annodb_actor* actor,
                                        uint64_t* id);

/* Sets *id to the id of the project named `name`. Errors: ANNODB_NOT_FOUND,
 * ANNODB_INVALID_ARGUMENT. */
ANNODB_EXPORT int annodb_project_find(annodb_store* store, const char* name, uint64_t* id);

/* Project `name` as of `as_of` (ANNODB_CURRENT = now) as a JSON object:
 *   {"id":1,"name":"street","datasets":["cams"],"dataset_ids":[1],
 *    "ontology":{"features":[{"name":"weather","kind":"classification",
 *                             "options":["sunny","rain"]}, ...]},
 *    "settings":{"overlap":1,"lease_ttl_s":1800,"review_fraction":0,
 *                "gold_rate":0,"max_leases":0,"instructions":""},
 *    "version":2,"sequence":9,"provenance":{...}}
 * "ontology" is in the ontology file format (it can be passed back to
 * annodb_project_extend_ontology after appending to it). Errors:
 * ANNODB_NOT_FOUND (no such project, or it did not exist at as_of). Free
 * *out with annodb_free. */
ANNODB_EXPORT int annodb_project_get(annodb_store* store, const char* name, uint64_t as_of, char** out,
                                     size_t* out_len);

/* Every project as a JSON array of annodb_project_get objects, in id order. */
ANNODB_EXPORT int annodb_project_list(annodb_store* store, char** out, size_t* out_len);

/* Replaces every setting of project `name` with *settings (a new project
 * version; fields are not merged: start from annodb_project_settings_init
 * and set each field, reading the current values from annodb_project_get
 * when only some should change). *outcome (optional) receives
 * ANNODB_PUT_UPDATED or ANNODB_PUT_UNCHANGED. Errors:
 * ANNODB_INVALID_ARGUMENT (NULL settings, bad struct_size, out of range),
 * ANNODB_NOT_FOUND. */
ANNODB_EXPORT int annodb_project_set_settings(annodb_store* store, const char* name,
                                              const annodb_project_settings* settings, const annodb_actor* actor,
                                              int* outcome);

/* Replaces the ontology of project `name` with `ontology_json` (the whole
 * ontology, in the format of annodb_project_create), which must only add to
 * the current one: new features at any position, options and classes
 * appended; nothing removed, reordered or changed in kind, so existing labels
 * stay valid. A new project version. *outcome (optional) receives
 * ANNODB_PUT_UPDATED or ANNODB_PUT_UNCHANGED. Errors:
 * ANNODB_INVALID_ARGUMENT (bad JSON, a removal or change naming the
 * feature), ANNODB_NOT_FOUND. */
ANNODB_EXPORT int annodb_project_extend_ontology(annodb_store* store, const char* name, const char* ontology_json,
                                                 const annodb_actor* actor, int* outcome);

/* Adds dataset `dataset` to project `name` (a new project version; datasets
 * can be added, never removed). *outcome (optional): ANNODB_PUT_UPDATED, or
 * ANNODB_PUT_UNCHANGED when the project already has it. Errors:
 * ANNODB_NOT_FOUND (no such project or dataset). */
ANNODB_EXPORT int annodb_project_add_dataset(annodb_store* store, const char* name, const char* dataset,
                                             const annodb_actor* actor, int* outcome);

/* ------------------------------------------------------------------------ */
/* Members                                                                  */
/* ------------------------------------------------------------------------ */

/* Roles are passed and returned as strings: "labeler", "reviewer", "admin". */

/* Adds member `name` (1..200 bytes of UTF-8 without white space, commas or
 * '@': comments mention members as @name) with role `role` and an optional
 * `display_name` (NULL = none). The member is active. *id (optional)
 * receives the member id. Errors: ANNODB_INVALID_ARGUMENT (bad name, unknown
 * role), ANNODB_ALREADY_EXISTS. */
ANNODB_EXPORT int annodb_member_add(annodb_store* store, const char* name, const char* role,
                                    const char* display_name, const annodb_actor* actor, uint64_t* id);

/* Member `name` as a JSON object:
 *   {"id":1,"name":"alice","display_name":"Alice","role":"labeler","active":true,"version":1}
 * Errors: ANNODB_NOT_FOUND. */
ANNODB_EXPORT int annodb_member_get(annodb_store* store, const char* name, char** out, size_t* out_len);

/* Every member (active or not) as a JSON array of annodb_member_get objects,
 * in id order. */
ANNODB_EXPORT int annodb_member_list(annodb_store* store, char** out, size_t* out_len);

/* Activates (active non-zero) or deactivates member `name`: a new version
 * (ANNODB_PUT_UPDATED), or ANNODB_PUT_UNCHANGED in *outcome (optional) when
 * it already is. A deactivated member keeps its labels and comments and can
 * still be mentioned. Errors: ANNODB_NOT_FOUND. */
ANNODB_EXPORT int annodb_member_set_active(annodb_store* store, const char* name, int active,
                                           const annodb_actor* actor, int* outcome);

/* Changes the role of member `name` ("labeler", "reviewer", "admin"); a new
 * version or ANNODB_PUT_UNCHANGED as for annodb_member_set_active. Errors:
 * ANNODB_INVALID_ARGUMENT (unknown role), ANNODB_NOT_FOUND. */
ANNODB_EXPORT int annodb_member_set_role(annodb_store* store, const char* name, const char* role,
                                         const annodb_actor* actor, int* outcome);

/* ------------------------------------------------------------------------ */
/* Labels                                                                   */
/* ------------------------------------------------------------------------ */

/* Label JSON. Inputs use the label import line of docs/formats.md:
 *   {"project":"street","dataset":"cams","asset":"img-0001","author":"alice",
 *    "source":"human","status":"submitted","time_spent_ms":5300,
 *    "annotations":[{"feature":"weather","value":"rain"},
 *                   {"feature":"tags","values":["wet","night"]},
 *                   {"feature":"vehicle","class":"car","bbox":[10,20,100,50],"score":0.91},
 *                   {"feature":"road","polygon":[[0,0],[10,0],[10,10]]},
 *                   {"feature":"lane","polyline":[[0,0],[5,5]]},
 *                   {"feature":"head","point":[3,4]},
 *                   {"feature":"sky","mask":{"size":[480,640],"counts":"<COCO RLE>"}},
 *                   {"feature":"entity","class":"PER","span":[0,4]},
 *                   {"feature":"caption","text":"a red car"}]}
 * "asset" is the asset's external id in "dataset". A model prediction has
 * "source":"model" and "model":{"name":..,"version":..} instead of
 * "author". "status" defaults to "submitted". Outputs are the same object
 * with names resolved, plus "id", "project_id", "asset_id", "version",
 * "sequence", "deleted" and "provenance" (those are ignored when an output
 * is passed back in). Every annotation is checked against the project's
 * ontology and the asset (its width/height and text, where known): an
 * invalid one is refused with ANNODB_INVALID_ARGUMENT and a message naming
 * it ("annotations[2] (vehicle): box width and height must be positive"),
 * and nothing is written. */

/* Creates or updates the label of one JSON line (an upsert keyed by
 * (project, asset, source, author or model name and version): putting the
 * same label twice writes nothing the second time). *id (optional)
 * receives the label id, *outcome (optional) ANNODB_PUT_CREATED, _UPDATED or
 * _UNCHANGED. Errors: ANNODB_INVALID_ARGUMENT (bad JSON, an invalid
 * annotation, the asset not in a dataset of the project), ANNODB_NOT_FOUND
 * (no such project, dataset, asset or member). */
ANNODB_EXPORT int annodb_label_put_json(annodb_store* store, const char* json, const annodb_actor* actor,
                                        uint64_t* id, int* outcome);

/* Writes a new version of label `id` from a JSON object with any of
 * "annotations" (replaces them all), "status" and "time_spent_ms"; keys left
 * out keep their current values. The label's project, asset, author, source
 * and model cannot change: those keys (and the output-only ones) may appear,
 * so an edited annodb_label_get output can be passed back, but a different
 * value is refused. *outcome (optional): ANNODB_PUT_UPDATED or
 * ANNODB_PUT_UNCHANGED. Errors: ANNODB_INVALID_ARGUMENT (bad JSON, unknown
 * key, invalid annotation, an identity key changed), ANNODB_NOT_FOUND (no
 * such live label). */
ANNODB_EXPORT int annodb_label_update_json(annodb_store* store, uint64_t id, const char* json,
                                           const annodb_actor* actor, int* outcome);

/* Deletes label `id` (a tombstone version; its history stays readable, and
 * the same author may label the asset again). Errors: ANNODB_NOT_FOUND (no
 * such label, or already deleted). */
ANNODB_EXPORT int annodb_label_delete(annodb_store* store, uint64_t id, const annodb_actor* actor);

/* Label `id` as of `as_of` (ANNODB_CURRENT = now) as a label JSON object.
 * Errors: ANNODB_NOT_FOUND (never existed, or deleted at that point). */
ANNODB_EXPORT int annodb_label_get(annodb_store* store, uint64_t id, uint64_t as_of, char** out, size_t* out_len);

/* Every version of label `id`, oldest first, as a JSON array of label
 * objects (a deletion included, with "deleted":true). Errors:
 * ANNODB_NOT_FOUND. */
ANNODB_EXPORT int annodb_label_history(annodb_store* store, uint64_t id, char** out, size_t* out_len);

/* Which labels annodb_label_list returns. Initialise with
 * annodb_label_filter_init (all zero except struct_size = no filter). */
typedef struct annodb_label_filter {
  size_t struct_size;      /* sizeof(annodb_label_filter) as the caller compiled it */
  uint64_t asset_id;       /* only labels of this asset; 0 = any */
  const char* dataset;     /* with external_id: only labels of that asset (by name); NULL = any */
  const char* external_id; /* ... */
  const char* author;      /* only labels by this member (name); NULL = any */
  const char* status;      /* "draft", "submitted", "accepted" or "rejected"; NULL = any */
} annodb_label_filter;

/* Fills *filter with "no filter" and filter->struct_size = struct_size (pass
 * sizeof(annodb_label_filter)). Errors: ANNODB_INVALID_ARGUMENT. Thread-safe. */
ANNODB_EXPORT int annodb_label_filter_init(annodb_label_filter* filter, size_t struct_size);

/* One page of the live labels of project `project` matching `filter` (NULL
 * = all), as {"items":[<label object>, ...],"next":<label id>|null}: by
 * asset then id, or by id when filtering by author or status; only labels
 * after label id `after` (0 = from the start), at most `limit` (0 = 1000).
 * "next" is the `after` of the next page, or null when this page holds the
 * rest: a page is never cut silently. An asset is given by id or by dataset + external_id (both: they
 * must name the same asset). Errors: ANNODB_INVALID_ARGUMENT (external_id
 * without dataset, unknown status, bad struct_size), ANNODB_NOT_FOUND (no
 * such project, asset or member; `after` names no label). */
ANNODB_EXPORT int annodb_label_list(annodb_store* store, const char* project, const annodb_label_filter* filter,
                                    uint64_t after, size_t limit, char** out, size_t* out_len);

/* Imports the JSON Lines file at `path` ("-" reads standard input): one label
 * JSON line per line, blank lines skipped; labels and model predictions
 * alike. All or nothing for bad lines: every line is parsed, resolved and
 * validated first, and a bad one refuses the import with "line N: <reason>"
 * (naming the annotation) and nothing written. Then lines are written in
 * batches of `batch_rows` (0 = 20000), one commit each. An upsert: importing
 * the same file twice writes nothing new. A system actor (or NULL) is
 * recorded as an import job.
 *   report_json: optional; on success {"lines":..,"created":..,"updated":..,
 *                "unchanged":..,"job_id":..,"batches":..}. Free with annodb_free.
 * Errors: ANNODB_INVALID_ARGUMENT (a bad line), ANNODB_NOT_FOUND (no such
 * file, or an unknown name in a line), ANNODB_IO_ERROR (the file cannot be
 * read). */
ANNODB_EXPORT int annodb_label_import_jsonl(annodb_store* store, const char* path, size_t batch_rows,
                                            const annodb_actor* actor, char** report_json, size_t* report_len);

/* Imports a Label Studio JSON export (an array of tasks with "data",
 * "annotations[].result[]" and "predictions[].result[]") at `path` into
 * project `project` and dataset `dataset`, both created when missing (the
 * ontology then inferred from the results). Tasks become assets (external
 * id "ls-<task id>", or the task data value under `external_id_key`; URI the
 * data value under `data_key`, or under the key the results' source/to_name
 * point at; NULL or "" for either = that default), annotations human labels
 * by members named after
 * their e-mail (created when missing), predictions model labels
 * ("label-studio", version = model_version). Result types: choices,
 * rectanglelabels, polygonlabels, keypointlabels, labels (text spans),
 * textarea, taxonomy; others are skipped and counted. One write transaction:
 * a bad task refuses the import ("task 7: annotations[0].result[2]: ...")
 * and writes nothing; re-importing the same file changes nothing.
 *   report_json: optional; on success {"tasks":..,"assets_created":..,
 *                "labels":..,"predictions":..,"unchanged":..,
 *                "members_created":..,"cancelled_skipped":..,
 *                "results_skipped":..,"project_created":bool,
 *                "skipped_types":{"relation":1,...}}.
 * Errors: ANNODB_INVALID_ARGUMENT (not a Label Studio export, a bad task),
 * ANNODB_NOT_FOUND (no such file), ANNODB_IO_ERROR (the file cannot be read). */
ANNODB_EXPORT int annodb_label_studio_import(annodb_store* store, const char* path, const char* project,
                                             const char* dataset, const char* data_key, const char* external_id_key,
                                             const annodb_actor* actor, char** report_json, size_t* report_len);

/* Options of annodb_label_studio_import_opts. Initialise with
 * annodb_ls_import_options_init (every field zero/NULL except struct_size),
 * then set what differs from the defaults. */
typedef struct annodb_ls_import_options {
  size_t struct_size;              /* sizeof(annodb_ls_import_options) as the caller compiled it */
  const char* project;             /* required */
  const char* dataset;             /* required */
  const char* data_key;            /* NULL/"" = the data key the results' source/to_name point at */
  const char* external_id_key;     /* NULL/"" = "ls-<task id>" ("ls-index-<position>" without an id) */
  const char* default_author;      /* member for annotations without completed_by; NULL/"" = "ls-unknown-author" */
  int clamp_boxes;                 /* non-zero: clamp boxes at most clamp_tolerance_percent outside the image */
  double clamp_tolerance_percent;  /* percent of the image's width/height, (0, 10]; 0 = the default 2 */
  int same_author_versions;        /* non-zero: several annotations by one author on a task become versions of
                                      one label (file order); 0: they refuse the import */
} annodb_ls_import_options;

/* Sets *opts to the defaults: zeroes struct_size bytes and stores
 * struct_size. Errors: ANNODB_INVALID_ARGUMENT (NULL, or a struct_size
 * smaller than the first version of the struct or absurdly large). */
ANNODB_EXPORT int annodb_ls_import_options_init(annodb_ls_import_options* opts, size_t struct_size);

/* As annodb_label_studio_import, with the options above; the file may also
 * hold one task object. Rules (docs/formats.md, "Label Studio"): tasks
 * without "id" take their position; annotations without "completed_by" are
 * by default_author; a result without original_width/original_height takes
 * the size from another result of the task or the stored asset; a stored
 * asset keeps its fields and gains only a missing size or text. Every error
 * names the task, annotation, result, field and value.
 *   report_json: as annodb_label_studio_import's, plus "earlier_versions",
 *                "default_author_used" and "boxes_clamped". Each annotation
 *                and prediction of the file is counted once in "labels",
 *                "predictions", "earlier_versions", "unchanged" or
 *                "cancelled_skipped".
 * Errors: as annodb_label_studio_import; ANNODB_INVALID_ARGUMENT also for
 * bad options. */
ANNODB_EXPORT int annodb_label_studio_import_opts(annodb_store* store, const char* path,
                                                  const annodb_ls_import_options* opts, const annodb_actor* actor,
                                                  char** report_json, size_t* report_len);

/* ------------------------------------------------------------------------ */
/* Comments and issues                                                      */
/* ------------------------------------------------------------------------ */

/* Comment JSON (outputs):
 *   {"id":7,"thread_id":7,"reply":false,"project":"street","project_id":1,
 *    "dataset":"cams","asset":"img-0001","asset_id":3,"label_id":5,
 *    "annotation":2,"region":{"box":[x,y,w,h]} or {"point":[x,y]},
 *    "author":"alice","body":"Is this a @bob truck?","mentions":["bob"],
 *    "issue":"open","version":1,"sequence":12,"deleted":false,"provenance":{...}}
 * "thread_id" is the id of the thread's first comment (its own id for a
 * first comment); "project"/"project_id", "label_id", "annotation" and
 * "region" are left out when not set. "issue" is "none", "open",
 * "resolved" or "reopened" (replies: "none"). Bodies are Markdown, 1 byte
 * to 64 KiB of UTF-8; every @name in a body must name a member (an unknown
 * one is ANNODB_NOT_FOUND and nothing is written) and puts an unread entry
 * in that member's inbox. */

/* What a new thread is about. Initialise with annodb_comment_target_init
 * (all zero except struct_size is the same). Give asset_id, or label_id
 * (the asset and project are the label's), optionally one annotation of the
 * label, optionally a region of the asset (a box or a point, not both;
 * inside the asset's width/height where known). */
typedef struct annodb_comment_target {
  size_t struct_size;        /* sizeof(annodb_comment_target) as the caller compiled it */
  uint64_t asset_id;         /* the asset; 0 with label_id set */
  uint64_t label_id;         /* a label; 0 = on the asset */
  int has_annotation;        /* non-zero: about annotation annotation_index of the label */
  uint32_t annotation_index; /* 0-based index into the label's "annotations" */
  int has_region_box;        /* non-zero: at box (box_x, box_y, box_w, box_h), pixels */
  double box_x, box_y, box_w, box_h;
  int has_region_point;      /* non-zero: at point (point_x, point_y), pixels */
  double point_x, point_y;
  const char* project;       /* project name: required for an issue on an asset; with a
                                label it must be the label's project (NULL = the label's) */
  int issue;                 /* non-zero: the thread is an issue (open) */
} annodb_comment_target;

/* Fills *target with zeros and target->struct_size = struct_size (pass
 * sizeof(annodb_comment_target)). Errors: ANNODB_INVALID_ARGUMENT. Thread-safe. */
ANNODB_EXPORT int annodb_comment_target_init(annodb_comment_target* target, size_t struct_size);

/* Starts a thread about *target with a first comment by member `author`
 * (a name) with Markdown `body`. *id (optional) receives the comment id,
 * which is also the thread id. Errors: ANNODB_INVALID_ARGUMENT (empty or
 * oversized body, neither asset_id nor label_id, annotation index out of
 * range or without a label, region outside the asset or both kinds, an
 * issue without a project, a project unlike the label's),
 * ANNODB_NOT_FOUND (no such asset, label, project, author or mentioned
 * member). */
ANNODB_EXPORT int annodb_comment_add(annodb_store* store, const annodb_comment_target* target, const char* author,
                                     const char* body, const annodb_actor* actor, uint64_t* id);

/* Replies to thread `thread_id` (the id of its first comment). *id
 * (optional) receives the reply's id. Errors: ANNODB_NOT_FOUND (no such
 * thread or member), ANNODB_INVALID_ARGUMENT (thread_id names a reply, bad
 * body). */
ANNODB_EXPORT int annodb_comment_reply(annodb_store* store, uint64_t thread_id, const char* author,
                                       const char* body, const annodb_actor* actor, uint64_t* id);

/* Replaces the body of comment `id` (a new version; earlier bodies stay in
 * its history). New mentions land in inboxes. Errors: as annodb_comment_reply. */
ANNODB_EXPORT int annodb_comment_edit(annodb_store* store, uint64_t id, const char* body,
                                      const annodb_actor* actor);

/* Resolves the issue `thread_id` (open or reopened -> resolved), or reopens
 * it (resolved -> reopened); each a new version of the thread's first
 * comment with provenance. Errors: ANNODB_CONFLICT (already in that state),
 * ANNODB_INVALID_ARGUMENT (not an issue), ANNODB_NOT_FOUND. */
ANNODB_EXPORT int annodb_comment_resolve(annodb_store* store, uint64_t thread_id, const annodb_actor* actor);
ANNODB_EXPORT int annodb_comment_reopen(annodb_store* store, uint64_t thread_id, const annodb_actor* actor);

/* Comment `id` as of `as_of` (ANNODB_CURRENT = now) as a comment JSON
 * object. Errors: ANNODB_NOT_FOUND. */
ANNODB_EXPORT int annodb_comment_get(annodb_store* store, uint64_t id, uint64_t as_of, char** out,
                                     size_t* out_len);

/* Every version of comment `id`, oldest first (edits, resolves, reopens), as
 * a JSON array of comment objects. Errors: ANNODB_NOT_FOUND. */
ANNODB_EXPORT int annodb_comment_history(annodb_store* store, uint64_t id, char** out, size_t* out_len);

/* Threads, oldest first, as a JSON array of their first comments, each with
 * "replies": the number of replies. Give exactly one of: `asset_id` (threads
 * on the asset, its labels' included), `label_id` (threads on the label), or
 * `project` (a name; the project's issues, which requires open_issues_only).
 * open_issues_only non-zero: only issues that are open or reopened. Errors:
 * ANNODB_INVALID_ARGUMENT (none or several given, project without
 * open_issues_only), ANNODB_NOT_FOUND (no such project). */
ANNODB_EXPORT int annodb_comment_threads(annodb_store* store, uint64_t asset_id, uint64_t label_id,
                                         const char* project, int open_issues_only, char** out, size_t* out_len);

/* The comments of thread `thread_id`: the first, then the replies, oldest
 * first, as a JSON array of comment objects. Errors: ANNODB_NOT_FOUND. */
ANNODB_EXPORT int annodb_comment_thread(annodb_store* store, uint64_t thread_id, char** out, size_t* out_len);

/* The inbox of member `member` (a name): the comments that mention them,
 * newest first, as a JSON array of comment objects, each with "read":
 * true/false. unread_only non-zero: only the unread ones. Errors:
 * ANNODB_NOT_FOUND (no such member). */
ANNODB_EXPORT int annodb_inbox(annodb_store* store, const char* member, int unread_only, char** out,
                               size_t* out_len);

/* Marks comment `comment_id` read in the inbox of member `member`. Marking
 * a read entry again is fine. Errors: ANNODB_NOT_FOUND (no such member, or
 * the comment is not in their inbox). */
ANNODB_EXPORT int annodb_inbox_mark_read(annodb_store* store, const char* member, uint64_t comment_id,
                                         const annodb_actor* actor);

/* ------------------------------------------------------------------------ */
/* NDJSON export and restore                                                */
/* ------------------------------------------------------------------------ */

/* What an export covers. Initialise with annodb_export_options_init (all
 * zero except struct_size = everything, now). */
typedef struct annodb_export_options {
  size_t struct_size;   /* sizeof(annodb_export_options) as the caller compiled it */
  const char* project;  /* only this project's labels and its datasets' assets; NULL = all */
  const char* dataset;  /* only this dataset's assets; NULL = all */
  const char* snapshot; /* read as of this named snapshot; NULL = see as_of */
  uint64_t as_of;       /* read as of this sequence; 0 or ANNODB_CURRENT = now */
} annodb_export_options;

/* Fills *opts with the defaults and opts->struct_size = struct_size (pass
 * sizeof(annodb_export_options)). Errors: ANNODB_INVALID_ARGUMENT. Thread-safe. */
ANNODB_EXPORT int annodb_export_options_init(annodb_export_options* opts, size_t struct_size);

/* Exports the store (or the part `opts` selects; NULL = all, now) as NDJSON
 * (docs/formats.md, "NDJSON export": a header line, then members, datasets,
 * projects, and one line per asset with its labels, comments and
 * provenance) into the file `path`, from one read transaction (a consistent
 * snapshot; writers go on meanwhile), streaming with memory independent of
 * the store's size. The file is written beside `path` and renamed over it
 * when complete: a failed export leaves no partial file (and an existing
 * file at `path` as it was). Exporting the same state twice gives the same
 * bytes.
 *   report_json: optional; on success {"lines":..,"assets":..,"labels":..,
 *                "comments":..,"sequence":..} ("sequence": the state exported).
 * Errors: ANNODB_INVALID_ARGUMENT (both snapshot and as_of, as_of in the
 * future, bad struct_size), ANNODB_NOT_FOUND (no such project, dataset or
 * snapshot), ANNODB_IO_ERROR (the file cannot be written). */
ANNODB_EXPORT int annodb_export_ndjson(annodb_store* store, const char* path, const annodb_export_options* opts,
                                       char** report_json, size_t* report_len);

/* As annodb_export_ndjson, into a malloc'd buffer: *out (required) receives
 * the NDJSON text (NUL-terminated; the whole export is held in memory),
 * *out_len (optional) its length. Free both outputs with annodb_free. */
ANNODB_EXPORT int annodb_export_ndjson_buffer(annodb_store* store, const annodb_export_options* opts, char** out,
                                              size_t* out_len, char** report_json, size_t* report_len);

/* Restores an NDJSON export from the file `path` ("-" reads standard input)
 * with every record's provenance as exported. Members, datasets, projects,
 * assets and labels with the same names (keys) are updated (an upsert);
 * comments have no names and are always added, so restore into an empty
 * store: that reproduces the exported state, and exporting it again gives
 * the same bytes. The whole file
 * is restored in one write transaction (one commit): a bad line refuses the
 * restore with "line N: <reason>" and writes nothing. The versions written
 * keep the exported provenance (who, when); the commit itself is recorded as
 * the import job "restore".
 *   report_json: optional; on success {"lines":..,"members":..,
 *                "datasets":..,"projects":..,"assets":..,"labels":..,
 *                "comments":..}.
 * Errors: ANNODB_INVALID_ARGUMENT (a bad line), ANNODB_NOT_FOUND (no such
 * file), ANNODB_IO_ERROR (the file cannot be read). */
ANNODB_EXPORT int annodb_restore_ndjson(annodb_store* store, const char* path, char** report_json,
                                        size_t* report_len);

/* ==== The labelling queue (docs/queue.md) ====
 *
 * A project's queue hands tasks (one per queued asset) to members as leases.
 * Each lease has an id, a fencing token strictly increasing across the
 * store, and an expiry (now + the project's lease TTL). Overlap, lease TTL,
 * review fraction, gold rate and max_leases are the project's settings
 * (annodb_project_settings). Every queue call first returns expired leases to their
 * tasks, so no background thread is needed. A call presenting a lease that
 * is expired, released, skipped or already submitted fails with
 * ANNODB_CONFLICT and changes nothing; `token` 0 skips the token check, a
 * non-zero token must equal the lease's (ANNODB_CONFLICT otherwise).
 * All functions are thread-safe on one handle. Each is atomic on its own;
 * the per-labeller calls (lease, renew, heartbeat, release, skip, submit,
 * review) use group commit: calls made at the same time from several threads
 * of one process share one commit (one fsync at ANNODB_DURABILITY_FULL), and
 * a refused call leaves the others' work intact. */

/* Queues the live assets of dataset `dataset` (a name) for project
 * `project` (a name) as one batch with `priority` (higher is leased first;
 * finite). where_json (optional) is a JSON object of metadata conditions,
 * {"camera": "A", "night": "true"}: an asset is queued only when each key's
 * value, as text (numbers and booleans in their JSON spelling), equals the
 * given string. Assets already queued stay as they are; assets with a gold
 * label become gold tasks; existing submitted human labels count toward
 * overlap. report_json (optional) receives {"batch":..,"added":..,
 * "already_queued":..,"gold":..,"filtered_out":..}.
 * Errors: ANNODB_NOT_FOUND (project, dataset), ANNODB_INVALID_ARGUMENT
 * (dataset not in the project, non-finite priority, bad where_json). */
ANNODB_EXPORT int annodb_queue_add(annodb_store* store, const char* project, const char* dataset, double priority,
                                   const char* where_json, const annodb_actor* actor, char** report_json,
                                   size_t* report_len);

/* Sets the priority of asset `asset_id`'s task. Errors: ANNODB_NOT_FOUND
 * (project, or the asset is not queued), ANNODB_INVALID_ARGUMENT. */
ANNODB_EXPORT int annodb_queue_set_priority(annodb_store* store, const char* project, uint64_t asset_id,
                                            double priority, const annodb_actor* actor);
/* Sets the priority of every task of batch `batch_id`; *changed (optional)
 * receives how many changed. Errors: ANNODB_NOT_FOUND (no such batch). */
ANNODB_EXPORT int annodb_queue_set_batch_priority(annodb_store* store, const char* project, uint64_t batch_id,
                                                  double priority, const annodb_actor* actor, uint64_t* changed);
/* Sets each label-stage task's priority to 1 - the lowest annotation score
 * of model `model_name`'s label on it (model_version NULL = any version):
 * lowest confidence first. Tasks without such a label keep theirs. */
ANNODB_EXPORT int annodb_queue_priority_from_model(annodb_store* store, const char* project, const char* model_name,
                                                   const char* model_version, const annodb_actor* actor,
                                                   uint64_t* changed);

#define ANNODB_LANE_AUTO 0   /* by role: labeler -> label, reviewer -> review, admin -> review then label */
#define ANNODB_LANE_LABEL 1  /* label-stage tasks, with gold tasks at the project's gold rate */
#define ANNODB_LANE_REVIEW 2 /* review-stage tasks (never one whose labels include the member's) */

/* Leases up to n (1..1000) tasks of `project` to member `member` (names) in
 * one transaction, highest priority first (ties: queued first). *out
 * (required) receives a JSON array, one object per lease: {"lease":..,
 * "token":..,"asset_id":..,"external_id":..,"dataset":..,"stage":"label"|
 * "review","gold":..,"granted_us":..,"expires_us":..}; the array is empty
 * when there is no eligible work or the member holds max_leases.
 * Errors: ANNODB_NOT_FOUND (project, member), ANNODB_INVALID_ARGUMENT (n,
 * lane), ANNODB_CONFLICT (the member is not active). */
ANNODB_EXPORT int annodb_lease(annodb_store* store, const char* project, const char* member, uint32_t n, int lane,
                               char** out, size_t* out_len);
/* Extends lease `lease_id` to now + the project's TTL; *expires_us
 * (optional) receives the new expiry (microseconds since the epoch). */
ANNODB_EXPORT int annodb_lease_renew(annodb_store* store, uint64_t lease_id, uint64_t token, int64_t* expires_us);
/* Renews every active lease of `member`; *renewed (optional) counts them. */
ANNODB_EXPORT int annodb_heartbeat(annodb_store* store, const char* member, uint32_t* renewed);
/* Gives the task back; the member may be offered it again. */
ANNODB_EXPORT int annodb_lease_release(annodb_store* store, uint64_t lease_id, uint64_t token);
/* Gives the task back with `reason` (1..1000 bytes, recorded on the lease);
 * the member is never offered that task again. */
ANNODB_EXPORT int annodb_lease_skip(annodb_store* store, uint64_t lease_id, uint64_t token, const char* reason);
/* Submits the member's label for a label lease: annotations_json is a JSON
 * array of annotations as in the label import format (docs/formats.md), or
 * a label object whose "annotations" are taken (project, asset and author
 * come from the lease). The label and the task's progress are written in one
 * transaction. *label_id (optional) receives the label's id.
 * Errors: ANNODB_CONFLICT (not an active label lease), ANNODB_INVALID_ARGUMENT
 * (bad JSON or an invalid label: nothing written, the lease stays active). */
ANNODB_EXPORT int annodb_lease_submit(annodb_store* store, uint64_t lease_id, uint64_t token,
                                      const char* annotations_json, uint64_t time_spent_ms, uint64_t* label_id);
/* Finishes a review lease by accepting: the task's labels become accepted
 * and the task done. Errors: ANNODB_CONFLICT (not an active review lease). */
ANNODB_EXPORT int annodb_review_accept(annodb_store* store, uint64_t lease_id, uint64_t token);
/* Finishes a review lease by rejecting labels (label_ids[0..n_labels), or
 * every submitted label of the task when n_labels is 0) with `comment`
 * (required), which opens an issue thread on each rejected label; the task
 * returns to the label stage for rework. *issues_json (optional) receives a
 * JSON array of the issue (comment) ids. Errors: ANNODB_INVALID_ARGUMENT (no
 * comment, a label that is not one of the task's), ANNODB_CONFLICT. */
ANNODB_EXPORT int annodb_review_reject(annodb_store* store, uint64_t lease_id, uint64_t token, const char* comment,
                                       const uint64_t* label_ids, size_t n_labels, char** issues_json,
                                       size_t* issues_len);
/* One lease as JSON: {"lease","project_id","asset_id","member_id","stage",
 * "token","granted_us","expires_us","state":"active"|"submitted"|"released"|
 * "skipped"|"expired","expired":bool,"gold","skip_reason"}. A read. */
ANNODB_EXPORT int annodb_lease_get_json(annodb_store* store, uint64_t lease_id, char** out, size_t* out_len);
/* The queue's counts (a lookup, kept current by every queue write):
 * {"tasks","ready","label_stage","leased","review","review_leased","done",
 * "gold","expired_unreclaimed","members":[{"member","leased","submitted",
 * "skipped","released","expired","reviewed"}]}. A read. */
ANNODB_EXPORT int annodb_queue_stats_json(annodb_store* store, const char* project, char** out, size_t* out_len);
/* One asset's task: {"asset_id","stage","gold","priority","batch",
 * "submitted","holders","reviewing"}. ANNODB_NOT_FOUND when not queued. */
ANNODB_EXPORT int annodb_queue_task_json(annodb_store* store, const char* project, uint64_t asset_id, char** out,
                                         size_t* out_len);

/* ==== Consensus (docs/consensus.md) ====
 *
 * Agreement between the labels of a project, kept current in the write
 * transaction of every label change (views per asset and per member), plus
 * statistics and aggregated labels computed on demand. A label counts when
 * its source is human or gold and its status submitted or accepted; gold
 * labels count only against human ones (the benchmark). Stores written
 * before the views existed get them built automatically by the first label
 * change of each project (or by annodb_consensus_rebuild).
 *
 * Common to the functions below: `project` is a project name (required;
 * ANNODB_NOT_FOUND when there is none); JSON outputs go to *out (required)
 * and *out_len (optional) and are freed with annodb_free; every function is
 * thread-safe on one handle; reads are one read transaction (a consistent
 * snapshot). Scores are numbers in [0, 1] at 1e-9 resolution; a score that
 * does not exist yet (fewer than two human labels) is JSON null. */

/* The view of asset `asset_id` in `project` as a JSON object (the shape of
 * `annodb consensus --json`): {"asset_id","external_id","score" (null when
 * no pair yet),"labels" (counted human labels),"gold_labels","pairs" (human
 * pairs),"best_label_id" (null when none),"features":{name:{"score",
 * "pairs"}},"label_ids":[counted human and gold labels]}. A lookup, not a
 * recomputation. Errors: ANNODB_NOT_FOUND (no such project, or the asset
 * has no counted label in it), ANNODB_INVALID_ARGUMENT (asset_id 0, NULL
 * project or out). */
ANNODB_EXPORT int annodb_consensus_asset_json(annodb_store* store, const char* project, uint64_t asset_id, char** out,
                                              size_t* out_len);

/* One page of the views of the project's assets with a counted label, as
 * {"items":[<the objects above>],"next":<asset id>|null} in asset id order,
 * only assets after `after` (0 = from the start), at most `limit`
 * (1..100000; 0 = 1000). "next" is the `after` of the next page, or null
 * when this page holds the rest. Errors: ANNODB_NOT_FOUND,
 * ANNODB_INVALID_ARGUMENT (limit). */
ANNODB_EXPORT int annodb_consensus_list_json(annodb_store* store, const char* project, uint64_t after, size_t limit,
                                             char** out, size_t* out_len);

/* One page of the assets whose score is strictly below `below` (finite,
 * compared at 1e-9 resolution), lowest score first (ties: by asset id), as
 * {"items":[<the objects above>],"next":<asset id>|null}: where the
 * labellers disagree most. The page starts after asset `after` (0 = from
 * the start; else the "next" of the previous page: the list continues after
 * that asset's current score and id) and holds at most `limit` (1..100000;
 * 0 = 1000); "next" is null when it holds the rest. Assets without a score
 * are not listed. A scan of the project's views. Errors: ANNODB_NOT_FOUND
 * (no such project; `after` has no view in it), ANNODB_INVALID_ARGUMENT
 * (below not finite, limit, `after` has no score). */
ANNODB_EXPORT int annodb_consensus_below_json(annodb_store* store, const char* project, double below, uint64_t after,
                                              size_t limit, char** out, size_t* out_len);

/* Each member's agreement in `project` as a JSON array of {"member",
 * "member_id","labels" (counted human labels),"pairs" (pairs with other
 * members' labels on shared assets),"agreement" (mean over those, null
 * without pairs),"gold_pairs","gold_agreement" (the benchmark score: mean
 * agreement with others' gold labels, null without)}, by member id: every
 * member with counted labels, or (member not NULL) just that member, who
 * gets a row of zeros and nulls when they have no counted label.
 * Errors: ANNODB_NOT_FOUND (no such project or member). */
ANNODB_EXPORT int annodb_member_agreement_json(annodb_store* store, const char* project, const char* member,
                                               char** out, size_t* out_len);

/* Agreement statistics (annodb_agreement_options.metric). */
#define ANNODB_METRIC_KRIPPENDORFF_ALPHA 0
#define ANNODB_METRIC_FLEISS_KAPPA 1
#define ANNODB_METRIC_COHEN_KAPPA 2
#define ANNODB_METRIC_PERCENT_AGREEMENT 3
/* Krippendorff's alpha levels (annodb_agreement_options.level). */
#define ANNODB_LEVEL_NOMINAL 0
#define ANNODB_LEVEL_ORDINAL 1  /* the ontology's option order */
#define ANNODB_LEVEL_INTERVAL 2 /* options read as numbers */
#define ANNODB_LEVEL_RATIO 3    /* options read as numbers >= 0 */
/* Cohen's kappa weights (annodb_agreement_options.weights). */
#define ANNODB_WEIGHTS_NONE 0
#define ANNODB_WEIGHTS_LINEAR 1
#define ANNODB_WEIGHTS_QUADRATIC 2

/* What annodb_agreement_json computes. Initialise with
 * annodb_agreement_options_init (Krippendorff's alpha, nominal, every
 * classification feature). */
typedef struct annodb_agreement_options {
  size_t struct_size;   /* sizeof(annodb_agreement_options) as the caller compiled it */
  int metric;           /* ANNODB_METRIC_*; default KRIPPENDORFF_ALPHA */
  int level;            /* ANNODB_LEVEL_*; only with KRIPPENDORFF_ALPHA (otherwise it must stay NOMINAL) */
  const char* feature;  /* one classification feature (a name); NULL = every classification feature */
  const char* member_a; /* COHEN_KAPPA: the two members (names), required and distinct; */
  const char* member_b; /*   with other metrics they must be NULL */
  int weights;          /* ANNODB_WEIGHTS_*; only with COHEN_KAPPA (otherwise it must stay NONE) */
} annodb_agreement_options;

/* Fills *opts with the defaults and opts->struct_size = struct_size (pass
 * sizeof(annodb_agreement_options)). Errors: ANNODB_INVALID_ARGUMENT.
 * Thread-safe. */
ANNODB_EXPORT int annodb_agreement_options_init(annodb_agreement_options* opts, size_t struct_size);

/* Computes an agreement statistic over the counted human labels of
 * `project`, per classification feature (opts NULL = the defaults). *out
 * receives a JSON array with one object per feature, in ontology order (the
 * shape of `annodb agreement --json`): {"metric":"krippendorff_alpha"|
 * "fleiss_kappa"|"cohen_kappa"|"percent_agreement","feature","value"
 * (null when the statistic is undefined for the data, e.g. every label the
 * same; "note" says why),"units" (assets that entered it),"labels" (values
 * that entered it),"units_left_out" (Fleiss: assets with another number of
 * labels than the one used; Cohen: assets only one of the two labelled),
 * "level" (alpha only),"members":[a,b] and "weights" (Cohen only),"note"
 * (when there is something to say: what was left out, why undefined)}.
 * Computed on demand in one read transaction (alpha, Fleiss and percent
 * agreement from the view's value counts; Cohen from the labels).
 * Errors: ANNODB_INVALID_ARGUMENT (metric, level or weights out of range;
 * level or weights or members given for a metric that does not use them;
 * Cohen without two distinct members; a feature that is not a
 * classification; interval/ratio with an option that is not a number;
 * bad struct_size), ANNODB_NOT_FOUND (project, feature, member). */
ANNODB_EXPORT int annodb_agreement_json(annodb_store* store, const char* project,
                                        const annodb_agreement_options* opts, char** out, size_t* out_len);

/* Aggregation methods (annodb_aggregate_options.method). */
#define ANNODB_AGGREGATE_MAJORITY_VOTE 0 /* classification features; ties to the first option */
#define ANNODB_AGGREGATE_DAWID_SKENE 1   /* classification features; EM with per-member confusion matrices */
#define ANNODB_AGGREGATE_BOX_CLUSTERS 2  /* bbox features; IoU clusters with a quorum of members */

/* How annodb_aggregate_json aggregates. Initialise with
 * annodb_aggregate_options_init (majority vote, every feature, the
 * documented defaults of each method, no saving). Every field is checked,
 * whichever the method. */
typedef struct annodb_aggregate_options {
  size_t struct_size;      /* sizeof(annodb_aggregate_options) as the caller compiled it */
  int method;              /* ANNODB_AGGREGATE_*; default MAJORITY_VOTE */
  const char* feature;     /* one feature (a name); NULL = every feature the method applies to */
  uint32_t max_iterations; /* dawid_skene: iteration cap, 1..100000; default 100 */
  double tolerance;        /* dawid_skene: stop when no posterior moves more, finite >= 0; default 1e-6 */
  double smoothing;        /* dawid_skene: pseudo-count added to every confusion and class count (a
                            * symmetric Dirichlet prior), finite 0..1000; default 0 = the plain
                            * maximum-likelihood EM of Dawid & Skene and crowd-kit. A positive value is
                            * not neutral: it can flip labels when members are indistinguishable
                            * (docs/consensus.md, "The smoothing prior"). */
  double iou_threshold;    /* box_clusters: IoU to join a cluster, in (0, 1]; default 0.5 */
  uint32_t quorum;         /* box_clusters: members needed per cluster, 1..10000; default 2 */
  int class_agnostic;      /* box_clusters: non-zero = boxes of different classes may cluster; default 0 */
  int save;                /* non-zero: also store the results as labels with source "aggregate"; default 0 */
} annodb_aggregate_options;

/* Fills *opts with the defaults and opts->struct_size = struct_size (pass
 * sizeof(annodb_aggregate_options)). Errors: ANNODB_INVALID_ARGUMENT.
 * Thread-safe. */
ANNODB_EXPORT int annodb_aggregate_options_init(annodb_aggregate_options* opts, size_t struct_size);

/* Aggregates the counted human labels of `project` into one answer per
 * (asset, feature) (opts NULL = the defaults). *out receives a JSON object
 * {"method","parameters" (the method and its parameters, as stored in the
 * provenance),"items":[{"asset_id","external_id","feature","value" (the
 * option, or the class for boxes),"confidence" (vote share, posterior, or
 * mean IoU of the cluster),"answers" (labels or boxes behind it),"box":{"x",
 * "y","w","h"} (box_clusters only)}],"members":[{"member","member_id",
 * "feature","answers","skill" (majority vote: share of answers equal to the
 * majority; else null),"confusion" (dawid_skene: rows = true option, columns
 * = answered option, in ontology order; else [])}],"notes":[...]} with
 * items by (feature in ontology order, asset id; boxes: cluster order).
 * With opts->save, the same computation and the writing happen in one write
 * transaction: one label per asset with source "aggregate", model name
 * "annodb.<method>" and model version = "parameters" (an upsert: an
 * unchanged result writes nothing), whose provenance names `actor` (NULL =
 * the system actor), the model and the note "aggregate: <parameters>"; the
 * object then also has "stored": the number of labels created or updated.
 * Aggregate labels never count in the views. Errors: ANNODB_INVALID_ARGUMENT
 * (method or a parameter out of range, a feature of the wrong kind, no
 * feature of the kind, bad struct_size, a bad actor), ANNODB_NOT_FOUND
 * (project, feature). A failed call writes nothing. */
ANNODB_EXPORT int annodb_aggregate_json(annodb_store* store, const char* project,
                                        const annodb_aggregate_options* opts, const annodb_actor* actor, char** out,
                                        size_t* out_len);

/* Rewrites the consensus views of `project` from its labels, in one write
 * transaction (it is never needed in normal operation: the views are kept
 * current, and a store written before they existed is brought up to date by
 * the first label change of each project). Errors: ANNODB_NOT_FOUND. */
ANNODB_EXPORT int annodb_consensus_rebuild(annodb_store* store, const char* project, const annodb_actor* actor);

/* Compares the stored consensus views of `project` with a recomputation
 * from its labels (what annodb_verify does for every project). ANNODB_OK
 * when they agree; ANNODB_CORRUPTION, with a message naming the first
 * difference, otherwise. A read. Errors: ANNODB_NOT_FOUND. */
ANNODB_EXPORT int annodb_consensus_check(annodb_store* store, const char* project);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* ANNODB_ANNODB_H_ */
