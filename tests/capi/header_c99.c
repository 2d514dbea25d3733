/* Compiled (not run) by tests/capi_example.cmake as strict C99 with
 * -Wall -Wextra -Werror -pedantic: annodb.h must be plain C. Takes the address
 * of every function so that a missing or misdeclared one fails to build. */
#include "annodb/annodb.h"

typedef void (*annodb_any_fn)(void);

annodb_any_fn annodb_header_c99_functions[] = {
    (annodb_any_fn)annodb_version,
    (annodb_any_fn)annodb_status_name,
    (annodb_any_fn)annodb_free,
    (annodb_any_fn)annodb_options_init,
    (annodb_any_fn)annodb_open,
    (annodb_any_fn)annodb_close,
    (annodb_any_fn)annodb_last_error,
    (annodb_any_fn)annodb_actor_init,
    (annodb_any_fn)annodb_dataset_create,
    (annodb_any_fn)annodb_dataset_find,
    (annodb_any_fn)annodb_dataset_list,
    (annodb_any_fn)annodb_asset_put_json,
    (annodb_any_fn)annodb_asset_get,
    (annodb_any_fn)annodb_asset_get_by_external_id,
    (annodb_any_fn)annodb_asset_get_at_snapshot,
    (annodb_any_fn)annodb_asset_update_metadata,
    (annodb_any_fn)annodb_asset_delete,
    (annodb_any_fn)annodb_asset_history,
    (annodb_any_fn)annodb_asset_list,
    (annodb_any_fn)annodb_asset_find_by_hash,
    (annodb_any_fn)annodb_asset_flatbuffer,
    (annodb_any_fn)annodb_import_options_init,
    (annodb_any_fn)annodb_ls_import_options_init,
    (annodb_any_fn)annodb_label_studio_import_opts,
    (annodb_any_fn)annodb_import_jsonl,
    (annodb_any_fn)annodb_import_jsonl_buffer,
    (annodb_any_fn)annodb_import_directory,
    (annodb_any_fn)annodb_sequence,
    (annodb_any_fn)annodb_changes_since,
    (annodb_any_fn)annodb_snapshot_create,
    (annodb_any_fn)annodb_snapshot_delete,
    (annodb_any_fn)annodb_snapshot_list,
    (annodb_any_fn)annodb_stats,
    (annodb_any_fn)annodb_verify,
    (annodb_any_fn)annodb_sync,
    (annodb_any_fn)annodb_backup,
};

uint64_t annodb_header_c99_current(void) { return ANNODB_CURRENT; }

int annodb_header_c99_structs(void) {
  annodb_options o;
  annodb_actor a;
  annodb_import_options io;
  annodb_import_report r;
  annodb_import_progress p;
  annodb_ls_import_options lo;
  o.struct_size = sizeof o;
  a.struct_size = sizeof a;
  io.struct_size = sizeof io;
  r.struct_size = sizeof r;
  p.struct_size = sizeof p;
  lo.struct_size = sizeof lo;
  return (int)(o.struct_size + a.struct_size + io.struct_size + r.struct_size + p.struct_size + lo.struct_size);
}
