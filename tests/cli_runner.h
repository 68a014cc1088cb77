// Runs the tinywalk CLI (TINYWALK_CLI) for the command-line tests: exit code, stdout, stderr.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "common/atomic_file.h"

namespace tinywalk::test {

struct CliResult {
  int code = -1;
  std::string out, err;
  // The last line of stdout (the --json summary).
  std::string last_line() const {
    std::string s = out;
    while (!s.empty() && s.back() == '\n') s.pop_back();
    const auto nl = s.find_last_of('\n');
    return nl == std::string::npos ? s : s.substr(nl + 1);
  }
};

// `tinywalk <args>` through the shell (args are shell words).
inline CliResult run_cli(const std::string& args) {
  static int calls = 0;
  const std::string err_path = ::testing::TempDir() + "/cli_err_" + std::to_string(::getpid()) + "_" + std::to_string(++calls) + ".txt";
  CliResult r;
  FILE* p = popen((std::string(TINYWALK_CLI) + " " + args + " 2>" + err_path).c_str(), "r");
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int status = pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.err = read_file(err_path);
  std::remove(err_path.c_str());
  return r;
}

}  // namespace tinywalk::test
