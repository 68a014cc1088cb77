#include "tools/cli.h"

#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "common/error.h"

namespace tinywalk::cli {

Args::Args(std::string command, std::string summary) : command_(std::move(command)), summary_(std::move(summary)) {
  flag("json", "print one JSON object summarising the result as the last line of stdout");
  flag("help", "show this help");
}

Args& Args::option(const std::string& name, const std::string& value_name, const std::string& help, const std::string& def) {
  specs_.push_back({name, value_name, help, def, false});
  return *this;
}

Args& Args::flag(const std::string& name, const std::string& help) {
  specs_.push_back({name, "", help, "", true});
  return *this;
}

const Args::Spec& Args::spec(const std::string& name) const {
  for (const auto& s : specs_)
    if (s.name == name) return s;
  check_failed("spec", __FILE__, __LINE__, "undeclared option --" + name);
}

bool Args::parse(int argc, char** argv) {
  for (int i = 0; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--", 0) != 0) throw InputError("", a, "unexpected argument; options start with --\n\n" + usage());
    std::string name = a.substr(2), value;
    const bool inline_value = name.find('=') != std::string::npos;
    if (inline_value) {
      value = name.substr(name.find('=') + 1);
      name = name.substr(0, name.find('='));
    }
    const Spec* s = nullptr;
    for (const auto& x : specs_)
      if (x.name == name) s = &x;
    if (!s) throw InputError("", "--" + name, "unknown option for 'tinywalk " + command_ + "' (see --help)");
    if (s->is_flag) {
      if (inline_value) throw InputError("", "--" + name, "is a flag and takes no value");
      values_[name] = "1";
      continue;
    }
    if (!inline_value) {
      if (i + 1 >= argc) throw InputError("", "--" + name, "expects a value (" + s->value_name + ")");
      value = argv[++i];
    }
    values_[name] = value;
  }
  if (on("help")) {
    std::printf("%s", usage().c_str());
    return false;
  }
  return true;
}

bool Args::has(const std::string& name) const {
  spec(name);
  return values_.count(name) > 0;
}
bool Args::on(const std::string& name) const { return has(name); }

std::string Args::str(const std::string& name) const {
  const Spec& s = spec(name);
  auto it = values_.find(name);
  return it == values_.end() ? s.def : it->second;
}

double Args::num(const std::string& name) const {
  const std::string v = str(name);
  char* end = nullptr;
  errno = 0;
  const double d = std::strtod(v.c_str(), &end);
  if (v.empty() || *end || errno || !std::isfinite(d))
    throw InputError("", "--" + name, "expected a finite number, got '" + v + "'");
  return d;
}

uint64_t Args::u64(const std::string& name) const {
  const std::string v = str(name);
  char* end = nullptr;
  errno = 0;
  const unsigned long long u = std::strtoull(v.c_str(), &end, 10);
  if (v.empty() || *end || errno || v[0] == '-') throw InputError("", "--" + name, "expected a non-negative whole number, got '" + v + "'");
  return u;
}

int Args::integer(const std::string& name, int lo, int hi) const {
  const std::string v = str(name);
  char* end = nullptr;
  errno = 0;
  const long long x = std::strtoll(v.c_str(), &end, 10);
  if (v.empty() || *end || errno || x < lo || x > hi)
    throw InputError("", "--" + name, "expected a whole number in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], got '" + v + "'");
  return static_cast<int>(x);
}

std::string Args::usage() const {
  std::string u = "usage: tinywalk " + command_ + " [options]\n\n" + summary_ + "\n\noptions:\n";
  for (const auto& s : specs_) {
    std::string left = "  --" + s.name + (s.is_flag ? "" : " " + s.value_name);
    if (left.size() < 28) left.resize(28, ' ');
    else left += "\n" + std::string(28, ' ');
    u += left + s.help + (s.def.empty() ? "" : " (default: " + s.def + ")") + "\n";
  }
  u += "\nexit codes: 0 success, 1 a check failed, 2 bad input or usage\n";
  return u;
}

void print_json(const JsonObject& o) {
  std::fflush(stderr);
  std::printf("%s\n", o.str().c_str());
  std::fflush(stdout);
}

bool show_progress() { return ::isatty(STDERR_FILENO); }

int run(const std::string& command, int argc, char** argv, const std::function<int(bool& json)>& body) {
  bool json = false;
  for (int i = 0; i < argc; ++i)
    if (std::string(argv[i]) == "--json") json = true;
  auto report = [&](const char* kind, const std::string& msg, int code) {
    std::fprintf(stderr, "tinywalk %s: %s: %s\n", command.c_str(), kind, msg.c_str());
    if (json) print_json(JsonObject().add("ok", false).add("error", msg).add("exit_code", code));
    return code;
  };
  try {
    return body(json);
  } catch (const InputError& e) {
    return report("error", e.what(), kBadInput);
  } catch (const std::exception& e) {
    return report("internal error", e.what(), kCheckFailed);
  }
}

}  // namespace tinywalk::cli
