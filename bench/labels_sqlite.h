// The SQLite peer's side of the labelling workloads (queue, labels, export,
// statistics). The SqliteAdapter owns one of these per open connection.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>

#include "bench.h"

namespace bench {

class SqliteLabelWork {
 public:
  // Creates the tables and indexes it needs (IF NOT EXISTS) and installs a
  // counting busy handler on `db` (several processes share the database).
  SqliteLabelWork(sqlite3* db, const Config& cfg);
  ~SqliteLabelWork();
  SqliteLabelWork(const SqliteLabelWork&) = delete;
  SqliteLabelWork& operator=(const SqliteLabelWork&) = delete;

  void PrepareQueue();
  uint64_t LeaseSubmit(int client, uint64_t cycles, uint64_t* busy_retries);
  uint64_t PutLabels(const std::string& project, bool counted);
  bool HasProject(const std::string& project);
  uint64_t Export(const std::string& project, const std::string& path);
  uint64_t Alpha(const std::string& project, double* alpha);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bench
