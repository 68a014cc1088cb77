// Strict YAML configs: plain structs with defaults in the struct and one
// member template `visit(V&)` that names every field once. The same visit
// drives reading (Reader), writing (Writer, with the doc strings as comments)
// and documentation. Reading is strict: unknown keys, wrong types, NaN/inf,
// out-of-range values and wrong list lengths are InputErrors naming the file,
// the line and the dotted key path, and saying what was expected.
//
//   struct ServoParams {
//     double kp = 2.75;
//     template <class V> void visit(V& v) {
//       v.field("kp", kp, "N m/rad; proportional gain", config::positive());
//     }
//   };
#pragma once

#include <yaml-cpp/yaml.h>

#include <array>
#include <cstdint>
#include <limits>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "common/error.h"

namespace tinywalk::config {

// A closed interval [lo, hi], written in YAML as a two-element list.
struct Interval {
  double lo = 0, hi = 0;
  bool operator==(const Interval& o) const { return lo == o.lo && hi == o.hi; }
};

// Allowed range of a numeric field (applies to every element of a list).
struct Limits {
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
  bool min_open = false, max_open = false;
  bool admits(double v) const;
  std::string describe() const;  // e.g. "> 0", "in [0, 1]"
};
inline Limits any() { return {}; }
inline Limits positive() { return {0, std::numeric_limits<double>::infinity(), true, false}; }
inline Limits non_negative() { return {0, std::numeric_limits<double>::infinity(), false, false}; }
inline Limits between(double lo, double hi) { return {lo, hi, false, false}; }

class Reader {
 public:
  // node: a YAML map (or a null node for "section absent"); prefix: dotted path.
  Reader(const YAML::Node& node, std::string file, std::string prefix = "");

  void field(const char* key, double& v, const char* doc, Limits lim = {});
  void field(const char* key, int& v, const char* doc, Limits lim = {});
  void field(const char* key, uint64_t& v, const char* doc);
  void field(const char* key, bool& v, const char* doc);
  void field(const char* key, std::string& v, const char* doc);
  void field(const char* key, Interval& v, const char* doc, Limits lim = {});
  // expected_size 0 = any length.
  void field(const char* key, std::vector<double>& v, const char* doc, Limits lim = {}, size_t expected_size = 0);
  void field(const char* key, std::vector<int>& v, const char* doc, Limits lim = {}, size_t expected_size = 0);
  void field(const char* key, std::vector<std::string>& v, const char* doc, size_t expected_size = 0);
  // A list of rows, each of row_size numbers (0 = any, but all rows equal).
  void field(const char* key, std::vector<std::vector<double>>& v, const char* doc, Limits lim = {}, size_t row_size = 0);
  template <size_t N>
  void field(const char* key, std::array<double, N>& v, const char* doc, Limits lim = {}) {
    std::vector<double> tmp(v.begin(), v.end());
    field(key, tmp, doc, lim, N);
    for (size_t i = 0; i < N; ++i) v[i] = tmp[i];
  }
  template <class T>
  void section(const char* key, T& sub, const char* /*doc*/) {
    YAML::Node n = child(key);
    if (!n) return;
    if (!n.IsMap()) fail(n, key, "expected a mapping (key: value lines)");
    Reader r(n, file_, path(key));
    sub.visit(r);
    r.finish();
  }
  // Throws on keys of this map that no field() or section() named.
  void finish() const;

  const std::string& file() const { return file_; }
  [[noreturn]] void fail(const YAML::Node& n, const std::string& key, const std::string& what) const;

 private:
  YAML::Node child(const char* key);
  std::string path(const std::string& key) const;
  double number(const YAML::Node& n, const std::string& key, Limits lim) const;
  YAML::Node node_;
  std::string file_, prefix_;
  std::set<std::string> seen_;
};

// Writes a config as YAML with its docs as trailing comments.
class Writer {
 public:
  void field(const char* key, const double& v, const char* doc, Limits = {});
  void field(const char* key, const int& v, const char* doc, Limits = {});
  void field(const char* key, const uint64_t& v, const char* doc);
  void field(const char* key, const bool& v, const char* doc);
  void field(const char* key, const std::string& v, const char* doc);
  void field(const char* key, const Interval& v, const char* doc, Limits = {});
  void field(const char* key, const std::vector<double>& v, const char* doc, Limits = {}, size_t = 0);
  void field(const char* key, const std::vector<int>& v, const char* doc, Limits = {}, size_t = 0);
  void field(const char* key, const std::vector<std::string>& v, const char* doc, size_t = 0);
  void field(const char* key, const std::vector<std::vector<double>>& v, const char* doc, Limits = {}, size_t = 0);
  template <size_t N>
  void field(const char* key, const std::array<double, N>& v, const char* doc, Limits = {}) {
    field(key, std::vector<double>(v.begin(), v.end()), doc);
  }
  template <class T>
  void section(const char* key, T& sub, const char* doc) {
    line(std::string(key) + ":", doc);
    indent_ += 2;
    sub.visit(*this);
    indent_ -= 2;
  }
  std::string str() const { return out_.str(); }

 private:
  void line(const std::string& text, const char* doc);
  std::ostringstream out_;
  int indent_ = 0;
};

// Parses a YAML file into a map node; InputError with file and line on
// missing file or syntax error, or if the top level is not a mapping.
YAML::Node load_file(const std::string& path);

// Reads a config struct from a YAML file strictly (see Reader).
template <class T>
T read_file(const std::string& path) {
  T cfg;
  Reader r(load_file(path), path);
  cfg.visit(r);
  r.finish();
  return cfg;
}

template <class T>
std::string to_yaml(const T& cfg) {
  Writer w;
  const_cast<T&>(cfg).visit(w);
  return w.str();
}

}  // namespace tinywalk::config
