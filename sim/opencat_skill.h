// OpenCat gait skills (Petoi firmware, InstinctBittle.h-style headers): read
// and write them as C array text and as raw bytes, and convert them to and
// from a ReferenceMotion in the robot's joint order.
//
// A gait skill is an int8 array:
//   byte 0      frame count n (1..127; a negative count is a behaviour, and a
//               1-frame array of 16 angles is a posture: neither is a gait)
//   byte 1, 2   expected body roll and pitch, deg (int8)
//   byte 3      angle ratio r (>= 1): stored angle x r = degrees (OpenCat
//               stores angles halved, r = 2, when some exceed the int8 range)
//   then n frames of 8 stored angles for firmware joint indices 8..15, in
//   index order (8-11 shoulders LF, RF, RB, LB; 12-15 knees in the same order)
// so 4 + 8 n bytes. In C text:
//   const int8_t wkF[] PROGMEM = {
//     2, 0, 0, 1,
//     30, 30, 30, 30, 30, 30, 30, 30,
//     35, 25, 35, 25, 25, 35, 25, 35,
//   };
//
// Robot joint i maps to firmware index RobotConfig::firmware_index[i] (Bittle:
// [9, 13, 8, 12, 10, 14, 11, 15], so robot joint 0 = FR shoulder = index 9)
// with firmware degrees = firmware_direction[i] * rad * 180 / pi.
//
// Serial note: binary serial commands end with '~' (byte 126), so angles sent
// over the serial link (I/M/L commands) must stay at or below 125. Skills
// stored in flash have no such restriction and are not checked for it here.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "sim/reference_motion.h"
#include "sim/robot_config.h"

namespace tinywalk::sim {

// A gait skill. The frame count of the array header is angles.size() (not
// stored twice, so it can never disagree); valid skills have 1..127 frames.
struct OpenCatSkill {
  std::string name;              // C identifier, e.g. "wkF" (run on the robot with "kwkF")
  int8_t roll = 0;               // deg, expected body roll (header byte 1)
  int8_t pitch = 0;              // deg, expected body pitch (header byte 2)
  uint8_t angle_ratio = 1;       // header byte 3, 1..127: degrees = stored x angle_ratio
  std::vector<std::array<int8_t, 8>> angles;  // [frame][firmware index - 8], stored units

  int frames() const { return static_cast<int>(angles.size()); }
  int byte_size() const { return 4 + 8 * frames(); }
  // Firmware degrees of one frame and firmware index (8..15).
  int degrees(int frame, int firmware_index) const;
  bool operator==(const OpenCatSkill& o) const;
  bool operator!=(const OpenCatSkill& o) const { return !(*this == o); }
};

// OpenCat's per-index angle limits (deg, inclusive) for the leg indices 8..15:
// front shoulders 8, 9: [-200, 80]; rear shoulders and knees 10..15: [-80, 200].
struct FirmwareAngleRange {
  int min, max;
};
FirmwareAngleRange firmware_angle_limits(int firmware_index);

// --- C array text ---------------------------------------------------------

// Parses one gait array from C source text (a whole InstinctBittle.h-style
// header is fine). name "" = the text must hold exactly one array; otherwise
// the array of that name is read and the others (postures, behaviours,
// pointer tables) are skipped. Comments and preprocessor lines are ignored.
// source names the text in errors (a file path). InputError naming source,
// "line L, column C", the array and what was expected: no / several arrays,
// unknown name, non-integer or out-of-int8 values, a behaviour (negative
// count) or posture, a count that does not match the number of values
// (4 + 8 n), angle ratio < 1.
OpenCatSkill parse_skill_text(const std::string& text, const std::string& source, const std::string& name = "");
// Same, reading the file at path.
OpenCatSkill load_skill_text(const std::string& path, const std::string& name = "");
// The skill as a C array declaration (const int8_t <name>[] PROGMEM = {...};),
// header on the first line, one frame per line. parse_skill_text(skill_to_text(s))
// == s. Throws InputError (source = s.name) if s is not a valid skill (see
// check_skill).
std::string skill_to_text(const OpenCatSkill& s);
void save_skill_text(const std::string& path, const OpenCatSkill& s);  // atomic

// --- raw bytes --------------------------------------------------------------

// The 4 + 8 n bytes exactly as stored in flash. name is not part of the bytes.
// InputError naming source and the byte offset: fewer than 4 bytes, a
// behaviour / posture / zero count, a size that is not 4 + 8 n, ratio 0.
OpenCatSkill skill_from_bytes(const std::vector<uint8_t>& bytes, const std::string& name, const std::string& source = "");
OpenCatSkill load_skill_bytes(const std::string& path, const std::string& name);
std::vector<uint8_t> skill_to_bytes(const OpenCatSkill& s);  // InputError if !valid (check_skill)
void save_skill_bytes(const std::string& path, const OpenCatSkill& s);  // atomic

// InputError (file = source) unless: name is a C identifier, 1..127 frames,
// angle_ratio in 1..127 (it is an int8 in the array).
void check_skill(const OpenCatSkill& s, const std::string& source = "");

// --- ReferenceMotion conversion --------------------------------------------

// The skill as a looping motion (Loop::Wrap) in the robot's joint order, rad:
// frames 0..n-1 of the skill at `frame_duration` s each, plus a closing copy
// of frame 0 (motion_imitation's convention: the last frame of a Wrap clip is
// the first of the next cycle), so the motion has n + 1 frames and lasts
// n * frame_duration. OpenCat gaits carry no timing: the firmware plays one
// frame per loop pass, so frame_duration is the caller's choice; 1/30 s is an
// assumption of roughly that pace. The root is fixed at the origin, level
// (identity orientation): skills hold joint angles only; the header's roll and
// pitch are not applied. robot supplies firmware_index (a permutation of
// 8..15, one per joint, 8 joints) and firmware_direction (+1/-1 per joint;
// empty = all +1); InputError naming "firmware_index" otherwise.
ReferenceMotion skill_to_motion(const OpenCatSkill& s, const RobotConfig& robot, double frame_duration = 1.0 / 30.0);

struct SkillFromMotionOptions {
  std::string name = "custom";  // C identifier of the skill
  int frames = 0;               // skill frames; 0 = one per motion frame (Wrap: frames - 1, the closing frame dropped)
  int8_t roll = 0, pitch = 0;   // deg, header
  uint8_t angle_ratio = 1;      // 1..127; angles are rounded to whole multiples of it (deg)
  int max_bytes = 400;          // 4 + 8 frames must not exceed this (about 400 on the ATmega NyBoard)
  std::string source;           // names the motion in error messages (e.g. its file)
};

// Resamples m's joint angles (linear interpolation between frames; root
// ignored) to opt.frames evenly spaced samples: Wrap, period = m.duration():
// sample k at k * duration / frames (the end is the next cycle's start);
// Clamp: k * duration / (frames - 1), both ends included. Each angle becomes
// firmware degrees, rounded to the nearest whole multiple of angle_ratio.
// Nothing is clamped: InputError (file = opt.source) naming the skill frame and
// the joint (name and firmware index) if a value is not finite, does not fit
// int8 after dividing by the ratio, or is outside firmware_angle_limits; and
// if 4 + 8 frames > max_bytes (suggesting the largest frame count that fits),
// frames > 127, m has no frames or not 8 joints, or the firmware map is bad.
OpenCatSkill motion_to_skill(const ReferenceMotion& m, const RobotConfig& robot, const SkillFromMotionOptions& opt = {});

}  // namespace tinywalk::sim
