// Errors for bad user input (files, configs, arguments).
//
// Three tiers, as in ARCHITECTURE.md: internal invariants abort (TW_CHECK);
// bad user input throws InputError, whose message names the file, the field
// (or line / byte offset) and what was expected; bad physics mid-rollout is
// reported through the simulator's status, never thrown.
#pragma once

#include <stdexcept>
#include <string>

namespace tinywalk {

class InputError : public std::runtime_error {
 public:
  // file: the path of the offending file ("" for command-line arguments).
  // where: the field, key path, line or byte offset ("" if the whole file).
  // what: what was wrong and what was expected.
  InputError(std::string file, std::string where, std::string what);

  const std::string& file() const { return file_; }
  const std::string& where() const { return where_; }
  const std::string& detail() const { return detail_; }

 private:
  std::string file_, where_, detail_;
};

// Aborts with a message: for internal invariants only, never for user input.
[[noreturn]] void check_failed(const char* expr, const char* file, int line, const std::string& msg);

}  // namespace tinywalk

#define TW_CHECK(cond, msg)                                                  \
  do {                                                                       \
    if (!(cond)) ::tinywalk::check_failed(#cond, __FILE__, __LINE__, (msg)); \
  } while (0)
