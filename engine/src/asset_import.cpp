// Bulk import: JSON Lines and directories, in two passes (check everything,
// then write in batches). See asset_import.h for the contract.
#include "annodb/asset_import.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "annodb/asset_json.h"
#include "annodb/assets.h"
#include "exception_status.h"

namespace annodb {
namespace {

// A batch also ends after this much row data, so huge rows (up to 16 MiB
// each) cannot make one batch hold gigabytes.
constexpr size_t kMaxBatchBytes = size_t{64} << 20;
constexpr size_t kReadChunk = size_t{1} << 20;

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

// Owns a file descriptor.
struct Fd {
  int fd = -1;
  Fd() = default;
  explicit Fd(int f) : fd(f) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

Status WriteAll(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return Status::IOError(Errno("writing the import spool file"));
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  return Status::OK();
}

// Reads lines through one reused buffer, from a file descriptor or an
// std::istream, optionally copying every byte read to a spool file (so input
// that cannot be re-read can be read again in the write pass). A line
// is returned without its "\n" and a trailing "\r"; the last line may lack
// its "\n". Lines longer than kMaxImportLineBytes are refused.
class LineReader {
 public:
  LineReader(int fd, std::istream* stream, int spool_fd, uint64_t limit)
      : fd_(fd), stream_(stream), spool_fd_(spool_fd), limit_(limit), buf_(new char[kReadChunk]), cap_(kReadChunk) {}

  // The next line; *got is false at the end of the input.
  Status Next(std::string_view* line, bool* got) {
    for (;;) {
      if (auto* nl = static_cast<char*>(std::memchr(buf_.get() + scan_, '\n', end_ - scan_))) {
        size_t len = static_cast<size_t>(nl - buf_.get()) - begin_;
        return Emit(len, len + 1, line, got);
      }
      scan_ = end_;
      if (end_ - begin_ > kMaxImportLineBytes + 1) return TooLong();
      if (eof_) {
        if (begin_ == end_) {
          *got = false;
          return Status::OK();
        }
        return Emit(end_ - begin_, end_ - begin_, line, got);
      }
      ANNODB_RETURN_IF_ERROR(Fill());
    }
  }
  uint64_t line_no() const { return line_no_; }
  // Bytes consumed from the source so far.
  uint64_t bytes_read() const { return read_; }

 private:
  Status Emit(size_t len, size_t advance, std::string_view* line, bool* got) {
    const char* p = buf_.get() + begin_;
    begin_ += advance;
    scan_ = begin_;
    ++line_no_;
    if (len > 0 && p[len - 1] == '\r') --len;
    if (len > kMaxImportLineBytes) return TooLong(line_no_);
    if (line_no_ == 1 && len >= 3 && std::memcmp(p, "\xEF\xBB\xBF", 3) == 0) {  // a UTF-8 byte order mark
      p += 3;
      len -= 3;
    }
    *line = std::string_view(p, len);
    *got = true;
    return Status::OK();
  }
  Status TooLong(uint64_t n = 0) const {
    return Status::InvalidArgument("line " + std::to_string(n ? n : line_no_ + 1) + ": longer than " +
                                   std::to_string(kMaxImportLineBytes) + " bytes (16 MiB)");
  }
  // Moves the partial line to the front, grows the buffer when the partial
  // line fills it, and reads more.
  Status Fill() {
    if (begin_ > 0) {
      std::memmove(buf_.get(), buf_.get() + begin_, end_ - begin_);
      end_ -= begin_;
      scan_ -= begin_;
      begin_ = 0;
    }
    if (end_ == cap_) {
      size_t cap = std::min(cap_ * 2, kMaxImportLineBytes + 2 + kReadChunk);
      std::unique_ptr<char[]> bigger(new char[cap]);
      std::memcpy(bigger.get(), buf_.get(), end_);
      buf_ = std::move(bigger);
      cap_ = cap;
    }
    size_t want = cap_ - end_;
    if (limit_ - read_ < want) want = static_cast<size_t>(limit_ - read_);
    size_t got = 0;
    if (want == 0) {
      eof_ = true;
      return Status::OK();
    }
    if (stream_) {
      stream_->read(buf_.get() + end_, static_cast<std::streamsize>(want));
      got = static_cast<size_t>(stream_->gcount());
      if (stream_->bad()) return Status::IOError("error reading the import stream");
    } else {
      ssize_t n;
      do {
        n = ::read(fd_, buf_.get() + end_, want);
      } while (n < 0 && errno == EINTR);
      if (n < 0) return Status::IOError(Errno("reading the import input"));
      got = static_cast<size_t>(n);
    }
    if (got == 0) eof_ = true;
    if (spool_fd_ >= 0 && got > 0) ANNODB_RETURN_IF_ERROR(WriteAll(spool_fd_, buf_.get() + end_, got));
    end_ += got;
    read_ += got;
    return Status::OK();
  }

  int fd_;
  std::istream* stream_;
  int spool_fd_;
  uint64_t limit_;
  std::unique_ptr<char[]> buf_;
  size_t cap_;
  size_t begin_ = 0, end_ = 0, scan_ = 0;
  bool eof_ = false;
  uint64_t line_no_ = 0, read_ = 0;
};

bool Blank(std::string_view line) { return line.find_first_not_of(" \t\r") == std::string_view::npos; }

std::string LinePrefix(uint64_t line) { return "line " + std::to_string(line); }

// Calls the user's progress callback; an exception from it stops the import.
Status Report(const ImportOptions& opt, const ImportProgress& p) {
  if (!opt.progress) return Status::OK();
  try {
    opt.progress(p);
  } catch (const std::exception& e) {
    return Status::Aborted(std::string("the progress callback threw: ") + e.what());
  } catch (...) {
    return Status::Aborted("the progress callback threw");
  }
  return Status::OK();
}

bool Cancelled(const ImportOptions& opt) { return opt.cancel && opt.cancel->load(std::memory_order_relaxed); }

Status CancelledStatus(uint64_t rows_written) {
  return Status::Aborted("import cancelled; " + std::to_string(rows_written) +
                         " rows were written in committed batches and stay (run the import again to finish it)");
}

// Before reading the whole input: refuse a missing dataset early when it
// may not be created.
Status PrecheckDataset(Store& store, const std::string& dataset, const ImportOptions& opt) {
  return store.Read([&](ReadTxn& txn) {
    uint64_t id = 0;
    Status s = FindDataset(txn, dataset, &id);
    if (s.IsNotFound() && opt.create_dataset) return Status::OK();
    return s;
  });
}

// One batch of rows on its way from the producer (parsing, hashing) to the
// writer. Rows are filled in place, so their buffers are reused from batch
// to batch and a steady import allocates almost nothing per row.
struct Batch {
  std::vector<AssetInput> rows;
  std::vector<uint64_t> lines;  // input line of each row, 0 if none
  std::vector<size_t> big;      // rows from long lines: their buffers are freed, not kept
  size_t n = 0, bytes = 0;
  uint64_t input_done = 0;      // progress: input bytes consumed when the batch was complete

  // Empties the batch for reuse. A slot keeps the capacity of the biggest
  // row it ever held, so slots that held a long row start afresh: otherwise
  // a file with many big rows spread over the slots would pin a big row's
  // memory in every slot.
  void Reset() {
    for (size_t i : big) rows[i] = AssetInput();
    big.clear();
    n = bytes = 0;
  }
};

// Rows from lines longer than this do not keep their buffers for reuse.
constexpr size_t kReusableRowBytes = 4096;

// Two batches circulate between the producer thread and the writing
// (calling) thread: while one is written, the next is filled.
class BatchQueue {
 public:
  BatchQueue() {
    for (Batch& b : batches_) empty_.push_back(&b);
  }
  // Producer: the next batch to fill; null when the writer has stopped.
  Batch* TakeEmpty() {
    std::unique_lock<std::mutex> l(mu_);
    cv_.wait(l, [&] { return stopped_ || !empty_.empty(); });
    if (stopped_) return nullptr;
    Batch* b = empty_.back();
    empty_.pop_back();
    return b;
  }
  void PushFull(Batch* b) {
    std::lock_guard<std::mutex> l(mu_);
    full_.push_back(b);
    cv_.notify_all();
  }
  void ProducerDone(Status s) {
    std::lock_guard<std::mutex> l(mu_);
    done_ = true;
    producer_status_ = std::move(s);
    cv_.notify_all();
  }
  // Writer: the next full batch, in order; null when the producer is done
  // and everything it produced was taken.
  Batch* TakeFull() {
    std::unique_lock<std::mutex> l(mu_);
    cv_.wait(l, [&] { return done_ || !full_.empty(); });
    if (full_.empty()) return nullptr;
    Batch* b = full_.front();
    full_.erase(full_.begin());
    return b;
  }
  void ReturnEmpty(Batch* b) {
    b->Reset();
    std::lock_guard<std::mutex> l(mu_);
    empty_.push_back(b);
    cv_.notify_all();
  }
  // Writer: stop the producer (an error, a cancel).
  void Stop() {
    std::lock_guard<std::mutex> l(mu_);
    stopped_ = true;
    cv_.notify_all();
  }
  Status producer_status() {
    std::lock_guard<std::mutex> l(mu_);
    return producer_status_;
  }

 private:
  Batch batches_[2];
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Batch*> empty_, full_;
  bool done_ = false, stopped_ = false;
  Status producer_status_;
};

// The producer's side: rows are added one by one; full batches go to the
// writer.
class BatchSink {
 public:
  BatchSink(BatchQueue* q, size_t batch_rows) : q_(q), batch_rows_(batch_rows) {}
  // The row to fill next; null when the writer has stopped.
  AssetInput* Next() {
    if (!cur_ && !(cur_ = q_->TakeEmpty())) return nullptr;
    if (cur_->n == cur_->rows.size()) {
      cur_->rows.emplace_back();
      cur_->lines.push_back(0);
    }
    return &cur_->rows[cur_->n];
  }
  // Accepts the row filled through Next(). `input_done` is for progress.
  void Add(uint64_t line, size_t row_bytes, uint64_t input_done) {
    if (row_bytes > kReusableRowBytes) cur_->big.push_back(cur_->n);
    cur_->lines[cur_->n++] = line;
    cur_->bytes += row_bytes;
    cur_->input_done = input_done;
    if (cur_->n >= batch_rows_ || cur_->bytes >= kMaxBatchBytes) Send();
  }
  // Sends the last, partial batch. An empty input still sends one empty
  // batch, so that the dataset gets created as asked.
  void Finish(uint64_t input_done) {
    if (!cur_ && (sent_any_ || !(cur_ = q_->TakeEmpty()))) return;
    cur_->input_done = input_done;
    if (cur_->n > 0 || !sent_any_) Send();
  }

 private:
  void Send() {
    q_->PushFull(cur_);
    cur_ = nullptr;
    sent_any_ = true;
  }
  BatchQueue* q_;
  size_t batch_rows_;
  Batch* cur_ = nullptr;
  bool sent_any_ = false;
};

// A producer: fills the sink with checked rows and returns OK at the end of
// the input, with the input bytes it consumed. It returns early (any
// status) when Next() gives null.
using Producer = std::function<Status(BatchSink&, uint64_t* input_done)>;

// Writes batches, one write transaction each, on the calling thread.
class BatchWriter {
 public:
  BatchWriter(Store& store, const std::string& dataset, const Actor& actor, const ImportOptions& opt,
              ImportReport* report, ImportProgress* progress)
      : store_(store), dataset_(dataset), opt_(opt), report_(report), progress_(progress) {
    actor_ = actor;
    if (actor_.kind == ActorKind::kSystem) actor_.kind = ActorKind::kImportJob;
  }
  // Writes, reports progress, checks cancel.
  Status Write(const Batch& b);

 private:
  Store& store_;
  const std::string& dataset_;
  const ImportOptions& opt_;
  ImportReport* report_;
  ImportProgress* progress_;
  Actor actor_;
  uint64_t dataset_id_ = 0, job_id_ = 0;
};

Status BatchWriter::Write(const Batch& batch) {
  uint64_t dataset_id = 0, job_id = 0, created = 0, updated = 0, unchanged = 0, seq = 0;
  bool nothing_changed = false, created_dataset = false;
  // Store::Write may run this more than once (when the map must grow), so
  // it starts from the writer's state every time.
  Status s = store_.Write(actor_, [&](WriteTxn& txn) -> Status {
    dataset_id = dataset_id_;
    job_id = job_id_;
    created = updated = unchanged = 0;
    nothing_changed = false;
    created_dataset = false;
    // The job id is allocated in the first batch that writes; a batch that
    // changes nothing is rolled back, and the allocation with it.
    if (job_id == 0) ANNODB_RETURN_IF_ERROR(txn.AllocateCounter("job", &job_id));
    Actor a = actor_;
    a.job_id = job_id;
    txn.set_actor(std::move(a));
    if (dataset_id == 0) {
      Status fs = FindDataset(txn, dataset_, &dataset_id);
      if (fs.IsNotFound()) {
        if (!opt_.create_dataset) return fs;
        ANNODB_RETURN_IF_ERROR(CreateDataset(txn, dataset_, "", &dataset_id));
        created_dataset = true;
      } else {
        ANNODB_RETURN_IF_ERROR(fs);
      }
    }
    for (size_t i = 0; i < batch.n; ++i) {
      PutOutcome o;
      Status ps = PutValidatedAsset(txn, dataset_id, batch.rows[i], nullptr, &o);
      if (!ps.ok()) return batch.lines[i] ? ps.WithContext(LinePrefix(batch.lines[i])) : ps;
      if (o == PutOutcome::kCreated) ++created;
      else if (o == PutOutcome::kUpdated) ++updated;
      else ++unchanged;
    }
    if (txn.pending_sequence() == 0) {
      nothing_changed = true;
      return Status::Aborted("nothing changed");  // roll back: nothing to commit, no fsync
    }
    return Status::OK();
  }, &seq);
  if (!s.ok() && !(nothing_changed && s.code() == Code::kAborted)) return s;
  dataset_id_ = dataset_id;  // found or created (a created one always commits)
  if (created_dataset) report_->dataset_created = true;
  if (!nothing_changed) {
    job_id_ = job_id;
    report_->job_id = job_id;
    if (report_->first_sequence == 0) report_->first_sequence = seq;
    report_->last_sequence = seq;
  }
  report_->created += created;
  report_->updated += updated;
  report_->unchanged += unchanged;
  report_->batches += 1;
  progress_->rows_done += batch.n;
  progress_->bytes_done = std::max(progress_->bytes_done, batch.input_done);
  progress_->created = report_->created;
  progress_->updated = report_->updated;
  progress_->unchanged = report_->unchanged;
  progress_->batches = report_->batches;
  ANNODB_RETURN_IF_ERROR(Report(opt_, *progress_));
  if (Cancelled(opt_)) return CancelledStatus(progress_->rows_done);
  return Status::OK();
}

// The write pass: `produce` runs on a helper thread, parsing (and hashing)
// the next batch while this thread writes the current one.
Status WritePass(Store& store, const std::string& dataset, const Actor& actor, const ImportOptions& opt,
                 ImportReport* rep, ImportProgress* progress, const Producer& produce) {
  BatchQueue queue;
  BatchWriter writer(store, dataset, actor, opt, rep, progress);
  size_t batch_rows = std::max<size_t>(opt.batch_rows, 1);
  std::thread producer([&] {
    Status s;
    try {
      BatchSink sink(&queue, batch_rows);
      uint64_t input_done = 0;
      s = produce(sink, &input_done);
      if (s.ok()) sink.Finish(input_done);
    } catch (const std::bad_alloc&) {
      s = Status::IOError("out of memory during import");
    } catch (const std::exception& e) {
      s = ExceptionStatus("import", e);
    }
    queue.ProducerDone(std::move(s));
  });
  Status result;
  // Nothing may escape before the join (a joinable std::thread would
  // terminate the process when destroyed).
  try {
    while (Batch* b = queue.TakeFull()) {
      result = writer.Write(*b);
      queue.ReturnEmpty(b);
      if (!result.ok()) break;
    }
  } catch (const std::bad_alloc&) {
    result = Status::IOError("out of memory during import");
  } catch (const std::exception& e) {
    result = ExceptionStatus("import", e);
  }
  if (!result.ok()) queue.Stop();
  producer.join();
  // A writer error comes first: the producer only stopped because of it.
  if (result.ok()) result = queue.producer_status();
  return result;
}

// A JSONL row without a content hash whose uri names a local file gets the
// file's hash (and size, when the row has none). Files that are missing or
// unreadable are left alone: the row is still a valid asset.
void HashLocalFile(AssetInput* row) {
  if (row->content_hash) return;
  std::string path;
  if (!FileUriToPath(row->uri, &path)) return;
  struct stat st;
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return;
  Hash128 h;
  uint64_t size = 0;
  if (!HashFile(path, &h, &size).ok()) return;
  row->content_hash = h;
  if (row->byte_size == 0) row->byte_size = size;
}

// Where JSON Lines come from.
struct JsonlInput {
  int fd = -1;                     // read from this descriptor unless stream is set
  std::istream* stream = nullptr;
  bool seekable = false;           // fd is a regular file: the write pass re-reads it
  off_t start = 0;                 // the input's first byte in fd
  struct stat st {};               // fd's state at the start, to notice a change between the passes
};

// An unlinked temporary file in the store directory (on the store's disk,
// not in a possibly RAM-backed /tmp); it vanishes when closed or on a crash.
Status OpenSpool(Store& store, Fd* out) {
  std::string tmpl = store.dir() + "/.import-spool-XXXXXX";
  int fd = ::mkostemp(tmpl.data(), O_CLOEXEC);
  if (fd < 0) return Status::IOError(Errno("creating a spool file in '" + store.dir() + "'"));
  ::unlink(tmpl.c_str());
  out->fd = fd;
  return Status::OK();
}

Status ImportJsonlInput(Store& store, const std::string& dataset, JsonlInput& in, const Actor& actor,
                        const ImportOptions& opt, ImportReport* rep) {
  ANNODB_RETURN_IF_ERROR(PrecheckDataset(store, dataset, opt));
  size_t batch = std::max<size_t>(opt.batch_rows, 1);
  ImportProgress progress;
  if (in.seekable && in.st.st_size > in.start) progress.bytes_total = static_cast<uint64_t>(in.st.st_size - in.start);

  // Pass 1: check every row, write nothing.
  Fd spool;
  if (!in.seekable) ANNODB_RETURN_IF_ERROR(OpenSpool(store, &spool));
  uint64_t rows = 0, input_bytes = 0;
  {
    LineReader reader(in.fd, in.stream, spool.fd, UINT64_MAX);
    AssetInput row;
    std::string_view line;
    bool got = false;
    for (;;) {
      ANNODB_RETURN_IF_ERROR(reader.Next(&line, &got));
      if (!got) break;
      if (Blank(line)) continue;
      Status s = ParseAssetJson(line, &row);
      if (s.ok()) s = ValidateAsset(row);
      if (!s.ok()) return s.WithContext(LinePrefix(reader.line_no()));
      if (++rows % batch == 0) {
        if (Cancelled(opt)) return Status::Aborted("import cancelled while checking the input; nothing was written");
        progress.rows_done = rows;
        progress.bytes_done = reader.bytes_read();
        ANNODB_RETURN_IF_ERROR(Report(opt, progress));
      }
    }
    input_bytes = reader.bytes_read();
  }
  rep->lines = rows;

  // Pass 2 reads the same bytes again: from the file itself when it is a
  // regular file that did not change meanwhile, else from the spool.
  int src = spool.fd;
  off_t src_start = 0;
  if (in.seekable) {
    struct stat now;
    if (::fstat(in.fd, &now) != 0) return Status::IOError(Errno("checking the import file"));
    if (now.st_size != in.st.st_size || now.st_mtim.tv_sec != in.st.st_mtim.tv_sec ||
        now.st_mtim.tv_nsec != in.st.st_mtim.tv_nsec)
      return Status::Aborted("the import file changed while it was being checked; nothing was written");
    src = in.fd;
    src_start = in.start;
  }
  if (::lseek(src, src_start, SEEK_SET) < 0) return Status::IOError(Errno("rewinding the import input"));
  if (Cancelled(opt)) return Status::Aborted("import cancelled after checking the input; nothing was written");

  progress.phase = ImportProgress::Phase::kWriting;
  progress.rows_total = rows;
  progress.rows_done = 0;
  progress.bytes_total = input_bytes;
  return WritePass(store, dataset, actor, opt, rep, &progress, [&](BatchSink& sink, uint64_t* input_done) -> Status {
    LineReader reader(src, nullptr, -1, input_bytes);
    std::string_view line;
    bool got = false;
    for (;;) {
      ANNODB_RETURN_IF_ERROR(reader.Next(&line, &got));
      *input_done = reader.bytes_read();
      if (!got) return Status::OK();
      if (Blank(line)) continue;
      AssetInput* row = sink.Next();
      if (!row) return Status::Aborted("stopped");
      // Checked again: the bytes may differ from pass 1 if someone rewrote
      // the file in place, and what is stored must be valid in every case.
      Status s = ParseAssetJson(line, row);
      if (s.ok()) s = ValidateAsset(*row);
      if (!s.ok())
        return Status::Aborted(LinePrefix(reader.line_no()) + ": " + s.message() +
                               " (the input changed after it was checked; committed batches stay)");
      if (opt.hash_local_files) HashLocalFile(row);
      sink.Add(reader.line_no(), line.size(), reader.bytes_read());
    }
  });
}

// ---- directories ----

struct FileEntry {
  std::string abs, rel;
  uint64_t size = 0;
};

// Visits the regular files under dir in byte order of their names, skipping
// hidden entries (".name"), following symbolic links to files but not to
// directories (so a link cannot make the walk loop).
Status Walk(const std::string& abs_dir, const std::string& rel_dir, const std::function<Status(const FileEntry&)>& fn) {
  std::vector<std::string> names;
  {
    std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(abs_dir.c_str()), &::closedir);
    if (!d) return Status::IOError(Errno("cannot open directory '" + abs_dir + "'"));
    errno = 0;
    while (dirent* e = ::readdir(d.get())) {
      if (e->d_name[0] == '.') continue;  // hidden, ".", ".."
      names.emplace_back(e->d_name);
    }
    if (errno != 0) return Status::IOError(Errno("cannot read directory '" + abs_dir + "'"));
  }
  std::sort(names.begin(), names.end());
  FileEntry f;
  for (const std::string& name : names) {
    f.abs = abs_dir == "/" ? "/" + name : abs_dir + "/" + name;
    f.rel = rel_dir.empty() ? name : rel_dir + "/" + name;
    struct stat st;
    if (::lstat(f.abs.c_str(), &st) != 0) return Status::IOError(Errno("cannot stat '" + f.abs + "'"));
    if (S_ISDIR(st.st_mode)) {
      ANNODB_RETURN_IF_ERROR(Walk(f.abs, f.rel, fn));
      continue;
    }
    if (S_ISLNK(st.st_mode) && ::stat(f.abs.c_str(), &st) != 0) continue;  // a dangling link
    if (!S_ISREG(st.st_mode)) continue;                                     // devices, sockets, links to dirs
    f.size = static_cast<uint64_t>(st.st_size);
    ANNODB_RETURN_IF_ERROR(fn(f));
  }
  return Status::OK();
}

void FillFileRow(const FileEntry& f, AssetInput* row) {
  row->external_id = f.rel;
  row->uri = PathToFileUri(f.abs);
  row->media_type = MediaTypeForPath(f.rel);
  row->width = row->height = 0;
  row->duration_ms = 0;
  row->byte_size = f.size;
  row->content_hash.reset();
  row->metadata.clear();
  row->embedding.clear();
  row->text.clear();
}

Status ImportDir(Store& store, const std::string& dataset, const std::string& dir, const Actor& actor,
                 const ImportOptions& opt, ImportReport* rep) {
  std::error_code ec;
  std::filesystem::path root = std::filesystem::absolute(dir, ec);
  if (ec) return Status::IOError("cannot resolve '" + dir + "': " + ec.message());
  std::string abs = root.lexically_normal().string();
  while (abs.size() > 1 && abs.back() == '/') abs.pop_back();
  struct stat st;
  if (::stat(abs.c_str(), &st) != 0) return Status::NotFound(Errno("cannot open '" + dir + "'"));
  if (!S_ISDIR(st.st_mode)) return Status::InvalidArgument("'" + dir + "' is not a directory");
  ANNODB_RETURN_IF_ERROR(PrecheckDataset(store, dataset, opt));
  size_t batch = std::max<size_t>(opt.batch_rows, 1);

  // Pass 1: every file must make a valid asset and be readable.
  ImportProgress progress;
  uint64_t rows = 0, total_bytes = 0;
  AssetInput row;
  ANNODB_RETURN_IF_ERROR(Walk(abs, "", [&](const FileEntry& f) -> Status {
    FillFileRow(f, &row);
    Status s = ValidateAsset(row);
    if (!s.ok()) return s.WithContext("'" + f.rel + "'");
    Fd probe(::open(f.abs.c_str(), O_RDONLY | O_CLOEXEC));
    if (probe.fd < 0) return Status::IOError(Errno("cannot read '" + f.abs + "'"));
    total_bytes += f.size;
    if (++rows % batch == 0) {
      if (Cancelled(opt)) return Status::Aborted("import cancelled while checking the files; nothing was written");
      progress.rows_done = rows;
      ANNODB_RETURN_IF_ERROR(Report(opt, progress));
    }
    return Status::OK();
  }));
  rep->lines = rows;
  if (Cancelled(opt)) return Status::Aborted("import cancelled after checking the files; nothing was written");

  // Pass 2: hash (outside any transaction, so other writers are not held
  // up while files are read) and write in batches.
  progress.phase = ImportProgress::Phase::kWriting;
  progress.rows_total = rows;
  progress.rows_done = 0;
  progress.bytes_total = total_bytes;
  return WritePass(store, dataset, actor, opt, rep, &progress, [&](BatchSink& sink, uint64_t* input_done) -> Status {
    uint64_t& hashed = *input_done;
    return Walk(abs, "", [&](const FileEntry& f) -> Status {
      AssetInput* r = sink.Next();
      if (!r) return Status::Aborted("stopped");
      FillFileRow(f, r);
      if (opt.hash_local_files) {
        Hash128 h;
        uint64_t size = 0;
        ANNODB_RETURN_IF_ERROR(HashFile(f.abs, &h, &size));
        r->content_hash = h;
        r->byte_size = size;
      }
      // Re-validated: the walk may meet files added since pass 1.
      Status s = ValidateAsset(*r);
      if (!s.ok())
        return Status::Aborted("'" + f.rel + "': " + s.message() + " (added after the check; committed batches stay)");
      hashed += r->byte_size;
      sink.Add(0, f.abs.size() + r->uri.size(), hashed);
      return Status::OK();
    });
  });
}

// Runs an import body, turning any exception into a Status.
template <typename F>
Status Guard(ImportReport* report, F&& body) {
  ImportReport local;
  ImportReport* rep = report ? report : &local;
  *rep = ImportReport();
  try {
    return body(rep);
  } catch (const std::bad_alloc&) {
    return Status::IOError("out of memory during import");
  } catch (const std::exception& e) {
    return ExceptionStatus("import", e);
  }
}

bool Unreserved(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::strchr("-._~!$&'()*+,;=:@/", c) != nullptr;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

const char* MediaTypeForPath(std::string_view path) {
  size_t slash = path.rfind('/');
  std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
  size_t dot = name.rfind('.');
  if (dot == std::string_view::npos || dot == 0 || name.size() - dot > 6) return "application/octet-stream";
  std::string ext(name.substr(dot + 1));
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  static constexpr std::pair<const char*, const char*> kTypes[] = {
      {"jpg", "image/jpeg"},       {"jpeg", "image/jpeg"},      {"png", "image/png"},
      {"gif", "image/gif"},        {"bmp", "image/bmp"},        {"webp", "image/webp"},
      {"tif", "image/tiff"},       {"tiff", "image/tiff"},      {"svg", "image/svg+xml"},
      {"mp4", "video/mp4"},        {"mov", "video/quicktime"},  {"webm", "video/webm"},
      {"mkv", "video/x-matroska"}, {"avi", "video/x-msvideo"},  {"wav", "audio/wav"},
      {"mp3", "audio/mpeg"},       {"flac", "audio/flac"},      {"ogg", "audio/ogg"},
      {"m4a", "audio/mp4"},        {"txt", "text/plain"},       {"md", "text/markdown"},
      {"csv", "text/csv"},         {"json", "application/json"}, {"pdf", "application/pdf"},
  };
  for (const auto& [e, type] : kTypes)
    if (ext == e) return type;
  return "application/octet-stream";
}

bool FileUriToPath(std::string_view uri, std::string* path) {
  if (uri.size() < 6) return false;
  std::string scheme(uri.substr(0, 5));
  for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (scheme != "file:") return false;
  std::string_view rest = uri.substr(5);
  if (rest.substr(0, 2) == "//") {  // file://host/path: only an empty host or localhost is local
    rest.remove_prefix(2);
    size_t slash = rest.find('/');
    if (slash == std::string_view::npos) return false;
    std::string_view host = rest.substr(0, slash);
    if (!host.empty() && host != "localhost") return false;
    rest.remove_prefix(slash);
  }
  if (rest.empty() || rest[0] != '/') return false;
  rest = rest.substr(0, rest.find_first_of("?#"));
  path->clear();
  for (size_t i = 0; i < rest.size(); ++i) {
    char c = rest[i];
    if (c == '%') {
      if (i + 2 >= rest.size()) return false;
      int hi = HexValue(rest[i + 1]), lo = HexValue(rest[i + 2]);
      if (hi < 0 || lo < 0) return false;
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    }
    if (c == '\0') return false;
    path->push_back(c);
  }
  return true;
}

std::string PathToFileUri(std::string_view abs_path) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string uri = "file://";
  uri.reserve(abs_path.size() + 8);
  for (unsigned char c : abs_path) {
    // Non-ASCII bytes stay as they are (an IRI, readable for UTF-8 names).
    if (c >= 0x80 || Unreserved(c)) {
      uri.push_back(static_cast<char>(c));
    } else {
      uri.push_back('%');
      uri.push_back(kHex[c >> 4]);
      uri.push_back(kHex[c & 15]);
    }
  }
  return uri;
}

Status ImportJsonl(Store& store, const std::string& dataset, const std::string& path, const Actor& actor,
                   const ImportOptions& options, ImportReport* report) {
  return Guard(report, [&](ImportReport* rep) -> Status {
    JsonlInput in;
    Fd owned;
    if (path == "-") {
      in.fd = STDIN_FILENO;
    } else {
      owned.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
      if (owned.fd < 0) {
        if (errno == ENOENT) return Status::NotFound("no file '" + path + "'");
        return Status::IOError(Errno("cannot open '" + path + "'"));
      }
      in.fd = owned.fd;
    }
    if (::fstat(in.fd, &in.st) != 0) return Status::IOError(Errno("cannot stat '" + path + "'"));
    if (S_ISDIR(in.st.st_mode)) return Status::InvalidArgument("'" + path + "' is a directory (use directory import)");
    if (S_ISREG(in.st.st_mode)) {
      in.start = ::lseek(in.fd, 0, SEEK_CUR);  // stdin redirected from a file may start mid-file
      in.seekable = in.start >= 0;
      if (!in.seekable) in.start = 0;
    }
    return ImportJsonlInput(store, dataset, in, actor, options, rep);
  });
}

Status ImportJsonlStream(Store& store, const std::string& dataset, std::istream& stream, const Actor& actor,
                         const ImportOptions& options, ImportReport* report) {
  return Guard(report, [&](ImportReport* rep) -> Status {
    JsonlInput in;
    in.stream = &stream;
    return ImportJsonlInput(store, dataset, in, actor, options, rep);
  });
}

Status ImportDirectory(Store& store, const std::string& dataset, const std::string& dir, const Actor& actor,
                       const ImportOptions& options, ImportReport* report) {
  return Guard(report, [&](ImportReport* rep) -> Status { return ImportDir(store, dataset, dir, actor, options, rep); });
}

}  // namespace annodb
