#include "queue_lmdb.h"

#include <chrono>
#include <cstring>
#include <stdexcept>
#include <string>

#include "labelgen.h"

namespace bench {
namespace {

void Check(int rc, const char* what) {
  if (rc != MDB_SUCCESS) throw std::runtime_error(std::string("lmdb: ") + what + ": " + mdb_strerror(rc));
}

void PutBE64(uint64_t v, unsigned char* out) {
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<unsigned char>(v & 0xff);
    v >>= 8;
  }
}
uint64_t GetBE64(const void* p) {
  const auto* b = static_cast<const unsigned char*>(p);
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | b[i];
  return v;
}

int64_t NowUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct Lease {
  uint64_t asset, member;
  int64_t expires;
  uint64_t state;  // 0 active, 1 submitted
};

// Aborts the transaction unless committed.
struct Txn {
  MDB_txn* t = nullptr;
  Txn(MDB_env* env) { Check(mdb_txn_begin(env, nullptr, 0, &t), "txn_begin"); }
  ~Txn() {
    if (t) mdb_txn_abort(t);
  }
  void Commit() {
    int rc = mdb_txn_commit(t);
    t = nullptr;
    Check(rc, "commit");
  }
};

}  // namespace

void LmdbQueue::Prepare(const Config& cfg) {
  Txn txn(env_);
  Check(mdb_dbi_open(txn.t, "ready", MDB_CREATE, &ready_), "open ready");
  Check(mdb_dbi_open(txn.t, "leases", MDB_CREATE, &leases_), "open leases");
  Check(mdb_dbi_open(txn.t, "labels", MDB_CREATE, &labels_), "open labels");
  MDB_stat rs, ls;
  Check(mdb_stat(txn.t, ready_, &rs), "stat");
  Check(mdb_stat(txn.t, leases_, &ls), "stat");
  if (rs.ms_entries == 0 && ls.ms_entries == 0) {
    unsigned char key[16];
    for (uint64_t id = 1; id <= cfg.rows; ++id) {
      PutBE64(~(id % 10), key);
      PutBE64(id, key + 8);
      MDB_val k{16, key}, v{0, nullptr};
      Check(mdb_put(txn.t, ready_, &k, &v, 0), "fill ready");
    }
  }
  txn.Commit();
}

uint64_t LmdbQueue::LeaseSubmit(const Config& cfg, int client, uint64_t cycles) {
  const uint64_t member = static_cast<uint64_t>(client) + 1;
  GenLabel gl;
  for (uint64_t i = 0; i < cycles; ++i) {
    uint64_t lease_id = 0, asset = 0;
    {
      Txn txn(env_);
      MDB_cursor* c = nullptr;
      Check(mdb_cursor_open(txn.t, ready_, &c), "cursor");
      MDB_val k, v;
      int rc = mdb_cursor_get(c, &k, &v, MDB_FIRST);
      if (rc == MDB_NOTFOUND) {
        mdb_cursor_close(c);
        throw std::runtime_error("lmdb: the queue ran dry");
      }
      Check(rc, "first ready");
      asset = GetBE64(static_cast<const char*>(k.mv_data) + 8);
      Check(mdb_cursor_del(c, 0), "take ready");
      mdb_cursor_close(c);
      Check(mdb_cursor_open(txn.t, leases_, &c), "cursor");
      rc = mdb_cursor_get(c, &k, &v, MDB_LAST);
      lease_id = rc == MDB_NOTFOUND ? 1 : GetBE64(k.mv_data) + 1;
      mdb_cursor_close(c);
      unsigned char key[8];
      PutBE64(lease_id, key);
      Lease l{asset, member, NowUs() + 1800LL * 1000000, 0};
      MDB_val lk{8, key}, lv{sizeof l, &l};
      Check(mdb_put(txn.t, leases_, &lk, &lv, MDB_APPEND), "put lease");
      txn.Commit();
    }
    MakeLabel(cfg.seed, asset, static_cast<uint32_t>(client), &gl);
    {
      Txn txn(env_);
      unsigned char key[16];
      PutBE64(lease_id, key);
      MDB_val lk{8, key}, lv;
      Check(mdb_get(txn.t, leases_, &lk, &lv), "get lease");
      Lease l;
      std::memcpy(&l, lv.mv_data, sizeof l);
      if (l.state != 0 || l.member != member || l.expires < NowUs()) throw std::runtime_error("lmdb: lease lost");
      l.state = 1;
      MDB_val nv{sizeof l, &l};
      Check(mdb_put(txn.t, leases_, &lk, &nv, 0), "update lease");
      PutBE64(asset, key);
      PutBE64(member, key + 8);
      MDB_val bk{16, key}, bv{gl.json.size(), gl.json.data()};
      Check(mdb_put(txn.t, labels_, &bk, &bv, 0), "put label");
      txn.Commit();
    }
  }
  return cycles;
}

}  // namespace bench
