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
 * by a newer annodb), ANNODB_CORRUPTION (not an annodb store),
 * ANNODB_IO_ERROR (permissions, disk). Thread-safe. */
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
 *                "last_sequence":..,"batches":..}; free it with annodb_free.
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
 * meanwhile. Errors: ANNODB_INVALID_ARGUMENT (not empty, not a directory),
 * ANNODB_IO_ERROR. */
ANNODB_EXPORT int annodb_backup(annodb_store* store, const char* dest_dir);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* ANNODB_ANNODB_H_ */
