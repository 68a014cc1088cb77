#include "common/json.h"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace tinywalk {

std::string json_quote(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

std::string json_number(double v) {
  if (!std::isfinite(v)) return "null";
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

JsonObject& JsonObject::raw(const std::string& key, std::string json) {
  fields_.emplace_back(key, std::move(json));
  return *this;
}
JsonObject& JsonObject::add(const std::string& key, double v) { return raw(key, json_number(v)); }
JsonObject& JsonObject::add(const std::string& key, int64_t v) { return raw(key, std::to_string(v)); }
JsonObject& JsonObject::add(const std::string& key, uint64_t v) { return raw(key, std::to_string(v)); }
JsonObject& JsonObject::add(const std::string& key, bool v) { return raw(key, v ? "true" : "false"); }
JsonObject& JsonObject::add(const std::string& key, const std::string& v) { return raw(key, json_quote(v)); }
JsonObject& JsonObject::add(const std::string& key, const JsonObject& o) { return raw(key, o.str()); }
JsonObject& JsonObject::add_null(const std::string& key) { return raw(key, "null"); }

JsonObject& JsonObject::add(const std::string& key, const std::vector<double>& values) {
  std::string s = "[";
  for (size_t i = 0; i < values.size(); ++i) s += (i ? "," : "") + json_number(values[i]);
  return raw(key, s + "]");
}

JsonObject& JsonObject::add(const std::string& key, const std::vector<std::string>& values) {
  std::string s = "[";
  for (size_t i = 0; i < values.size(); ++i) s += (i ? "," : "") + json_quote(values[i]);
  return raw(key, s + "]");
}

JsonObject& JsonObject::add(const std::string& key, const std::vector<JsonObject>& objects) {
  std::string s = "[";
  for (size_t i = 0; i < objects.size(); ++i) s += (i ? "," : "") + objects[i].str();
  return raw(key, s + "]");
}

std::string JsonObject::str() const {
  std::string s = "{";
  for (size_t i = 0; i < fields_.size(); ++i)
    s += (i ? "," : "") + json_quote(fields_[i].first) + ":" + fields_[i].second;
  return s + "}";
}

}  // namespace tinywalk
