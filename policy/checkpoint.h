// Checkpoint files: named float64 arrays and named text blobs in one binary
// file, written atomically, with a CRC-32 over the content so a truncated or
// corrupted file is reported, never half-read.
//
// Layout (little-endian): "TWCK" | u32 version | u32 n_texts | u32 n_arrays |
//   n_texts x (u32 name_len, name, u64 len, bytes) |
//   n_arrays x (u32 name_len, name, u64 count, count x f64) | u32 crc32 of all preceding bytes.
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <map>
#include <string>

namespace tinywalk::policy {

struct Checkpoint {
  std::map<std::string, std::string> texts;       // e.g. "spec" (YAML), "kind"
  std::map<std::string, Eigen::VectorXd> arrays;  // e.g. "params", "adam_m", "obs_mean"

  const std::string& text(const std::string& name, const std::string& file) const;     // InputError if missing
  const Eigen::VectorXd& array(const std::string& name, const std::string& file) const;  // InputError if missing
};

constexpr uint32_t kCheckpointVersion = 1;

std::string serialize_checkpoint(const Checkpoint& c);
// InputError naming `source` and the byte offset on: wrong magic, newer
// version, truncation, CRC mismatch, absurd lengths.
Checkpoint parse_checkpoint(const std::string& bytes, const std::string& source);
void save_checkpoint(const std::string& path, const Checkpoint& c);  // atomic
Checkpoint load_checkpoint(const std::string& path);

}  // namespace tinywalk::policy
