// Group commit: Store::WriteGrouped. Concurrent writers in one process share
// one LMDB write transaction and so one commit (one fsync at kFull), as
// LevelDB batches concurrent writers. Each request runs in its own nested
// (child) LMDB transaction, so a request that fails is rolled back alone and
// the others still commit together. docs/ARCHITECTURE.md, "Group commit".
#include <lmdb.h>

#include <algorithm>
#include <vector>

#include "annodb/store.h"
#include "store_files.h"
#include "store_impl.h"
#include "exception_status.h"

namespace annodb {

// One caller's request, owned by the caller's stack frame; the leader fills
// in the result and sets `done` under group_mu.
struct GroupRequest {
  const Actor* actor;
  const std::function<Status(WriteTxn&)>* fn;
  Status status;
  uint64_t sequence = 0;
  bool done = false;
};

namespace {

// At most this many requests share a transaction: bounds the work (and the
// dirty pages) a single commit can collect while others keep arriving.
constexpr size_t kMaxBatch = 128;

// Runs a request's function, turning an exception into a Status (no
// exception leaves the engine).
Status RunFn(const std::function<Status(WriteTxn&)>& fn, WriteTxn& wt) {
  try {
    return fn(wt);
  } catch (const std::bad_alloc&) {
    return Status::IOError("out of memory");
  } catch (const std::exception& e) {
    return ExceptionStatus("write", e);
  } catch (...) {
    return Status::Internal("internal error in write: an unexpected exception (a bug in annodb)");
  }
}

// The actor fields a changefeed entry records.
bool SameFeedActor(const Actor& a, const Actor& b) {
  return a.kind == b.kind && a.name == b.name && a.job_id == b.job_id;
}

}  // namespace

// Runs one batch on the leader's thread. Friend of WriteTxn: it swaps the
// transaction under a WriteTxn and saves/restores its bookkeeping per child.
class GroupCommitter {
 public:
  GroupCommitter(Store& store, const std::vector<GroupRequest*>& batch) : store_(store), batch_(batch) {}

  void Run() {
    StoreImpl& impl = store_.impl();
    std::lock_guard<std::mutex> writer(impl.write_mu);
    for (int attempt = 0; attempt < 64; ++attempt) {
      bool grow = false;
      RunOnce(&grow);
      if (!grow) return;
      // The map filled: every request runs again after the map has grown,
      // with no transaction open in this process.
      Status g = impl.Grow();
      if (!g.ok()) return FailAll(g);
    }
    FailAll(Status::IOError("the map could not be grown enough for this batch of writes"));
  }

 private:
  // What a WriteTxn must look like again after a failed request.
  struct Saved {
    WriteTxn::Counters n;
    size_t nchanges = 0;
    ChangeRun last;
  };
  static Saved Save(const WriteTxn& wt) {
    Saved s;
    s.n = wt.n_;
    s.nchanges = wt.changes_.size();
    if (s.nchanges) s.last = wt.changes_.back();  // MarkChanged may extend the last run in place
    return s;
  }
  static void Restore(WriteTxn& wt, const Saved& s) {
    wt.n_ = s.n;
    wt.changes_.resize(s.nchanges);
    if (s.nchanges) wt.changes_.back() = s.last;
  }

  void FailAll(const Status& s) {
    for (GroupRequest* r : batch_) {
      r->status = s;
      r->sequence = 0;
    }
  }

  // One attempt at the whole batch. *grow: the map filled, nothing was
  // committed, run it again after growing.
  void RunOnce(bool* grow) {
    StoreImpl& impl = store_.impl();
    MDB_txn* parent = nullptr;
    std::shared_lock<std::shared_mutex> lock;
    Status b = impl.Begin(0, &parent, &lock);
    if (!b.ok()) return FailAll(b);
    // Aborts the batch (and any open child with it) if an exception (out of
    // memory) leaves this function before the commit.
    struct AbortGuard {
      MDB_txn*& txn;
      ~AbortGuard() {
        if (txn) mdb_txn_abort(txn);
      }
    } guard{parent};
    WriteTxn wt(&store_, parent, Actor());
    const size_t n = batch_.size();
    std::vector<Status> result(n);
    std::vector<char> changed(n, 0);
    Status fatal;  // an error that spoils the whole batch
    for (size_t i = 0; i < n && fatal.ok(); ++i) {
      GroupRequest& r = *batch_[i];
      wt.set_actor(*r.actor);
      wt.set_provenance_override(nullptr);
      const uint64_t before = wt.n_.change_count;
      if (n == 1) {
        // Alone in its batch: the parent transaction is the request's own,
        // exactly as in Store::Write (no child needed to roll it back).
        result[i] = RunFn(*r.fn, wt);
        if (wt.map_full_) break;
        if (!result[i].ok()) fatal = result[i];
        changed[i] = wt.n_.change_count != before;
        continue;
      }
      MDB_txn* child = nullptr;
      int rc = mdb_txn_begin(impl.env, parent, 0, &child);
      if (rc != MDB_SUCCESS) {
        fatal = LmdbStatus(rc, "beginning a request's nested transaction");
        break;
      }
      Saved saved = Save(wt);
      wt.txn_ = child;
      Status st = RunFn(*r.fn, wt);
      if (wt.map_full_) {
        mdb_txn_abort(child);
        wt.txn_ = parent;
        break;
      }
      if (st.ok()) {
        rc = mdb_txn_commit(child);  // into the parent: nothing is on disk yet
        if (rc == MDB_MAP_FULL) wt.map_full_ = true;
        if (rc != MDB_SUCCESS) fatal = LmdbStatus(rc, "merging a request into its batch");
      } else {
        mdb_txn_abort(child);
      }
      wt.txn_ = parent;
      if (wt.map_full_) break;
      if (!st.ok()) Restore(wt, saved);
      result[i] = st;
      changed[i] = st.ok() && wt.n_.change_count != before;
    }
    if (!wt.map_full_ && fatal.ok()) {
      ChooseFeedActor(wt, changed);
      Status fs = wt.Finish();
      if (!fs.ok() && !wt.map_full_) fatal = fs;
    }
    if (wt.map_full_ || !fatal.ok()) {
      mdb_txn_abort(parent);
      parent = nullptr;
      wt.txn_ = nullptr;
      if (wt.map_full_) {
        *grow = true;
        return;
      }
      // Nothing of the batch is stored. A request that failed on its own
      // reports its own error; the others report what spoiled the batch.
      for (size_t i = 0; i < n; ++i) {
        batch_[i]->status = (result[i].ok() || n == 1) ? fatal : result[i];
        batch_[i]->sequence = 0;
      }
      return;
    }
    int rc = mdb_txn_commit(parent);  // frees the transaction whatever the outcome
    parent = nullptr;
    wt.txn_ = nullptr;
    if (rc == MDB_MAP_FULL) {
      *grow = true;
      return;
    }
    Status cs = StoreIoStatus(rc, store_.impl().dir, "committing a group of writes to the store");
    for (size_t i = 0; i < n; ++i) {
      GroupRequest& r = *batch_[i];
      if (!result[i].ok()) {
        r.status = result[i];  // rolled back alone
        r.sequence = 0;
      } else {
        r.status = cs;
        r.sequence = cs.ok() && changed[i] ? wt.n_.pending_seq : 0;
      }
    }
  }

  // The changefeed entry names the actor of the requests that changed
  // records when they share one, else the system (each version's
  // provenance still names its own request's actor).
  void ChooseFeedActor(WriteTxn& wt, const std::vector<char>& changed) {
    const Actor* a = nullptr;
    bool mixed = false;
    for (size_t i = 0; i < batch_.size(); ++i) {
      if (!changed[i]) continue;
      if (!a) a = batch_[i]->actor;
      else if (!SameFeedActor(*a, *batch_[i]->actor)) mixed = true;
    }
    if (mixed) {
      group_actor_ = Actor::System("group commit");
      wt.feed_actor_ = &group_actor_;
    } else {
      wt.feed_actor_ = a;  // null: no request changed anything (no entry is written)
    }
  }

  Store& store_;
  const std::vector<GroupRequest*>& batch_;
  Actor group_actor_;
};

Status Store::WriteGrouped(const Actor& actor, const std::function<Status(WriteTxn&)>& fn,
                           uint64_t* committed_sequence) {
  if (committed_sequence) *committed_sequence = 0;
  StoreImpl& s = *impl_;
  GroupRequest req{&actor, &fn, Status(), 0, false};
  std::unique_lock<std::mutex> l(s.group_mu);
  s.group_queue.push_back(&req);
  // Wait until a leader has run this request, or until this request is the
  // oldest waiting and no batch is running: then lead the next batch.
  s.group_cv.wait(l, [&] { return req.done || (!s.group_leader && s.group_queue.front() == &req); });
  if (!req.done) {
    s.group_leader = true;
    size_t take = std::min(s.group_queue.size(), kMaxBatch);
    std::vector<GroupRequest*> batch(s.group_queue.begin(), s.group_queue.begin() + static_cast<std::ptrdiff_t>(take));
    s.group_queue.erase(s.group_queue.begin(), s.group_queue.begin() + static_cast<std::ptrdiff_t>(take));
    l.unlock();
    try {
      GroupCommitter(*this, batch).Run();
    } catch (const std::bad_alloc&) {
      for (GroupRequest* r : batch) r->status = Status::IOError("out of memory");
    } catch (const std::exception& e) {
      for (GroupRequest* r : batch) r->status = ExceptionStatus("group commit", e);
    }
    l.lock();
    for (GroupRequest* r : batch) r->done = true;
    s.group_leader = false;
    s.group_cv.notify_all();
  }
  if (committed_sequence) *committed_sequence = req.sequence;
  return req.status;
}

}  // namespace annodb
