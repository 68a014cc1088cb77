// Imitation datasets in HDF5, in a robomimic-like layout:
//
//   /data                          attrs: format ("tinywalk-dataset"), format_version,
//                                         robot, seed, project_version, config (YAML text), total (steps)
//   /data/demo_<k>                 attrs: num_samples, seed, and any EpisodeData::attrs
//   /data/demo_<k>/obs/<signal>          [T x dim]  what the robot can observe
//   /data/demo_<k>/privileged/<signal>   [T x dim]  full simulator state (never a policy input)
//   /data/demo_<k>/reference/<signal>    [T x dim]  the reference frame being tracked
//   /data/demo_<k>/reward_terms/<term>   [T x 1]
//   /data/demo_<k>/actions               [T x num_joints]
//   /data/demo_<k>/rewards               [T]
//   /data/demo_<k>/dones                 [T] uint8
//
// All arrays are float64, row-major, one row per control step. Files are
// written to a temporary name and renamed into place, without HDF5's object
// timestamps, so the same data gives the same bytes. Reading verifies the
// layout and reports a missing, corrupt or truncated file, a missing group or
// dataset, or a shape mismatch as an InputError naming the file and object.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace tinywalk::data {

// A [rows x dim] float64 array, row-major.
struct Signal {
  int dim = 0;
  std::vector<double> values;  // rows * dim
  int64_t rows() const { return dim ? static_cast<int64_t>(values.size()) / dim : 0; }
  const double* row(int64_t r) const { return values.data() + r * dim; }
  void push(const double* v) { values.insert(values.end(), v, v + dim); }
};

using SignalMap = std::map<std::string, Signal>;  // name -> signal (sorted: stable file layout)

struct EpisodeData {
  uint64_t seed = 0;
  std::map<std::string, double> attrs;  // scalar facts about the episode (fell, mean speed, ...)
  SignalMap obs, privileged, reference, reward_terms;
  Signal actions;
  std::vector<double> rewards;
  std::vector<uint8_t> dones;
  int64_t steps() const { return static_cast<int64_t>(rewards.size()); }
};

struct DatasetInfo {
  std::string robot;
  uint64_t seed = 0;
  std::string project_version;
  std::string config_yaml;  // the full config that produced the data
};

struct Dataset {
  DatasetInfo info;
  std::vector<EpisodeData> episodes;
  int64_t total_steps() const;
};

constexpr int kFormatVersion = 1;

// Checks that every signal has `steps` rows; InputError (naming episode and signal) otherwise.
void validate(const EpisodeData& e, int index);

// Writes atomically (temporary file, then rename). Throws InputError on I/O failure.
void write_dataset(const std::string& path, const Dataset& d);
// Reads and verifies a dataset written by write_dataset.
Dataset read_dataset(const std::string& path);

}  // namespace tinywalk::data
