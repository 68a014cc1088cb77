// OpenCat gait skills: C text (a small tokenizer that finds `name[...] ... = {`
// array initialisers), raw bytes, and conversion to / from ReferenceMotion via
// the robot's firmware index map.
#include "sim/opencat_skill.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "common/atomic_file.h"
#include "common/error.h"
#include "common/json.h"

namespace tinywalk::sim {

namespace {

constexpr int kFirstIndex = 8;  // firmware index of skill column 0

// ---- helpers ----------------------------------------------------------------

bool is_identifier(const std::string& s) {
  if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  return true;
}

std::string fixed2(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

std::string line_col(const std::string& text, size_t pos) {
  int line = 1, col = 1;
  for (size_t i = 0; i < pos && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return "line " + std::to_string(line) + ", column " + std::to_string(col);
}

// ---- C tokenizer ------------------------------------------------------------

struct Tok {
  enum Kind { Ident, Number, String, Punct } kind;
  std::string text;
  size_t pos;  // byte offset in the text
};

std::vector<Tok> tokenize(const std::string& t, const std::string& source) {
  std::vector<Tok> out;
  size_t i = 0, n = t.size();
  bool line_start = true;  // only whitespace since the last newline
  while (i < n) {
    const char c = t[i];
    if (c == '\n') {
      line_start = true;
      ++i;
    } else if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (c == '#' && line_start) {  // preprocessor line, with \ continuations
      while (i < n && t[i] != '\n') i += (t[i] == '\\' && i + 1 < n) ? 2 : 1;
    } else if (c == '/' && i + 1 < n && t[i + 1] == '/') {
      while (i < n && t[i] != '\n') ++i;
    } else if (c == '/' && i + 1 < n && t[i + 1] == '*') {
      const size_t end = t.find("*/", i + 2);
      if (end == std::string::npos) throw InputError(source, line_col(t, i), "unterminated /* comment");
      i = end + 2;
    } else {
      line_start = false;
      const size_t start = i;
      if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
        while (i < n && (std::isalnum(static_cast<unsigned char>(t[i])) || t[i] == '_')) ++i;
        out.push_back({Tok::Ident, t.substr(start, i - start), start});
      } else if (std::isdigit(static_cast<unsigned char>(c))) {
        while (i < n && (std::isalnum(static_cast<unsigned char>(t[i])) || t[i] == '_' || t[i] == '.')) ++i;
        out.push_back({Tok::Number, t.substr(start, i - start), start});
      } else if (c == '"' || c == '\'') {
        ++i;
        while (i < n && t[i] != c && t[i] != '\n') i += (t[i] == '\\' && i + 1 < n) ? 2 : 1;
        if (i >= n || t[i] != c) throw InputError(source, line_col(t, start), "unterminated string or character literal");
        ++i;
        out.push_back({Tok::String, t.substr(start, i - start), start});
      } else {
        ++i;
        out.push_back({Tok::Punct, std::string(1, c), start});
      }
    }
  }
  return out;
}

bool is(const std::vector<Tok>& k, size_t i, const char* punct) {
  return i < k.size() && k[i].kind == Tok::Punct && k[i].text == punct;
}

struct ArrayDecl {
  std::string name;
  size_t name_tok, open, close;  // token indices: name, '{', matching '}'
};

// Every `ident [ ... ] words = { ... }` in the token stream.
std::vector<ArrayDecl> find_arrays(const std::vector<Tok>& k, const std::string& text, const std::string& source) {
  std::vector<ArrayDecl> out;
  for (size_t i = 0; i + 1 < k.size(); ++i) {
    if (k[i].kind != Tok::Ident || !is(k, i + 1, "[")) continue;
    size_t j = i + 2;
    while (j < k.size() && !is(k, j, "]") && !is(k, j, ";") && !is(k, j, "{")) ++j;
    if (!is(k, j, "]")) continue;
    ++j;
    while (j < k.size() && k[j].kind == Tok::Ident) ++j;  // PROGMEM and friends
    if (!is(k, j, "=") || !is(k, j + 1, "{")) continue;
    const size_t open = j + 1;
    int depth = 0;
    size_t close = open;
    for (; close < k.size(); ++close) {
      if (is(k, close, "{")) ++depth;
      if (is(k, close, "}") && --depth == 0) break;
    }
    if (close >= k.size()) throw InputError(source, line_col(text, k[open].pos), "array '" + k[i].text + "': missing closing '}'");
    out.push_back({k[i].text, i, open, close});
    i = close;
  }
  return out;
}

// ---- shared validation of the decoded header / values -----------------------

// Checks the frame count and total value count; `at(i)` names the position of
// value i in errors. Returns the frame count.
template <class At>
int check_layout(const std::string& source, const std::string& what, int count, int ratio, size_t total, At at) {
  if (count < 0)
    throw InputError(source, at(0),
                     what + ": frame count " + std::to_string(count) +
                         " is negative, which OpenCat uses for a behaviour (a posture/action sequence), not a gait; "
                         "only gaits (positive frame count, 8 leg angles per frame) are supported");
  if (count == 0) throw InputError(source, at(0), what + ": frame count is 0; expected a gait of 1..127 frames");
  if (count == 1 && total == 4 + 16)
    throw InputError(source, at(0),
                     what + ": a posture (1 frame of 16 joint angles), not a gait; only gaits "
                            "(8 leg angles per frame, firmware indices 8..15) are supported");
  const size_t want = 4 + 8 * static_cast<size_t>(count);
  if (total != want)
    throw InputError(source, at(total < want ? total : want),
                     what + ": frame count " + std::to_string(count) + " needs 4 + 8 x " + std::to_string(count) + " = " +
                         std::to_string(want) + " values, got " + std::to_string(total));
  if (total > 3 && ratio < 1)
    throw InputError(source, at(3), what + ": angle ratio " + std::to_string(ratio) + "; expected >= 1 (degrees = stored x ratio)");
  return count;
}

// ---- firmware map ------------------------------------------------------------

struct FirmwareMap {
  std::vector<int> column;     // robot joint -> skill column (firmware index - 8)
  std::vector<int> direction;  // robot joint -> +1/-1
  std::vector<std::string> names;
};

FirmwareMap firmware_map(const RobotConfig& r) {
  const std::string who = "robot '" + r.name + "'";
  if (r.firmware_index.size() != 8)
    throw InputError("", "firmware_index",
                     who + ": expected 8 firmware indices (one per leg joint, 8..15) for an OpenCat skill, got " +
                         std::to_string(r.firmware_index.size()));
  if (!r.firmware_direction.empty() && r.firmware_direction.size() != 8)
    throw InputError("", "firmware_direction", who + ": expected 8 entries (+1/-1), got " + std::to_string(r.firmware_direction.size()));
  FirmwareMap m;
  std::array<bool, 8> used{};
  for (int i = 0; i < 8; ++i) {
    const int idx = r.firmware_index[i];
    if (idx < kFirstIndex || idx > kFirstIndex + 7 || used[idx - kFirstIndex])
      throw InputError("", "firmware_index[" + std::to_string(i) + "]",
                       who + ": expected each of the leg indices 8..15 exactly once, got " + std::to_string(idx));
    used[idx - kFirstIndex] = true;
    m.column.push_back(idx - kFirstIndex);
    const int d = r.firmware_direction.empty() ? 1 : r.firmware_direction[i];
    if (d != 1 && d != -1)
      throw InputError("", "firmware_direction[" + std::to_string(i) + "]", who + ": expected +1 or -1, got " + std::to_string(d));
    m.direction.push_back(d);
    m.names.push_back(r.joints.size() == 8 ? r.joints[i] : "joint " + std::to_string(i));
  }
  return m;
}

}  // namespace

// ---- OpenCatSkill -------------------------------------------------------------

int OpenCatSkill::degrees(int frame, int firmware_index) const {
  TW_CHECK(frame >= 0 && frame < frames(), "skill frame out of range");
  TW_CHECK(firmware_index >= kFirstIndex && firmware_index < kFirstIndex + 8, "firmware index must be 8..15");
  return angles[frame][firmware_index - kFirstIndex] * static_cast<int>(angle_ratio);
}

bool OpenCatSkill::operator==(const OpenCatSkill& o) const {
  return name == o.name && roll == o.roll && pitch == o.pitch && angle_ratio == o.angle_ratio && angles == o.angles;
}

FirmwareAngleRange firmware_angle_limits(int firmware_index) {
  TW_CHECK(firmware_index >= kFirstIndex && firmware_index < kFirstIndex + 8, "firmware index must be 8..15");
  if (firmware_index <= 9) return {-200, 80};
  return {-80, 200};
}

void check_skill(const OpenCatSkill& s, const std::string& source) {
  if (!is_identifier(s.name)) throw InputError(source, "name", "expected a C identifier as the skill name, got '" + s.name + "'");
  if (s.frames() < 1 || s.frames() > 127)
    throw InputError(source, s.name, "expected 1..127 frames (the count is an int8), got " + std::to_string(s.frames()));
  if (s.angle_ratio < 1 || s.angle_ratio > 127)
    throw InputError(source, s.name, "expected an angle ratio in 1..127 (an int8 in the array), got " + std::to_string(s.angle_ratio));
}

// ---- text -----------------------------------------------------------------------

OpenCatSkill parse_skill_text(const std::string& text, const std::string& source, const std::string& name) {
  const std::vector<Tok> k = tokenize(text, source);
  const std::vector<ArrayDecl> arrays = find_arrays(k, text, source);
  const ArrayDecl* a = nullptr;
  if (name.empty()) {
    if (arrays.empty()) throw InputError(source, "", "no C array initialiser (name[] = { ... };) found; expected one OpenCat skill");
    if (arrays.size() > 1) {
      std::string names;
      for (size_t i = 0; i < arrays.size() && i < 8; ++i) names += (i ? ", " : "") + arrays[i].name;
      if (arrays.size() > 8) names += ", ...";
      throw InputError(source, "", "holds " + std::to_string(arrays.size()) + " arrays (" + names + "); name the skill to read");
    }
    a = &arrays[0];
  } else {
    for (const auto& d : arrays)
      if (d.name == name) {
        if (a) throw InputError(source, line_col(text, k[d.name_tok].pos), "array '" + name + "' is defined twice");
        a = &d;
      }
    if (!a) throw InputError(source, "", "no array named '" + name + "'");
  }
  const std::string what = "skill '" + a->name + "'";

  // Values: [+-] integer, comma separated, optional trailing comma.
  std::vector<int> v;
  std::vector<size_t> pos;
  for (size_t i = a->open + 1; i < a->close;) {
    const size_t start = k[i].pos;
    int sign = 1;
    while (is(k, i, "-") || is(k, i, "+")) sign *= is(k, i++, "-") ? -1 : 1;
    if (i >= a->close || k[i].kind != Tok::Number)
      throw InputError(source, line_col(text, i < k.size() ? k[i].pos : start),
                       what + ": expected an integer, got '" + (i < a->close ? k[i].text : std::string("}")) + "'");
    const std::string& s = k[i].text;
    bool digits = true;
    for (char c : s) digits = digits && std::isdigit(static_cast<unsigned char>(c));
    if (!digits || s.size() > 6)
      throw InputError(source, line_col(text, k[i].pos), what + ": expected a decimal integer in [-128, 127], got '" + s + "'");
    const int x = sign * std::stoi(s);
    if (x < -128 || x > 127)
      throw InputError(source, line_col(text, start), what + ": value " + std::to_string(x) + " does not fit an int8 [-128, 127]");
    v.push_back(x);
    pos.push_back(start);
    ++i;
    if (i < a->close && !is(k, i, ","))
      throw InputError(source, line_col(text, k[i].pos), what + ": expected ',' between values, got '" + k[i].text + "'");
    if (i < a->close) ++i;
  }
  if (v.empty()) throw InputError(source, line_col(text, k[a->open].pos), what + ": empty array; expected a 4-value header and frames");
  auto at = [&](size_t i) { return line_col(text, i < pos.size() ? pos[i] : k[a->close].pos); };
  const int n = check_layout(source, what, v[0], v.size() > 3 ? v[3] : 1, v.size(), at);

  OpenCatSkill s;
  s.name = a->name;
  s.roll = static_cast<int8_t>(v[1]);
  s.pitch = static_cast<int8_t>(v[2]);
  s.angle_ratio = static_cast<uint8_t>(v[3]);
  s.angles.resize(n);
  for (int f = 0; f < n; ++f)
    for (int j = 0; j < 8; ++j) s.angles[f][j] = static_cast<int8_t>(v[4 + 8 * f + j]);
  return s;
}

OpenCatSkill load_skill_text(const std::string& path, const std::string& name) {
  return parse_skill_text(read_file(path), path, name);
}

std::string skill_to_text(const OpenCatSkill& s) {
  check_skill(s, s.name);
  std::ostringstream out;
  char buf[16];
  out << "const int8_t " << s.name << "[] PROGMEM = {\n";
  out << "  " << s.frames() << ", " << int(s.roll) << ", " << int(s.pitch) << ", " << int(s.angle_ratio) << ",\n";
  for (const auto& f : s.angles) {
    out << " ";
    for (int8_t a : f) {
      std::snprintf(buf, sizeof buf, "%5d,", int(a));
      out << buf;
    }
    out << "\n";
  }
  out << "};\n";
  return out.str();
}

void save_skill_text(const std::string& path, const OpenCatSkill& s) { write_file_atomic(path, skill_to_text(s)); }

// ---- bytes ----------------------------------------------------------------------

OpenCatSkill skill_from_bytes(const std::vector<uint8_t>& b, const std::string& name, const std::string& source) {
  const std::string what = "skill '" + name + "'";
  if (b.size() < 4)
    throw InputError(source, "byte " + std::to_string(b.size()),
                     what + ": " + std::to_string(b.size()) + " bytes; expected a 4-byte header (frames, roll, pitch, angle ratio) and frames");
  auto at = [](size_t i) { return "byte " + std::to_string(i); };
  const int n = check_layout(source, what, static_cast<int8_t>(b[0]), b[3], b.size(), at);
  OpenCatSkill s;
  s.name = name;
  s.roll = static_cast<int8_t>(b[1]);
  s.pitch = static_cast<int8_t>(b[2]);
  s.angle_ratio = b[3];
  s.angles.resize(n);
  for (int f = 0; f < n; ++f)
    for (int j = 0; j < 8; ++j) s.angles[f][j] = static_cast<int8_t>(b[4 + 8 * f + j]);
  check_skill(s, source);
  return s;
}

OpenCatSkill load_skill_bytes(const std::string& path, const std::string& name) {
  const std::string data = read_file(path);
  return skill_from_bytes(std::vector<uint8_t>(data.begin(), data.end()), name, path);
}

std::vector<uint8_t> skill_to_bytes(const OpenCatSkill& s) {
  check_skill(s, s.name);
  std::vector<uint8_t> b = {static_cast<uint8_t>(s.frames()), static_cast<uint8_t>(s.roll), static_cast<uint8_t>(s.pitch), s.angle_ratio};
  for (const auto& f : s.angles)
    for (int8_t a : f) b.push_back(static_cast<uint8_t>(a));
  return b;
}

void save_skill_bytes(const std::string& path, const OpenCatSkill& s) {
  const std::vector<uint8_t> b = skill_to_bytes(s);
  write_file_atomic(path, std::string(b.begin(), b.end()));
}

// ---- ReferenceMotion ------------------------------------------------------------

ReferenceMotion skill_to_motion(const OpenCatSkill& s, const RobotConfig& robot, double frame_duration) {
  TW_CHECK(frame_duration > 0, "skill_to_motion: frame_duration must be > 0");
  check_skill(s, s.name);
  const FirmwareMap map = firmware_map(robot);
  ReferenceMotion m;
  m.loop = ReferenceMotion::Loop::Wrap;
  m.frame_duration = frame_duration;
  for (int f = 0; f <= s.frames(); ++f) {  // the last one closes the loop
    MotionFrame mf;  // root at the origin, identity orientation
    mf.q.resize(8);
    for (int i = 0; i < 8; ++i)
      mf.q[i] = map.direction[i] * s.degrees(f % s.frames(), kFirstIndex + map.column[i]) * (M_PI / 180.0);
    m.frames.push_back(std::move(mf));
  }
  return m;
}

OpenCatSkill motion_to_skill(const ReferenceMotion& m, const RobotConfig& robot, const SkillFromMotionOptions& opt) {
  const std::string& src = opt.source;
  if (m.frames.empty()) throw InputError(src, "", "motion has no frames; cannot make a skill");
  if (m.num_joints() != 8)
    throw InputError(src, "", "motion has " + std::to_string(m.num_joints()) + " joints; an OpenCat gait skill needs 8 (firmware indices 8..15)");
  const FirmwareMap map = firmware_map(robot);
  const bool wrap = m.loop == ReferenceMotion::Loop::Wrap;
  const int nm = static_cast<int>(m.frames.size());
  const int n = opt.frames > 0 ? opt.frames : (wrap && nm > 1 ? nm - 1 : nm);
  const int bytes = 4 + 8 * n;
  if (bytes > opt.max_bytes)
    throw InputError(src, "",
                     std::to_string(n) + " frames need 4 + 8 x " + std::to_string(n) + " = " + std::to_string(bytes) +
                         " bytes, over the limit of " + std::to_string(opt.max_bytes) +
                         " bytes per skill (ATmega flash); use at most " + std::to_string(std::max(0, (opt.max_bytes - 4) / 8)) +
                         " frames");
  if (n > 127) throw InputError(src, "", std::to_string(n) + " frames; an OpenCat skill holds at most 127 (the count is an int8)");

  OpenCatSkill s;
  s.name = opt.name;
  s.roll = opt.roll;
  s.pitch = opt.pitch;
  s.angle_ratio = opt.angle_ratio;
  if (!is_identifier(s.name)) throw InputError(src, "name", "expected a C identifier as the skill name, got '" + s.name + "'");
  if (s.angle_ratio < 1 || s.angle_ratio > 127)
    throw InputError(src, "angle_ratio", "expected 1..127, got " + std::to_string(s.angle_ratio));
  const int ratio = s.angle_ratio;

  const double duration = (nm - 1) * m.frame_duration;
  s.angles.resize(n);
  for (int f = 0; f < n; ++f) {
    // Sample time and linear interpolation of the joint angles.
    const double t = (n == 1) ? 0.0 : f * duration / (wrap ? n : n - 1);
    double u = nm == 1 ? 0.0 : std::min(t / m.frame_duration, double(nm - 1));
    if (std::fabs(u - std::round(u)) < 1e-9) u = std::round(u);  // exactly on a frame: no rounding noise
    const int i0 = std::min(static_cast<int>(std::floor(u)), nm - 1), i1 = std::min(i0 + 1, nm - 1);
    const double w = u - i0;
    for (int i = 0; i < 8; ++i) {
      const int index = kFirstIndex + map.column[i];
      const std::string where = "skill frame " + std::to_string(f) + " (t = " + json_number(t) + " s), joint " + map.names[i] +
                                " (firmware index " + std::to_string(index) + ")";
      const double rad = (1 - w) * m.frames[i0].q[i] + w * m.frames[i1].q[i];
      if (!std::isfinite(rad)) throw InputError(src, where, "angle is not a finite number");
      const double deg = map.direction[i] * rad * (180.0 / M_PI);
      const double stored = std::round(deg / ratio);
      if (stored < -128 || stored > 127)
        throw InputError(src, where,
                         fixed2(deg) + " deg / angle ratio " + std::to_string(ratio) + " = " + json_number(stored) +
                             " does not fit an int8 [-128, 127]; use a larger angle_ratio");
      const int fw = static_cast<int>(stored) * ratio;
      const FirmwareAngleRange lim = firmware_angle_limits(index);
      if (fw < lim.min || fw > lim.max)
        throw InputError(src, where,
                         std::to_string(fw) + " deg is outside the firmware's limit [" + std::to_string(lim.min) + ", " +
                             std::to_string(lim.max) + "] deg for index " + std::to_string(index));
      s.angles[f][map.column[i]] = static_cast<int8_t>(stored);
    }
  }
  return s;
}

}  // namespace tinywalk::sim
