// annodb's side of the labelling workloads (queue, labels, export,
// statistics), through the public C++ API. The AnnodbAdapter delegates here.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "annodb/store.h"
#include "bench.h"

namespace bench::annodb_work {

struct QueueIds {
  uint64_t project = 0;
  std::vector<uint64_t> members;  // kQueueMembers, "m0".."m31"
};

// Finds or creates the queue project, its members and tasks (bench.h).
void PrepareQueue(annodb::Store& store, const Config& cfg, QueueIds* ids);
uint64_t LeaseSubmit(annodb::Store& store, const Config& cfg, const QueueIds& ids, int client, uint64_t cycles,
                     bool grouped);
uint64_t PutLabels(annodb::Store& store, const Config& cfg, const std::string& project, bool counted);
bool HasProject(annodb::Store& store, const std::string& project);
uint64_t Export(annodb::Store& store, const std::string& project, const std::string& path);
uint64_t Alpha(annodb::Store& store, const std::string& project, double* alpha);

}  // namespace bench::annodb_work
