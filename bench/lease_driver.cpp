#include "lease_driver.h"

#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "runner.h"

namespace bench {
namespace {

struct ChildSlot {
  uint64_t cycles = 0;
  uint64_t busy = 0;
  int ok = 0;
  char error[200] = {};
};

void WriteAll(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;
    p += w;
    n -= static_cast<size_t>(w);
  }
}

std::string BusyNote(uint64_t busy, uint64_t cycles) {
  char buf[160];
  std::snprintf(buf, sizeof buf, "%llu busy-handler retries (%.2f per cycle)",
                static_cast<unsigned long long>(busy), cycles ? static_cast<double>(busy) / static_cast<double>(cycles) : 0.0);
  return buf;
}

uint64_t RunThreads(SystemAdapter& a, const LeaseRun& run, Context& ctx) {
  const uint64_t per = (run.cycles + static_cast<uint64_t>(run.threads) - 1) / static_cast<uint64_t>(run.threads);
  std::vector<uint64_t> done(static_cast<size_t>(run.threads)), busy(static_cast<size_t>(run.threads));
  std::mutex mu;
  std::string error;
  std::vector<std::thread> ts;
  for (int t = 0; t < run.threads; ++t) {
    ts.emplace_back([&, t] {
      try {
        done[static_cast<size_t>(t)] = a.LeaseSubmit(t, per, run.grouped, &busy[static_cast<size_t>(t)]);
      } catch (const std::exception& e) {
        std::lock_guard<std::mutex> g(mu);
        error = e.what();
      }
    });
  }
  for (std::thread& t : ts) t.join();
  if (!error.empty()) throw std::runtime_error(error);
  uint64_t total = 0, b = 0;
  for (size_t i = 0; i < done.size(); ++i) total += done[i], b += busy[i];
  if (a.kind() == SystemKind::kSqlite) ctx.note = BusyNote(b, total);
  return total;
}

uint64_t RunProcesses(SystemAdapter& a, const Config& cfg, const LeaseRun& run, Context& ctx) {
  const int n = run.processes;
  const uint64_t per = (run.cycles + static_cast<uint64_t>(n) - 1) / static_cast<uint64_t>(n);
  const std::string dir = StoreDir(cfg, a.kind());
  size_t bytes = sizeof(ChildSlot) * static_cast<size_t>(n);
  void* mem = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) throw std::runtime_error(std::string("mmap: ") + std::strerror(errno));
  auto* slots = new (mem) ChildSlot[static_cast<size_t>(n)];
  int ready[2], go[2];
  if (::pipe(ready) != 0 || ::pipe(go) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  a.Close();  // nothing of the store may cross fork()
  std::fflush(nullptr);
  std::vector<pid_t> pids;
  for (int p = 0; p < n; ++p) {
    pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
    if (pid == 0) {
      ::close(ready[0]);
      ::close(go[1]);
      ChildSlot& s = slots[p];
      try {
        std::unique_ptr<SystemAdapter> b = MakeAdapter(a.kind(), cfg);
        b->Open(dir, false);
        b->PrepareQueue();
        WriteAll(ready[1], "r", 1);
        char c;
        while (::read(go[0], &c, 1) < 0 && errno == EINTR) {
        }
        s.cycles = b->LeaseSubmit(p, per, false, &s.busy);
        b->Close();
        s.ok = 1;
      } catch (const std::exception& e) {
        std::snprintf(s.error, sizeof s.error, "%s", e.what());
        WriteAll(ready[1], "r", 1);
      }
      std::fflush(nullptr);
      ::_exit(0);
    }
    pids.push_back(pid);
  }
  ::close(ready[1]);
  ::close(go[0]);
  for (int got = 0; got < n;) {
    char c;
    ssize_t r = ::read(ready[0], &c, 1);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    ++got;
  }
  Timer t;
  ::close(go[1]);  // every client's read returns: go
  for (pid_t pid : pids) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  ctx.seconds = t.Seconds();
  ::close(ready[0]);
  uint64_t total = 0, busy = 0;
  std::string error;
  for (int p = 0; p < n; ++p) {
    if (!slots[p].ok && error.empty()) error = std::string("client process failed: ") + slots[p].error;
    total += slots[p].cycles;
    busy += slots[p].busy;
  }
  ::munmap(mem, bytes);
  a.Open(dir, false);
  if (!error.empty()) throw std::runtime_error(error);
  if (a.kind() == SystemKind::kSqlite) ctx.note = BusyNote(busy, total);
  return total;
}

}  // namespace

uint64_t RunLeaseSubmit(SystemAdapter& a, const Config& cfg, const LeaseRun& run, Context& ctx) {
  if (run.processes > 1) return RunProcesses(a, cfg, run, ctx);
  if (run.threads > 1) return RunThreads(a, run, ctx);
  uint64_t busy = 0;
  uint64_t done = a.LeaseSubmit(0, run.cycles, run.grouped, &busy);
  return done;
}

}  // namespace bench
