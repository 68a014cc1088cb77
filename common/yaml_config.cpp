#include "common/yaml_config.h"

#include <cmath>
#include <fstream>

#include "common/json.h"

namespace tinywalk::config {

namespace {
std::string fmt(double v) { return json_number(v); }
std::string scalar_text(const YAML::Node& n) {
  if (n.IsScalar()) return "'" + n.Scalar() + "'";
  if (n.IsSequence()) return "a list";
  if (n.IsMap()) return "a mapping";
  return "nothing";
}
}  // namespace

bool Limits::admits(double v) const {
  if (min_open ? !(v > min) : !(v >= min)) return false;
  if (max_open ? !(v < max) : !(v <= max)) return false;
  return true;
}

std::string Limits::describe() const {
  bool has_min = std::isfinite(min), has_max = std::isfinite(max);
  if (has_min && has_max)
    return std::string("in ") + (min_open ? "(" : "[") + fmt(min) + ", " + fmt(max) + (max_open ? ")" : "]");
  if (has_min) return std::string(min_open ? "> " : ">= ") + fmt(min);
  if (has_max) return std::string(max_open ? "< " : "<= ") + fmt(max);
  return "finite";
}

Reader::Reader(const YAML::Node& node, std::string file, std::string prefix)
    : node_(node), file_(std::move(file)), prefix_(std::move(prefix)) {}

std::string Reader::path(const std::string& key) const { return prefix_.empty() ? key : prefix_ + "." + key; }

void Reader::fail(const YAML::Node& n, const std::string& key, const std::string& what) const {
  std::string where;
  if (n && n.Mark().line >= 0) where = "line " + std::to_string(n.Mark().line + 1) + ": ";
  throw InputError(file_, where + path(key), what);
}

YAML::Node Reader::child(const char* key) {
  seen_.insert(key);
  if (!node_ || !node_.IsMap()) return YAML::Node();
  YAML::Node n = node_[key];
  if (n && n.IsNull()) fail(n, key, "has no value; remove the key to use the default");
  return n;
}

double Reader::number(const YAML::Node& n, const std::string& key, Limits lim) const {
  double v = 0;
  if (!n.IsScalar()) fail(n, key, "expected a number, got " + scalar_text(n));
  const std::string& s = n.Scalar();
  try {
    v = n.as<double>();
  } catch (const YAML::Exception&) {
    fail(n, key, "expected a number, got " + scalar_text(n));
  }
  if (!std::isfinite(v)) fail(n, key, "expected a finite number, got '" + s + "'");
  if (!lim.admits(v)) fail(n, key, "expected a number " + lim.describe() + ", got " + s);
  return v;
}

void Reader::field(const char* key, double& v, const char*, Limits lim) {
  if (YAML::Node n = child(key)) v = number(n, key, lim);
}

void Reader::field(const char* key, int& v, const char*, Limits lim) {
  YAML::Node n = child(key);
  if (!n) return;
  double d = number(n, key, lim);
  if (d != std::floor(d) || std::fabs(d) > 2e9) fail(n, key, "expected a whole number, got '" + n.Scalar() + "'");
  v = static_cast<int>(d);
}

void Reader::field(const char* key, uint64_t& v, const char*) {
  YAML::Node n = child(key);
  if (!n) return;
  try {
    if (!n.IsScalar() || n.Scalar().empty() || n.Scalar()[0] == '-') throw YAML::Exception(YAML::Mark(), "");
    v = n.as<uint64_t>();
  } catch (const YAML::Exception&) {
    fail(n, key, "expected a non-negative whole number, got " + scalar_text(n));
  }
}

void Reader::field(const char* key, bool& v, const char*) {
  YAML::Node n = child(key);
  if (!n) return;
  try {
    if (!n.IsScalar()) throw YAML::Exception(YAML::Mark(), "");
    v = n.as<bool>();
  } catch (const YAML::Exception&) {
    fail(n, key, "expected true or false, got " + scalar_text(n));
  }
}

void Reader::field(const char* key, std::string& v, const char*) {
  YAML::Node n = child(key);
  if (!n) return;
  if (!n.IsScalar()) fail(n, key, "expected a string, got " + scalar_text(n));
  v = n.Scalar();
}

void Reader::field(const char* key, Interval& v, const char*, Limits lim) {
  YAML::Node n = child(key);
  if (!n) return;
  if (!n.IsSequence() || n.size() != 2) fail(n, key, "expected a range [low, high], got " + scalar_text(n));
  Interval r{number(n[0], key, lim), number(n[1], key, lim)};
  if (r.lo > r.hi) fail(n, key, "expected low <= high, got [" + fmt(r.lo) + ", " + fmt(r.hi) + "]");
  v = r;
}

void Reader::field(const char* key, std::vector<double>& v, const char*, Limits lim, size_t expected_size) {
  YAML::Node n = child(key);
  if (!n) return;
  if (!n.IsSequence()) fail(n, key, "expected a list of numbers, got " + scalar_text(n));
  if (expected_size && n.size() != expected_size)
    fail(n, key, "expected " + std::to_string(expected_size) + " numbers, got " + std::to_string(n.size()));
  std::vector<double> out;
  for (size_t i = 0; i < n.size(); ++i) out.push_back(number(n[i], std::string(key) + "[" + std::to_string(i) + "]", lim));
  v = out;
}

void Reader::field(const char* key, std::vector<int>& v, const char* doc, Limits lim, size_t expected_size) {
  std::vector<double> d(v.begin(), v.end());
  YAML::Node n = node_ && node_.IsMap() ? node_[key] : YAML::Node();
  field(key, d, doc, lim, expected_size);
  std::vector<int> out;
  for (size_t i = 0; i < d.size(); ++i) {
    if (d[i] != std::floor(d[i]) || std::fabs(d[i]) > 2e9)
      fail(n, std::string(key) + "[" + std::to_string(i) + "]", "expected a whole number, got " + fmt(d[i]));
    out.push_back(static_cast<int>(d[i]));
  }
  v = out;
}

void Reader::field(const char* key, std::vector<std::string>& v, const char*, size_t expected_size) {
  YAML::Node n = child(key);
  if (!n) return;
  if (!n.IsSequence()) fail(n, key, "expected a list of strings, got " + scalar_text(n));
  if (expected_size && n.size() != expected_size)
    fail(n, key, "expected " + std::to_string(expected_size) + " strings, got " + std::to_string(n.size()));
  std::vector<std::string> out;
  for (size_t i = 0; i < n.size(); ++i) {
    if (!n[i].IsScalar()) fail(n[i], std::string(key) + "[" + std::to_string(i) + "]", "expected a string");
    out.push_back(n[i].Scalar());
  }
  v = out;
}

void Reader::field(const char* key, std::vector<std::vector<double>>& v, const char*, Limits lim, size_t row_size) {
  YAML::Node n = child(key);
  if (!n) return;
  if (!n.IsSequence()) fail(n, key, "expected a list of rows, got " + scalar_text(n));
  std::vector<std::vector<double>> out;
  for (size_t i = 0; i < n.size(); ++i) {
    const std::string k = std::string(key) + "[" + std::to_string(i) + "]";
    const YAML::Node row = n[i];
    if (!row.IsSequence()) fail(row, k, "expected a list of numbers, got " + scalar_text(row));
    size_t want = row_size ? row_size : (out.empty() ? row.size() : out[0].size());
    if (row.size() != want)
      fail(row, k, "expected " + std::to_string(want) + " numbers, got " + std::to_string(row.size()));
    std::vector<double> r;
    for (size_t j = 0; j < row.size(); ++j) r.push_back(number(row[j], k + "[" + std::to_string(j) + "]", lim));
    out.push_back(std::move(r));
  }
  v = out;
}

void Reader::finish() const {
  if (!node_ || !node_.IsMap()) return;
  for (const auto& kv : node_) {
    std::string k = kv.first.Scalar();
    if (!seen_.count(k)) {
      std::string known;
      for (const auto& s : seen_) known += (known.empty() ? "" : ", ") + s;
      fail(kv.first, k, "unknown key (known keys here: " + known + ")");
    }
  }
}

// ---- Writer ----

void Writer::line(const std::string& text, const char* doc) {
  out_ << std::string(indent_, ' ') << text;
  if (doc && *doc) out_ << "  # " << doc;
  out_ << "\n";
}
void Writer::field(const char* key, const double& v, const char* doc, Limits) { line(std::string(key) + ": " + fmt(v), doc); }
void Writer::field(const char* key, const int& v, const char* doc, Limits) { line(std::string(key) + ": " + std::to_string(v), doc); }
void Writer::field(const char* key, const uint64_t& v, const char* doc) { line(std::string(key) + ": " + std::to_string(v), doc); }
void Writer::field(const char* key, const bool& v, const char* doc) { line(std::string(key) + ": " + (v ? "true" : "false"), doc); }
void Writer::field(const char* key, const std::string& v, const char* doc) { line(std::string(key) + ": " + json_quote(v), doc); }
void Writer::field(const char* key, const Interval& v, const char* doc, Limits) {
  line(std::string(key) + ": [" + fmt(v.lo) + ", " + fmt(v.hi) + "]", doc);
}
void Writer::field(const char* key, const std::vector<double>& v, const char* doc, Limits, size_t) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + fmt(v[i]);
  line(std::string(key) + ": [" + s + "]", doc);
}
void Writer::field(const char* key, const std::vector<int>& v, const char* doc, Limits, size_t) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  line(std::string(key) + ": [" + s + "]", doc);
}
void Writer::field(const char* key, const std::vector<std::string>& v, const char* doc, size_t) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + json_quote(v[i]);
  line(std::string(key) + ": [" + s + "]", doc);
}

void Writer::field(const char* key, const std::vector<std::vector<double>>& v, const char* doc, Limits, size_t) {
  line(std::string(key) + ":", doc);
  for (const auto& row : v) {
    std::string s;
    for (size_t i = 0; i < row.size(); ++i) s += (i ? ", " : "") + fmt(row[i]);
    line("  - [" + s + "]", nullptr);
  }
}

YAML::Node load_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw InputError(path, "", "cannot open file (does it exist?)");
  YAML::Node root;
  try {
    root = YAML::Load(in);
  } catch (const YAML::ParserException& e) {
    throw InputError(path, "line " + std::to_string(e.mark.line + 1) + ", column " + std::to_string(e.mark.column + 1),
                     "malformed YAML: " + e.msg);
  }
  if (!root || root.IsNull()) throw InputError(path, "", "file is empty; expected a YAML mapping");
  if (!root.IsMap()) throw InputError(path, "line 1", "expected a YAML mapping (key: value lines) at the top level");
  return root;
}

}  // namespace tinywalk::config
