#!/usr/bin/env bash
# annodb end-to-end demo: a real run of the `annodb` program on an embedded
# store in a temporary directory.
#
#   bash scripts/demo.sh            (after building build/release; scripts/run.sh demo does both)
#
# Environment:
#   ANNODB_BIN        the annodb program (default: build/release/tools/annodb/annodb)
#   ANNODB_DEMO_ROWS  how many assets to generate (default: 1000)
#   ANNODB_DEMO_KEEP  set to 1 to keep the temporary directory afterwards
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="${ANNODB_BIN:-$ROOT/build/release/tools/annodb/annodb}"
ROWS="${ANNODB_DEMO_ROWS:-1000}"

if [ ! -x "$BIN" ]; then
  echo "demo: $BIN is missing; build first (bash scripts/run.sh build)" >&2
  exit 1
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/annodb-demo.XXXXXX")"
cleanup() {
  if [ "${ANNODB_DEMO_KEEP:-0}" = "1" ]; then
    echo "demo: kept $WORK"
  else
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT

STORE="$WORK/store"
export ANNODB_STORE="$STORE"   # every command below uses this store
export ANNODB_ACTOR="demo"     # the default actor recorded in provenance

STEP=0
step() {
  STEP=$((STEP + 1))
  printf '\n=== %d. %s ===\n' "$STEP" "$*"
}
# run ARGS...: shows the command, then runs it.
run() {
  printf '$ annodb'
  printf ' %q' "$@"
  printf '\n'
  "$BIN" "$@"
}

step "Generate $ROWS assets as JSON Lines"
# Every 100th asset repeats the content hash of the asset before it, so that
# `duplicates` has something to find.
awk -v n="$ROWS" 'BEGIN {
  for (i = 1; i <= n; i++) {
    cam = substr("ABCD", (i % 4) + 1, 1)
    night = (i % 3 == 0) ? "true" : "false"
    h = (i % 100 == 0) ? i - 1 : i
    printf "{\"external_id\":\"img-%05d\",\"uri\":\"s3://demo-bucket/street/img-%05d.jpg\",", i, i
    printf "\"media_type\":\"image/jpeg\",\"width\":1280,\"height\":720,\"byte_size\":%d,", 150000 + i * 37
    printf "\"content_hash\":\"%032x\",", h
    printf "\"metadata\":{\"camera\":\"%s\",\"night\":%s,\"lux\":%.1f,\"frame\":%d,", cam, night, (i % 500) / 10.0, i
    printf "\"taken\":{\"$time\":\"2024-05-%02dT%02d:%02d:00Z\"}},", (i % 28) + 1, i % 24, i % 60
    printf "\"embedding\":[%.3f,%.3f,%.3f]}\n", (i % 7) / 7.0, (i % 11) / 11.0, (i % 13) / 13.0
  }
}' > "$WORK/assets.jsonl"
echo "wrote $(wc -l < "$WORK/assets.jsonl") lines to assets.jsonl; the first one:"
head -n 1 "$WORK/assets.jsonl"

step "Create the store and a dataset"
run init
run dataset create street --description "Street camera frames"
run dataset list

step "Import the assets (one job, committed in batches)"
run import --dataset street "$WORK/assets.jsonl"

step "Import the same file again: an upsert, so nothing changes"
run import --dataset street "$WORK/assets.jsonl"

step "A file with a bad line is refused with its line number; the store is unchanged"
{ head -n 5 "$WORK/assets.jsonl"; echo '{"external_id": "broken", "uri": 42}'; } > "$WORK/bad.jsonl"
rc=0
run import --dataset street "$WORK/bad.jsonl" || rc=$?
if [ "$rc" -eq 0 ]; then
  echo "demo: the bad import was accepted" >&2
  exit 1
fi
echo "(exit status $rc: refused as expected)"
run log --since 2

step "Read one asset, by id and by external id (--json for programs)"
run get 42
run get --dataset street --external-id img-00042 --json

step "Update it as alice: typed metadata, a new version with provenance"
run --as alice update --dataset street --external-id img-00042 \
  --set lux=12.5 --set reviewed=true --set note="glare on the lens" --set-time checked=2024-06-01T09:30:00Z --unset night

step "History of the asset: every version, who wrote it, what changed"
run history 42

step "Create a snapshot, then update again"
run snapshot create before-relabel
run --as bob update 42 --set lux=30.5 --set camera=Z
run snapshot list

step "As-of read by the snapshot versus the current version"
echo "-- as of snapshot before-relabel:"
run get 42 --as-of before-relabel
echo "-- current:"
run get 42

step "As-of read by sequence number (the import's commit)"
run get 42 --as-of 2 --json

step "Delete an asset: a tombstone version, history stays readable"
run delete 43
rc=0
run get 43 || rc=$?
if [ "$rc" -eq 0 ]; then
  echo "demo: a deleted asset was still readable" >&2
  exit 1
fi
echo "(exit status $rc: deleted)"
run history 43

step "List a page of the dataset, find by content hash, duplicates"
run list --dataset street --limit 5
run find --hash "$(printf '%032x' 99)"
run duplicates --dataset street | tail -n 4

step "The changefeed (log), then only what came after the import"
run log
run log --since 2 --json

step "Statistics"
run stats
run stats --json

step "Verify every checksum and index"
run verify

step "Online backup, then read from the copy"
run backup "$WORK/backup"
run --store "$WORK/backup" get 42 --json
run --store "$WORK/backup" verify

step "A labelling project: ontology, members"
cat > "$WORK/ontology.json" <<'JSON'
{"features": [
  {"name": "weather", "kind": "classification", "options": ["sunny", "rain", "snow"]},
  {"name": "vehicle", "kind": "bbox", "classes": ["car", "truck"]},
  {"name": "road", "kind": "polygon"},
  {"name": "caption", "kind": "text"}]}
JSON
run project create street-labels --ontology "$WORK/ontology.json" --dataset street --overlap 3
run member add alice
run member add bob
run member add carol --role reviewer
run project show street-labels

step "Import labels from three labellers and model predictions (JSON Lines)"
awk 'BEGIN {
  split("alice bob carol", who, " "); split("sunny rain snow", wx, " ")
  for (i = 1; i <= 20; i++) for (w = 1; w <= 3; w++) {
    v = wx[((i + (w == 3 && i % 4 == 0)) % 3) + 1]
    printf "{\"project\":\"street-labels\",\"dataset\":\"street\",\"asset\":\"img-%05d\",\"author\":\"%s\",", i, who[w]
    printf "\"annotations\":[{\"feature\":\"weather\",\"value\":\"%s\"},", v
    printf "{\"feature\":\"vehicle\",\"class\":\"car\",\"bbox\":[%d,%d,200,120]}]}\n", 100 + w, 200 + i
  }
  for (i = 1; i <= 20; i++) {
    printf "{\"project\":\"street-labels\",\"dataset\":\"street\",\"asset\":\"img-%05d\",\"source\":\"model\",", i
    printf "\"model\":{\"name\":\"detector\",\"version\":\"1.0\"},\"annotations\":[{\"feature\":\"vehicle\",\"class\":\"car\",\"bbox\":[98,%d,205,118],\"score\":0.8}]}\n", 199 + i
  }
}' > "$WORK/labels.jsonl"
run label import "$WORK/labels.jsonl"
run label import "$WORK/labels.jsonl"
run label list --project street-labels --dataset street --asset img-00004

step "A bad label line is refused with its line number; nothing is written"
printf '%s\n' '{"project":"street-labels","dataset":"street","asset":"img-00001","author":"alice","annotations":[{"feature":"road","polygon":[[0,0],[10,10],[10,0],[0,10]]}]}' > "$WORK/bad-labels.jsonl"
set +e
"$BIN" label import "$WORK/bad-labels.jsonl"
rc=$?
set -e
echo "(exit status $rc)"

step "Move a Label Studio project over with one command"
run label import-ls "$ROOT/tests/labels/fixtures/label_studio_export.json" --project from-label-studio --dataset ls-tasks
run project show from-label-studio

step "An issue on an annotation, a mention, the inbox, a reply, resolve"
FIRST_LABEL="$("$BIN" label list --project street-labels --dataset street --asset img-00004 --json | head -n 1 | grep -o '[{,]"id":[0-9]*' | head -n 1 | grep -o '[0-9]*$')"
run --as carol comment add --label "$FIRST_LABEL" --annotation 1 --issue --region 100,200,50,50 --text "Is this a **truck**? @alice please check"
run inbox --member alice --unread
run --as alice comment reply 1 --text "A car: the cab is too short for a truck."
run comment list --project street-labels
run --as carol comment resolve 1
run inbox --member alice --mark-read

step "NDJSON export from a snapshot, restore into an empty store, export again: same bytes"
run snapshot create labels-v1
run export --format ndjson --snapshot labels-v1 --out "$WORK/export.ndjson"
run --as alice label update "$FIRST_LABEL" --status accepted
run export --format ndjson --snapshot labels-v1 --out "$WORK/export-again.ndjson"
cmp "$WORK/export.ndjson" "$WORK/export-again.ndjson" && echo "snapshot export is byte-for-byte stable"
run --store "$WORK/restored" init
run --store "$WORK/restored" restore "$WORK/export.ndjson"
run --store "$WORK/restored" export --format ndjson --out "$WORK/export-restored.ndjson"
cmp "$WORK/export.ndjson" "$WORK/export-restored.ndjson" && echo "restored store exports the same bytes"
head -c 700 "$WORK/export.ndjson"; echo " ..."
run verify

step "A queue: overlap 2, half the work reviewed, 10% gold tasks"
run project create street-queue --ontology "$WORK/ontology.json" --dataset street --overlap 2 \
  --review-fraction 0.5 --gold-rate 0.1 --lease-ttl 600
run member add dave
# Gold answers for three assets, written by the reviewer.
for i in 00012 00024 00036; do
  printf '{"project":"street-queue","dataset":"street","asset":"img-%s","author":"carol","source":"gold","annotations":[{"feature":"weather","value":"sunny"}]}\n' "$i"
done > "$WORK/gold.jsonl"
run label import "$WORK/gold.jsonl"
# Camera A at night: 83 assets.
run queue add --project street-queue --dataset street --where camera=A --where night=true
run queue priority --project street-queue --dataset street --external-id img-00996 --priority 10
run queue stats --project street-queue

# lease_ids <json lines>: the lease ids, one per line.
lease_ids() { grep -o '"lease":[0-9]*' | grep -o '[0-9]*$' || true; }
lease_field() { grep -o "\"$2\":\"*[^,\"]*" <<< "$1" | head -n 1 | sed 's/.*:"*//'; }

printf '[{"feature":"weather","value":"sunny"}]' > "$WORK/sunny.json"
printf '[{"feature":"weather","value":"rain"}]' > "$WORK/rain.json"
step "A stale lease: its submit is refused and changes nothing"
run project set street-queue --lease-ttl 1
STALE="$("$BIN" lease --project street-queue --member dave -n 1 --json --stage label | lease_ids | head -n 1)"
if [ -n "$STALE" ]; then
  sleep 1.2
  printf '$ annodb submit --lease %s --label sunny.json   (1.2 s later)\n' "$STALE"
  if "$BIN" submit --lease "$STALE" --label "$WORK/sunny.json"; then echo "demo: a stale submit was accepted" >&2; exit 1; fi
fi
run project set street-queue --lease-ttl 600

step "Three labellers work the queue (each lease is one transaction)"
run lease --project street-queue --member alice -n 3
run leases --member alice
for id in $("$BIN" leases --member alice --json | lease_ids); do run submit --lease "$id" --label "$WORK/sunny.json"; done
SUBMITS=0; SKIPS=0
for round in $(seq 1 60); do
  GOT=0
  for who in alice bob dave; do
    out="$("$BIN" lease --project street-queue --member "$who" -n 4 --json)"
    while IFS= read -r line; do
      [ -z "$line" ] && continue
      GOT=$((GOT + 1))
      id="$(lease_field "$line" lease)"
      ext="$(lease_field "$line" external_id)"
      n="${ext#img-}"; n=$((10#$n))
      if [ "$who" = dave ] && [ $((n % 13)) -eq 0 ]; then
        "$BIN" skip --lease "$id" --reason "too dark to tell" > /dev/null; SKIPS=$((SKIPS + 1)); continue
      fi
      # bob reads every fifth frame as rain: the disagreement consensus will see.
      label="$WORK/sunny.json"
      if [ "$who" = bob ] && [ $((n % 5)) -eq 0 ]; then label="$WORK/rain.json"; fi
      "$BIN" submit --lease "$id" --label "$label" > /dev/null; SUBMITS=$((SUBMITS + 1))
    done <<< "$out"
  done
  [ "$GOT" -eq 0 ] && break
done
echo "labellers submitted $SUBMITS labels and skipped $SKIPS tasks"
run queue stats --project street-queue

step "The reviewer accepts, or rejects with a comment that opens an issue"
REJECTED=0
for round in $(seq 1 20); do
  out="$("$BIN" lease --project street-queue --member carol -n 5 --json)"
  [ -z "$out" ] && break
  while IFS= read -r line; do
    [ -z "$line" ] && continue
    id="$(lease_field "$line" lease)"
    ext="$(lease_field "$line" external_id)"
    n="${ext#img-}"; n=$((10#$n))
    if [ "$REJECTED" -eq 0 ] && [ $((n % 5)) -eq 0 ]; then
      run review reject --lease "$id" --comment "Wet road and spray: this is rain. Please look again."
      REJECTED=1
    else
      "$BIN" review accept --lease "$id" > /dev/null
    fi
  done <<< "$out"
done
run comment list --project street-queue

step "Rework: the rejected labels' authors take the task again"
for who in alice bob dave; do
  for id in $("$BIN" lease --project street-queue --member "$who" -n 5 --json | lease_ids); do
    "$BIN" submit --lease "$id" --label "$WORK/rain.json" > /dev/null
  done
done
for id in $("$BIN" lease --project street-queue --member carol -n 5 --json | lease_ids); do
  "$BIN" review accept --lease "$id" > /dev/null
done
run queue stats --project street-queue

step "Consensus of the labellers: where they disagree, who drifts, agreement, aggregated labels"
# The views were kept current by every submit above; reading them is a lookup.
# bob's rain on every fifth frame shows up as the disagreements, lowest first.
run consensus --project street-queue --below 1 --limit 5
run member agreement --project street-queue
run agreement --project street-queue --metric krippendorff_alpha --feature weather
run agreement --project street-queue --metric fleiss_kappa --feature weather
# Dawid-Skene weighs each labeller by their estimated confusion matrix.
printf '$ annodb aggregate --project street-queue --method dawid_skene --feature weather | head -n 8\n'
"$BIN" aggregate --project street-queue --method dawid_skene --feature weather > "$WORK/dawid_skene.txt"
head -n 8 "$WORK/dawid_skene.txt"
echo "... ($(wc -l < "$WORK/dawid_skene.txt") lines: one per asset, then each member's confusion matrix)"
# Store the majority vote as labels with source aggregate, then show one.
printf '$ annodb aggregate --project street-queue --method majority_vote --feature weather --save | tail -n 1\n'
"$BIN" aggregate --project street-queue --method majority_vote --feature weather --save > "$WORK/majority.txt"
tail -n 1 "$WORK/majority.txt"
AGG_ASSET="$("$BIN" consensus --project street-queue --below 1 --limit 1 --json | grep -o '"external_id":"[^"]*"' | head -n 1 | sed 's/.*:"//; s/"$//')"
run label list --project street-queue --dataset street --asset "$AGG_ASSET"
run verify

printf '\n=== demo finished: store in %s (removed on exit unless ANNODB_DEMO_KEEP=1) ===\n' "$WORK"
