// Helpers for the command-line tests: run the real `annodb` binary
// (ANNODB_CLI_PATH) with fork/exec, feed stdin, capture stdout, stderr and the
// exit code.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "test_util.h"

extern char** environ;

namespace annodb::test {

struct RunResult {
  int code = -1;  // exit status, or 128 + signal
  std::string out, err;
};

struct RunOptions {
  std::string input;                                      // stdin (empty = /dev/null-like)
  std::vector<std::pair<std::string, std::string>> env;  // extra environment
  std::string cwd;                                        // working directory of the child
};

// Runs ANNODB_CLI_PATH with `args`. ANNODB_STORE and ANNODB_ACTOR are removed
// from the child's environment unless given in opts.env; opts.env replaces
// inherited variables of the same name.
inline RunResult RunCli(const std::vector<std::string>& args, const RunOptions& opts = {}) {
  int in[2], out[2], err[2];
  // Close-on-exec: a child forked meanwhile by another thread must not keep
  // these pipes open (dup2 clears the flag on the child's own 0, 1 and 2).
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0)
    throw std::runtime_error("pipe failed");

  std::vector<std::string> env_strings;
  for (char** e = environ; *e; ++e) {
    std::string s(*e);
    if (s.rfind("ANNODB_STORE=", 0) == 0 || s.rfind("ANNODB_ACTOR=", 0) == 0) continue;
    // A variable given in opts.env replaces the inherited one: with both in
    // the list, getenv() in the child would find the inherited one first.
    bool replaced = false;
    for (const auto& kv : opts.env) replaced = replaced || s.rfind(kv.first + "=", 0) == 0;
    if (!replaced) env_strings.push_back(s);
  }
  for (const auto& [k, v] : opts.env) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (std::string& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> argv_strings{ANNODB_CLI_PATH};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& s : argv_strings) argv.push_back(s.data());
  argv.push_back(nullptr);

  std::signal(SIGPIPE, SIG_IGN);  // a child that stops reading stdin must not kill the test
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    std::signal(SIGPIPE, SIG_DFL);
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    for (int fd : {in[0], in[1], out[0], out[1], err[0], err[1]}) ::close(fd);
    if (!opts.cwd.empty() && ::chdir(opts.cwd.c_str()) != 0) ::_exit(126);
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);

  RunResult r;
  size_t written = 0;
  int in_fd = in[1];
  if (opts.input.empty()) {
    ::close(in_fd);
    in_fd = -1;
  } else {
    ::fcntl(in_fd, F_SETFL, ::fcntl(in_fd, F_GETFL) | O_NONBLOCK);
  }
  int out_fd = out[0], err_fd = err[0];
  char buf[65536];
  while (out_fd >= 0 || err_fd >= 0 || in_fd >= 0) {
    std::vector<pollfd> fds;
    if (in_fd >= 0) fds.push_back({in_fd, POLLOUT, 0});
    if (out_fd >= 0) fds.push_back({out_fd, POLLIN, 0});
    if (err_fd >= 0) fds.push_back({err_fd, POLLIN, 0});
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (const pollfd& p : fds) {
      if (p.revents == 0) continue;
      if (p.fd == in_fd) {
        ssize_t n = ::write(in_fd, opts.input.data() + written, opts.input.size() - written);
        if (n > 0) written += static_cast<size_t>(n);
        if (n < 0 && errno != EAGAIN && errno != EINTR) written = opts.input.size();  // EPIPE: the child stopped reading
        if (written >= opts.input.size()) {
          ::close(in_fd);
          in_fd = -1;
        }
      } else {
        ssize_t n = ::read(p.fd, buf, sizeof buf);
        if (n > 0) {
          (p.fd == out_fd ? r.out : r.err).append(buf, static_cast<size_t>(n));
        } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
          ::close(p.fd);
          if (p.fd == out_fd) out_fd = -1;
          else err_fd = -1;
        }
      }
    }
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

// Runs commands against one store directory (prepends --store DIR).
class CliStore {
 public:
  explicit CliStore(std::string dir) : dir_(std::move(dir)) {}
  RunResult Run(std::vector<std::string> args, const RunOptions& opts = {}) const {
    args.insert(args.begin(), {"--store", dir_});
    return RunCli(args, opts);
  }
  // Runs and requires success; returns stdout.
  std::string Ok(std::vector<std::string> args, const RunOptions& opts = {}) const {
    RunResult r = Run(args, opts);
    if (r.code != 0) {
      std::string cmd;
      for (const auto& a : args) cmd += " " + a;
      throw std::runtime_error("annodb" + cmd + " failed with exit " + std::to_string(r.code) + ": " + r.err);
    }
    return r.out;
  }
  nlohmann::json Json(std::vector<std::string> args, const RunOptions& opts = {}) const {
    args.push_back("--json");
    return nlohmann::json::parse(Ok(args, opts));
  }
  std::vector<nlohmann::json> JsonLines(std::vector<std::string> args, const RunOptions& opts = {}) const {
    args.push_back("--json");
    std::vector<nlohmann::json> v;
    std::istringstream in(Ok(args, opts));
    std::string line;
    while (std::getline(in, line))
      if (!line.empty()) v.push_back(nlohmann::json::parse(line));
    return v;
  }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
};

// True when `err` is exactly one line starting with "annodb: error: ".
inline bool IsOneLineError(const std::string& err) {
  return err.rfind("annodb: error: ", 0) == 0 && err.size() > 16 && err.back() == '\n' &&
         err.find('\n') == err.size() - 1;
}

inline void WriteFile(const std::string& path, const std::string& content) {
  std::ofstream f(path, std::ios::binary);
  f << content;
  if (!f) throw std::runtime_error("cannot write " + path);
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

// n JSON Lines assets img-0001.. with metadata.
inline std::string MakeJsonl(int n, int first = 1) {
  std::string s;
  for (int i = first; i < first + n; ++i) {
    char id[32];
    std::snprintf(id, sizeof id, "img-%04d", i);
    s += std::string("{\"external_id\":\"") + id + "\",\"uri\":\"file:///data/" + id +
         ".jpg\",\"media_type\":\"image/jpeg\",\"width\":640,\"height\":480,\"metadata\":{\"camera\":\"" +
         (i % 2 ? "A" : "B") + "\",\"night\":" + (i % 3 ? "false" : "true") + ",\"lux\":" + std::to_string(i) +
         ".5,\"n\":" + std::to_string(i) + "}}\n";
  }
  return s;
}

}  // namespace annodb::test
