/*
 * embed.c: a program that embeds annodb through its C ABI (annodb/annodb.h).
 *
 *   embed STORE-DIR
 *
 * Opens (creating it if needed) the store in STORE-DIR, creates a dataset,
 * puts a few assets from JSON, takes a snapshot, updates one asset's
 * metadata, reads that asset as of the snapshot and as it is now, and prints
 * its history. Every error is reported with annodb_last_error and ends the
 * program with status 1. Running it again on the same directory works too:
 * the puts are upserts (reported as unchanged) and the snapshot is replaced.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "annodb/annodb.h"

/* Runs an annodb call; on failure prints what failed and why, and jumps to
 * the cleanup at the end of main. */
#define CHECK(call)                                                                               \
  do {                                                                                            \
    int rc_ = (call);                                                                             \
    if (rc_ != ANNODB_OK) {                                                                       \
      fprintf(stderr, "embed: %s failed: %s: %s\n", #call, annodb_status_name(rc_),               \
              annodb_last_error(store));                                                          \
      goto done;                                                                                  \
    }                                                                                             \
  } while (0)

static const char* outcome_name(int outcome) {
  switch (outcome) {
    case ANNODB_PUT_CREATED: return "created";
    case ANNODB_PUT_UPDATED: return "updated";
    case ANNODB_PUT_UNCHANGED: return "unchanged";
    default: return "?";
  }
}

int main(int argc, char** argv) {
  static const char* const kAssets[] = {
      "{\"external_id\": \"img-0001\", \"uri\": \"file:///data/img-0001.jpg\", \"media_type\": \"image/jpeg\","
      " \"width\": 640, \"height\": 480, \"metadata\": {\"camera\": \"A\", \"night\": true, \"lux\": 12.5}}",
      "{\"external_id\": \"img-0002\", \"uri\": \"file:///data/img-0002.jpg\", \"media_type\": \"image/jpeg\","
      " \"width\": 640, \"height\": 480, \"metadata\": {\"camera\": \"B\", \"night\": false}}",
      "{\"external_id\": \"img-0003\", \"uri\": \"file:///data/img-0003.png\", \"media_type\": \"image/png\","
      " \"width\": 1024, \"height\": 768, \"metadata\": {\"camera\": \"A\"}, \"embedding\": [0.1, 0.2, 0.3]}",
  };
  annodb_store* store = NULL;
  char* err = NULL;
  char* json = NULL;
  int status = 1;
  uint64_t dataset_id = 0, first_id = 0, snap_seq = 0, seq = 0;
  size_t i, len = 0;
  int outcome = 0, rc;
  annodb_options opts;
  annodb_actor alice;

  if (argc != 2) {
    fprintf(stderr, "usage: %s STORE-DIR\n", argv[0]);
    return 2;
  }
  printf("annodb %s\n", annodb_version());

  /* Open, creating the store when the directory holds none. */
  CHECK(annodb_options_init(&opts, sizeof opts));
  opts.create_if_missing = 1;
  opts.durability = ANNODB_DURABILITY_LAST_COMMIT_MAY_DROP;
  rc = annodb_open(argv[1], &opts, &store, &err);
  if (rc != ANNODB_OK) {
    fprintf(stderr, "embed: cannot open %s: %s: %s\n", argv[1], annodb_status_name(rc), err);
    annodb_free(err);
    return 1;
  }

  /* Who writes: a person, recorded in the provenance of every version. */
  CHECK(annodb_actor_init(&alice, sizeof alice));
  alice.kind = ANNODB_ACTOR_PERSON;
  alice.name = "alice";

  /* A dataset (found instead when this is a second run). */
  rc = annodb_dataset_create(store, "photos", "street photos", &alice, &dataset_id);
  if (rc == ANNODB_ALREADY_EXISTS) rc = annodb_dataset_find(store, "photos", &dataset_id);
  CHECK(rc);
  printf("dataset photos: id %llu\n", (unsigned long long)dataset_id);

  /* Assets from JSON: an upsert keyed by external_id. */
  for (i = 0; i < sizeof kAssets / sizeof kAssets[0]; ++i) {
    uint64_t id = 0;
    CHECK(annodb_asset_put_json(store, "photos", kAssets[i], &alice, &id, &outcome));
    if (i == 0) first_id = id;
    printf("put asset %llu: %s\n", (unsigned long long)id, outcome_name(outcome));
  }

  /* A snapshot names the current sequence number. */
  rc = annodb_snapshot_create(store, "before-review", NULL, &snap_seq);
  if (rc == ANNODB_ALREADY_EXISTS) {
    CHECK(annodb_snapshot_delete(store, "before-review", NULL));
    rc = annodb_snapshot_create(store, "before-review", NULL, &snap_seq);
  }
  CHECK(rc);
  printf("snapshot before-review: sequence %llu\n", (unsigned long long)snap_seq);

  /* Update one asset's metadata: set "reviewed", change "lux", remove "night". */
  CHECK(annodb_asset_update_metadata(store, first_id, "{\"reviewed\": true, \"lux\": 30.0, \"night\": null}", &alice,
                                     &outcome));
  CHECK(annodb_sequence(store, &seq));
  printf("updated asset %llu: %s (store at sequence %llu)\n", (unsigned long long)first_id, outcome_name(outcome),
         (unsigned long long)seq);

  /* The same asset as of the snapshot, and now. */
  CHECK(annodb_asset_get_at_snapshot(store, first_id, "before-review", &json, &len));
  printf("as of before-review: %s\n", json);
  annodb_free(json);
  json = NULL;
  CHECK(annodb_asset_get(store, first_id, ANNODB_CURRENT, &json, &len));
  printf("current:             %s\n", json);
  annodb_free(json);
  json = NULL;

  /* Every version, with provenance. */
  CHECK(annodb_asset_history(store, first_id, &json, &len));
  printf("history (%lu bytes): %s\n", (unsigned long)len, json);
  annodb_free(json);
  json = NULL;

  /* A misuse, to show the error path: an asset without its required uri. */
  rc = annodb_asset_put_json(store, "photos", "{\"external_id\": \"broken\"}", NULL, NULL, NULL);
  if (rc != ANNODB_INVALID_ARGUMENT) {
    fprintf(stderr, "embed: expected INVALID_ARGUMENT for an asset without uri, got %s\n", annodb_status_name(rc));
    goto done;
  }
  printf("refused as expected: %s\n", annodb_last_error(store));

  status = 0;
done:
  annodb_free(json);
  annodb_close(store);
  return status;
}
