#include "common/error.h"

#include <cstdio>
#include <cstdlib>

namespace tinywalk {

namespace {
std::string compose(const std::string& file, const std::string& where, const std::string& what) {
  std::string s;
  if (!file.empty()) s += file;
  if (!where.empty()) s += (s.empty() ? "" : ": ") + where;
  s += (s.empty() ? "" : ": ") + what;
  return s;
}
}  // namespace

InputError::InputError(std::string file, std::string where, std::string what)
    : std::runtime_error(compose(file, where, what)),
      file_(std::move(file)),
      where_(std::move(where)),
      detail_(std::move(what)) {}

void check_failed(const char* expr, const char* file, int line, const std::string& msg) {
  std::fprintf(stderr, "internal error: %s:%d: check '%s' failed: %s\n", file, line, expr, msg.c_str());
  std::abort();
}

}  // namespace tinywalk
