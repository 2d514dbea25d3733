// Helpers for tests that run work in child processes and kill them.
//
// LMDB must never be used across fork(): the parent forks with no store
// open, each child opens its own Store and leaves with _exit (no atexit
// handlers, no Catch2 in the child), and the parent opens the store only
// after its children are gone.
#pragma once

#include <catch2/catch.hpp>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>

namespace annodb::test {

// Runs fn in a child process; the child exits with fn's return value (100
// if fn does not return, 101 if it throws).
inline pid_t Spawn(const std::function<int()>& fn) {
  pid_t pid = ::fork();
  if (pid == 0) {
    int rc = 100;
    try {
      rc = fn();
    } catch (...) {
      rc = 101;
    }
    ::_exit(rc);
  }
  REQUIRE(pid > 0);
  return pid;
}

// Waits for the child; returns its exit code, or 1000 + the signal that
// ended it.
inline int WaitExit(pid_t pid) {
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 1000 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

}  // namespace annodb::test
