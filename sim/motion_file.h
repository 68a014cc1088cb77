// Reference motions in the motion_imitation JSON format (Peng et al. 2020),
// read and written as a ReferenceMotion (sim/reference_motion.h).
//
//   {
//   "LoopMode": "Wrap",                      # "Wrap" (loop) or "Clamp" (hold the last frame)
//   "FrameDuration": 0.01667,                # s per frame, > 0
//   "EnableCycleOffsetPosition": true,       # optional, default false
//   "EnableCycleOffsetRotation": true,       # optional, default false
//   "MotionWeight": 0.5,                     # optional, accepted and ignored
//   "Frames":
//   [
//     [x, y, z, qx, qy, qz, qw, q_0, ..., q_{n-1}],   # one row per frame
//     ...
//   ]
//   }
//
// Each row: root position (m, world), root orientation quaternion with w LAST,
// then one angle per joint (rad, the robot's joint order: for Bittle FR
// shoulder, FR knee, FL shoulder, FL knee, RR ..., RL ...), so 7 + num_joints
// numbers (15 for Bittle).
#pragma once

#include <string>

#include "sim/reference_motion.h"

namespace tinywalk::sim {

// Reads a motion for a robot with num_joints (>= 1) joints. The file must be a
// JSON object (YAML block syntax is rejected). Strict: InputError naming the
// file, the line, the key or "Frames[i]" / "Frames[i][j]", and what was
// expected, for a missing or unreadable file, malformed JSON, a missing
// LoopMode / FrameDuration / Frames, a duplicate or unknown key (only the keys
// above are known), LoopMode other than "Wrap" / "Clamp" (case-sensitive, as
// motion_imitation reads it), FrameDuration <= 0, a non-boolean flag, zero
// frames, a row of the wrong width, a value that is not a finite number (NaN,
// Infinity, quoted strings), or a root quaternion of norm < 1e-6.
// Quaternions whose norm differs from 1 by more than 1e-12 are normalised;
// others are kept bit for bit (so load(save(m)) == m exactly).
ReferenceMotion load_motion_json(const std::string& path, int num_joints);

// Writes m atomically (AtomicFile) in the layout above, one frame per line,
// every number in its shortest round-trip form, so that
// load_motion_json(path, m.num_joints()) reproduces m exactly (bit for bit)
// when its quaternions are unit to 1e-12 (every loaded motion's are).
// InputError (naming path and "Frames[i][j]") if m has no frames, frames of
// different widths, a non-finite value or frame_duration <= 0: such a file
// could not be read back.
void save_motion_json(const std::string& path, const ReferenceMotion& m);

}  // namespace tinywalk::sim
