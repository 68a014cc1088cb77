// Output files written to a temporary name in the same directory and renamed
// into place on commit(), so a killed run never leaves a half-written file and
// never corrupts an existing one.
#pragma once

#include <fstream>
#include <string>

namespace tinywalk {

class AtomicFile {
 public:
  // Opens "<path>.tmp.<pid>" for writing; throws InputError if it cannot.
  explicit AtomicFile(std::string path, bool binary = false);
  ~AtomicFile();  // removes the temporary file unless committed
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  std::ostream& stream() { return out_; }
  // Flushes, syncs and renames into place; throws InputError on failure.
  void commit();
  const std::string& path() const { return path_; }

 private:
  std::string path_, tmp_;
  std::ofstream out_;
  bool committed_ = false;
};

// Writes all bytes atomically (see AtomicFile).
void write_file_atomic(const std::string& path, const std::string& bytes);

// Syncs `tmp` and renames it to `path` (for writers that need a file name,
// such as HDF5); throws InputError naming `path` on failure.
void rename_into_place(const std::string& tmp, const std::string& path);

// Reads a whole file; throws InputError naming the path if it cannot.
std::string read_file(const std::string& path);

}  // namespace tinywalk
