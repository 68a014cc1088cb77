// Argument parsing shared by the subcommands. Every subcommand takes --help
// and --json; usage errors are InputErrors (exit code 2).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "common/json.h"

namespace tinywalk::cli {

enum Exit { kOk = 0, kCheckFailed = 1, kBadInput = 2 };

class Args {
 public:
  Args(std::string command, std::string summary);
  Args& option(const std::string& name, const std::string& value_name, const std::string& help, const std::string& def = "");
  Args& flag(const std::string& name, const std::string& help);
  // Parses argv after the subcommand name; returns false if --help was given (usage printed).
  bool parse(int argc, char** argv);

  bool has(const std::string& name) const;  // given on the command line
  bool on(const std::string& name) const;   // a flag that was given
  std::string str(const std::string& name) const;
  double num(const std::string& name) const;
  uint64_t u64(const std::string& name) const;
  // A whole number in [lo, hi]; InputError naming the option otherwise.
  int integer(const std::string& name, int lo, int hi) const;
  bool json() const { return on("json"); }
  std::string usage() const;

 private:
  struct Spec {
    std::string name, value_name, help, def;
    bool is_flag;
  };
  const Spec& spec(const std::string& name) const;
  std::string command_, summary_;
  std::vector<Spec> specs_;
  std::map<std::string, std::string> values_;
};

// Runs a subcommand body, mapping exceptions to messages and exit codes:
// InputError -> 2, anything else -> 1 with an "internal error" message.
// With --json a failure also prints {"ok":false,"error":...} as the last line.
int run(const std::string& command, int argc, char** argv, const std::function<int(bool& json)>& body);

// Prints the summary as the last line of stdout.
void print_json(const JsonObject& o);

// True if progress lines should be drawn (stderr is a terminal).
bool show_progress();

}  // namespace tinywalk::cli
