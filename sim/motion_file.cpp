// motion_imitation JSON <-> ReferenceMotion.
//
// Reading: yaml-cpp parses the JSON (YAML 1.2 is a superset); we then check
// that the top level is a flow (JSON) object, walk its keys strictly, and
// parse every number ourselves against the JSON number grammar (yaml-cpp
// would accept YAML-isms such as ".inf", "0x10" or quoted numbers).
// Writing: plain text through AtomicFile, numbers via json_number (shortest
// round trip).
#include "sim/motion_file.h"

#include <yaml-cpp/yaml.h>

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <set>
#include <sstream>

#include "common/atomic_file.h"
#include "common/error.h"
#include "common/json.h"

namespace tinywalk::sim {

namespace {

const char* kLoopMode = "LoopMode";
const char* kFrameDuration = "FrameDuration";
const char* kOffsetPos = "EnableCycleOffsetPosition";
const char* kOffsetRot = "EnableCycleOffsetRotation";
const char* kFrames = "Frames";
// Written by motion_imitation's own retargeting scripts and the AMP datasets
// built from them (a sampling weight for multi-clip training); it says
// nothing about the motion itself, so it is accepted and ignored.
const char* kMotionWeight = "MotionWeight";

// "line N: key" (N 1-based) when yaml-cpp knows the node's position.
std::string where(const YAML::Node& n, const std::string& key) {
  if (n && n.Mark().line >= 0) return "line " + std::to_string(n.Mark().line + 1) + ": " + key;
  return key;
}

std::string describe(const YAML::Node& n) {
  if (n.IsSequence()) return "a list";
  if (n.IsMap()) return "an object";
  if (n.IsNull()) return "null";
  if (n.Tag() == "!") return "the string \"" + n.Scalar() + "\"";
  return "'" + n.Scalar() + "'";
}

// True if s matches JSON's number grammar: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
bool json_number_syntax(const std::string& s) {
  size_t i = 0, n = s.size();
  auto digits = [&] {
    size_t start = i;
    while (i < n && s[i] >= '0' && s[i] <= '9') ++i;
    return i > start;
  };
  if (i < n && s[i] == '-') ++i;
  if (i < n && s[i] == '0') {
    ++i;
  } else if (!digits()) {
    return false;
  }
  if (i < n && s[i] == '.') {
    ++i;
    if (!digits()) return false;
  }
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
    if (!digits()) return false;
  }
  return i == n;
}

bool looks_non_finite(const std::string& s) {
  std::string t;
  for (char c : s)
    if (c != '-' && c != '+' && c != '.') t += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return t == "nan" || t == "inf" || t == "infinity";
}

double number(const std::string& file, const YAML::Node& n, const std::string& key) {
  if (!n.IsScalar() || n.Tag() == "!") throw InputError(file, where(n, key), "expected a number, got " + describe(n));
  const std::string& s = n.Scalar();
  if (looks_non_finite(s)) throw InputError(file, where(n, key), "expected a finite number, got '" + s + "'");
  if (!json_number_syntax(s)) throw InputError(file, where(n, key), "expected a number, got '" + s + "'");
  double v = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec == std::errc::result_out_of_range) v = std::strtod(s.c_str(), nullptr);  // underflow to 0 / denormal is fine
  if (!std::isfinite(v)) throw InputError(file, where(n, key), "expected a finite number, got '" + s + "' (out of range)");
  return v;
}

bool boolean(const std::string& file, const YAML::Node& n, const std::string& key) {
  if (n.IsScalar() && n.Tag() != "!" && (n.Scalar() == "true" || n.Scalar() == "false")) return n.Scalar() == "true";
  throw InputError(file, where(n, key), "expected true or false, got " + describe(n));
}

ReferenceMotion::Loop loop_mode(const std::string& file, const YAML::Node& n) {
  if (n.IsScalar() && n.Scalar() == "Wrap") return ReferenceMotion::Loop::Wrap;
  if (n.IsScalar() && n.Scalar() == "Clamp") return ReferenceMotion::Loop::Clamp;
  throw InputError(file, where(n, kLoopMode), "expected \"Wrap\" or \"Clamp\", got " + describe(n));
}

// Unit quaternions (to 1e-12) are kept exactly; others normalised.
Eigen::Quaterniond unit_quaternion(const std::string& file, const YAML::Node& row, const std::string& key, double x,
                                   double y, double z, double w) {
  Eigen::Quaterniond q(w, x, y, z);
  const double norm = q.norm();
  if (!(norm >= 1e-6))
    throw InputError(file, where(row, key),
                     "root quaternion (x, y, z, w at positions 3..6) has norm " + json_number(norm) +
                         "; expected a rotation (norm >= 1e-6, normalised on load)");
  if (std::fabs(norm - 1.0) > 1e-12) q.coeffs() /= norm;
  return q;
}

}  // namespace

ReferenceMotion load_motion_json(const std::string& path, int num_joints) {
  TW_CHECK(num_joints >= 1, "load_motion_json needs num_joints >= 1");
  const std::string text = read_file(path);  // InputError naming the path if missing
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw InputError(path, "line " + std::to_string(e.mark.line + 1) + ", column " + std::to_string(e.mark.column + 1),
                     "malformed JSON: " + e.msg);
  }
  if (!root || root.IsNull()) throw InputError(path, "", "file is empty; expected a JSON object { \"LoopMode\": ..., \"Frames\": [...] }");
  if (!root.IsMap() || root.Style() != YAML::EmitterStyle::Flow)
    throw InputError(path, "line 1", "expected a JSON object { \"LoopMode\": ..., \"Frames\": [...] } at the top level");

  ReferenceMotion m;
  std::set<std::string> seen;
  YAML::Node frames;
  bool has_loop = false, has_duration = false, has_frames = false;
  for (const auto& kv : root) {
    const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : std::string("?");
    const YAML::Node& v = kv.second;
    if (!kv.first.IsScalar()) throw InputError(path, where(kv.first, ""), "expected a string key");
    if (!seen.insert(key).second) throw InputError(path, where(kv.first, key), "duplicate key");
    if (key == kLoopMode) {
      m.loop = loop_mode(path, v);
      has_loop = true;
    } else if (key == kFrameDuration) {
      m.frame_duration = number(path, v, key);
      if (!(m.frame_duration > 0))
        throw InputError(path, where(v, key), "expected a frame duration > 0 s, got " + v.Scalar());
      has_duration = true;
    } else if (key == kOffsetPos) {
      m.cycle_offset_position = boolean(path, v, key);
    } else if (key == kOffsetRot) {
      m.cycle_offset_rotation = boolean(path, v, key);
    } else if (key == kFrames) {
      frames = v;
      has_frames = true;
    } else if (key == kMotionWeight) {
      number(path, v, key);  // checked for sanity, then ignored (see kMotionWeight)
    } else {
      throw InputError(path, where(kv.first, key),
                       "unknown key; expected LoopMode, FrameDuration, EnableCycleOffsetPosition, "
                       "EnableCycleOffsetRotation, Frames (MotionWeight is accepted and ignored)");
    }
  }
  if (!has_loop) throw InputError(path, kLoopMode, "missing key; expected \"Wrap\" or \"Clamp\"");
  if (!has_duration) throw InputError(path, kFrameDuration, "missing key; expected the time per frame in s (> 0)");
  if (!has_frames) throw InputError(path, kFrames, "missing key; expected a list of frames");
  if (!frames.IsSequence()) throw InputError(path, where(frames, kFrames), "expected a list of frames, got " + describe(frames));
  if (frames.size() == 0) throw InputError(path, where(frames, kFrames), "expected at least one frame, got none");

  const size_t width = 7 + static_cast<size_t>(num_joints);
  m.frames.reserve(frames.size());
  for (size_t i = 0; i < frames.size(); ++i) {
    const YAML::Node row = frames[i];
    const std::string rk = std::string(kFrames) + "[" + std::to_string(i) + "]";
    if (!row.IsSequence()) throw InputError(path, where(row, rk), "expected a list of numbers, got " + describe(row));
    if (row.size() != width)
      throw InputError(path, where(row, rk),
                       "expected " + std::to_string(width) + " numbers per frame (7 root + " + std::to_string(num_joints) +
                           " joints), got " + std::to_string(row.size()));
    double v[7];
    MotionFrame f;
    f.q.resize(num_joints);
    for (size_t j = 0; j < width; ++j) {
      const double x = number(path, row[j], rk + "[" + std::to_string(j) + "]");
      if (j < 7)
        v[j] = x;
      else
        f.q[j - 7] = x;
    }
    f.root_position = Eigen::Vector3d(v[0], v[1], v[2]);
    f.root_orientation = unit_quaternion(path, row, rk, v[3], v[4], v[5], v[6]);
    m.frames.push_back(std::move(f));
  }
  return m;
}

void save_motion_json(const std::string& path, const ReferenceMotion& m) {
  if (m.frames.empty()) throw InputError(path, kFrames, "cannot write a motion without frames");
  if (!(m.frame_duration > 0) || !std::isfinite(m.frame_duration))
    throw InputError(path, kFrameDuration, "cannot write frame duration " + json_number(m.frame_duration) + "; expected > 0 s");
  const size_t nq = m.frames[0].q.size();
  std::ostringstream out;
  out << "{\n";
  out << "\"" << kLoopMode << "\": \"" << (m.loop == ReferenceMotion::Loop::Wrap ? "Wrap" : "Clamp") << "\",\n";
  out << "\"" << kFrameDuration << "\": " << json_number(m.frame_duration) << ",\n";
  out << "\"" << kOffsetPos << "\": " << (m.cycle_offset_position ? "true" : "false") << ",\n";
  out << "\"" << kOffsetRot << "\": " << (m.cycle_offset_rotation ? "true" : "false") << ",\n";
  out << "\"" << kFrames << "\":\n[\n";
  for (size_t i = 0; i < m.frames.size(); ++i) {
    const MotionFrame& f = m.frames[i];
    const std::string rk = std::string(kFrames) + "[" + std::to_string(i) + "]";
    if (f.q.size() != nq)
      throw InputError(path, rk, "cannot write frames of different widths: " + std::to_string(f.q.size()) +
                                     " joints here, " + std::to_string(nq) + " in frame 0");
    const Eigen::Quaterniond& q = f.root_orientation;
    std::vector<double> row = {f.root_position.x(), f.root_position.y(), f.root_position.z(), q.x(), q.y(), q.z(), q.w()};
    row.insert(row.end(), f.q.begin(), f.q.end());
    out << "  [";
    for (size_t j = 0; j < row.size(); ++j) {
      if (!std::isfinite(row[j]))
        throw InputError(path, rk + "[" + std::to_string(j) + "]", std::string("cannot write a non-finite number (") + (std::isnan(row[j]) ? "NaN" : row[j] > 0 ? "inf" : "-inf") + ")");
      out << (j ? ", " : "") << json_number(row[j]);
    }
    out << (i + 1 < m.frames.size() ? "],\n" : "]\n");
  }
  out << "]\n}\n";
  write_file_atomic(path, out.str());
}

}  // namespace tinywalk::sim
