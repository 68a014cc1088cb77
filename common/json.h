// A tiny JSON object writer for the CLI's one-line summaries (--json).
// Keys keep insertion order; non-finite numbers are written as null.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tinywalk {

class JsonObject {
 public:
  JsonObject& add(const std::string& key, double value);
  JsonObject& add(const std::string& key, int value) { return add(key, static_cast<int64_t>(value)); }
  JsonObject& add(const std::string& key, int64_t value);
  JsonObject& add(const std::string& key, uint64_t value);
  JsonObject& add(const std::string& key, bool value);
  JsonObject& add(const std::string& key, const char* value) { return add(key, std::string(value)); }
  JsonObject& add(const std::string& key, const std::string& value);
  JsonObject& add(const std::string& key, const std::vector<double>& values);
  JsonObject& add(const std::string& key, const std::vector<std::string>& values);
  JsonObject& add(const std::string& key, const JsonObject& object);
  JsonObject& add(const std::string& key, const std::vector<JsonObject>& objects);
  JsonObject& add_null(const std::string& key);
  std::string str() const;  // one line, no trailing newline

 private:
  JsonObject& raw(const std::string& key, std::string json);
  std::vector<std::pair<std::string, std::string>> fields_;
};

std::string json_quote(const std::string& s);
std::string json_number(double v);  // shortest round-trip form; "null" if not finite

}  // namespace tinywalk
