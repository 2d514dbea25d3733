// A progress bar on stderr, drawn only when stderr is a terminal.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace annodb::cli {

class ProgressBar {
 public:
  // Draws nothing unless `enabled` and stderr is a terminal (isatty).
  ProgressBar(std::string label, bool enabled);
  ~ProgressBar();
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  bool active() const { return active_; }
  // `done` of `total` units (total 0 = unknown: no bar, just the counts);
  // `items` is shown as a rate ("12345 rows, 230k/s"). Redraws at most every
  // 100 ms.
  void Update(uint64_t done, uint64_t total, uint64_t items);
  // Clears the bar's line (the summary follows on stdout).
  void Finish();

 private:
  void Draw(uint64_t done, uint64_t total, uint64_t items);

  std::string label_;
  bool active_ = false;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_, last_;
};

}  // namespace annodb::cli
