// The firmware's control step: IMU sample -> checks -> observation -> int8
// policy -> post-processing -> OpenCat degrees, with the safety layer around it.
// The same code runs in the simulator's loop (firmware-in-the-loop), on a
// Cortex-M4 under QEMU and on the ATmega328P under simavr.
//
// Const model, mutable data: ControllerModel (network + configuration) never
// changes; ControllerData holds everything a step changes. The caller owns all
// memory: controller_arena_bytes() tells how much scratch the network needs,
// the caller passes that many bytes; no heap anywhere.
//
// Safety, every step, before the policy runs:
//   - the IMU sample is decoded from IEEE-754 bits with integer code: NaN,
//     infinity, values out of range (|angle| > pi + 0.1 rad, |rate| > 35 rad/s,
//     |accel| > 160 m/s^2) or a sample older than max_imu_age_us, or one whose
//     timestamp did not advance, is a FAULT: the last safe command is held (the
//     policy does not run, its history is not fed) and imu_faults counts it;
//     fault_limit consecutive faults stop the policy (mode kFault) and command
//     the safe pose;
//   - fall: |roll| > fall_roll or |pitch| > fall_pitch -> kFallen;
//     lift: pitch below lift_pitch_min or above lift_pitch_max for lift_steps
//     consecutive steps -> kLifted; both command the safe pose and stop the
//     policy until a `start` command (and a level reading) re-arms it;
//   - watchdog: a step that begins later than control_period_us +
//     deadline_slack_us after the previous one counts a deadline miss; after
//     deadline_limit consecutive misses the policy stops (kFault).
// Modes: kIdle (after init / `stop`: safe pose), kRunning, kFallen, kLifted, kFault.
//
// Freestanding C++: no heap, no exceptions, no RTTI; <stdint.h>/<stddef.h> only.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "robot_fw/network.h"
#include "robot_fw/observation.h"
#include "robot_fw/opencat_serial.h"
#include "robot_fw/postprocess.h"

namespace tinywalk {
namespace fw {

struct SafetyConfig {
  int32_t fall_roll;        // 1e-4 rad (OpenCat: 90 deg)
  int32_t fall_pitch;       // 1e-4 rad
  int32_t lift_pitch_min;   // 1e-4 rad (OpenCat: -50 deg)
  int32_t lift_pitch_max;   // 1e-4 rad (OpenCat: +75 deg)
  uint16_t lift_steps;      // consecutive steps beyond the lift limits
  uint16_t fault_limit;     // consecutive IMU faults before kFault
  uint16_t deadline_limit;  // consecutive missed deadlines before kFault
  uint32_t max_imu_age_us;  // older samples are stale
  uint32_t deadline_slack_us;
  int16_t safe_pose_deg[kOpenCatJointCount];  // OpenCat frame, the pose for kIdle/kFallen/kLifted/kFault
};

struct ControllerConfig {
  uint32_t control_period_us;
  ObservationConfig obs;
  PostprocessConfig post;
  SafetyConfig safety;
  // What the observation's last_action history holds (cdeg, policy frame):
  //   kHistorySent   the post-processed command the firmware sent (what the servos follow);
  //   kHistoryPolicy the policy's own target before post-processing (stage 1), as in training,
  //                  where the policy's output was the command.
  uint8_t history_source;
};
constexpr uint8_t kHistorySent = 0, kHistoryPolicy = 1;

// The inference the control step calls. nullptr = the reference network_run (robot_fw/network.h).
// An optimised kernel (e.g. the AVR build's, reading flash with LPM and using MULS) is passed
// here and must be bit-exact with the reference (tests/fw/test_int8_kernels.cpp, golden vectors).
using InferenceFn = NetStatus (*)(const NetworkView& net, const int8_t* input, int8_t* output, int8_t* scratch, size_t scratch_bytes);

struct ControllerModel {
  const NetworkView* net;
  const ControllerConfig* cfg;
  InferenceFn infer;  // nullptr: network_run
};

enum class Mode : uint8_t { kIdle = 0, kRunning, kFallen, kLifted, kFault };
const char* mode_name(Mode m);

// What the IMU driver hands over (MPU6050 DMP values converted to SI by the HAL driver).
struct ImuSample {
  float rpy[3];            // rad: roll, pitch, yaw
  float gyro[3];           // rad/s: body rates
  float accel[3];          // m/s^2
  uint32_t timestamp_us;   // HAL clock when the sample was taken
};

enum class ImuCheck : uint8_t { kOk = 0, kNotFinite, kOutOfRange, kStale };
// Decodes and checks one sample (integer code on the float bits; no float arithmetic).
ImuCheck imu_decode(const ImuSample& s, uint32_t now_us, uint32_t max_age_us, SensorFrame& out);
// round(x * scale) from the IEEE-754 bits of x, ties away from zero; false for NaN/inf or
// a result beyond +-limit.
bool float_bits_to_fixed(uint32_t bits, int32_t scale, int32_t limit, int32_t* out);

struct ControllerData {
  Mode mode;
  ObservationState obs;
  PostprocessState post;
  int16_t deg[kOpenCatJointCount];    // last command sent, OpenCat frame (integer degrees)
  int32_t last_action_cdeg[kMaxJoints];  // last command sent, policy frame
  int8_t* input;                      // [inputs] in the arena
  int8_t* output;                     // [outputs] in the arena
  int8_t* scratch;                    // 2 x max_width in the arena
  size_t scratch_bytes;
  uint32_t last_step_us, last_imu_us;
  bool have_step, have_imu;
  uint16_t consecutive_faults, consecutive_misses, lift_count;
  uint32_t steps, policy_steps, imu_faults, deadline_misses, safe_stops;
  ImuCheck last_fault;
};

enum class CtlStatus : uint8_t { kOk = 0, kBadModel, kArenaTooSmall, kNullPointer };

// Bytes of arena controller_init needs (input + output + network scratch).
size_t controller_arena_bytes(const ControllerModel& m);
// Validates the model, carves the arena, enters kIdle with the safe pose commanded.
CtlStatus controller_init(const ControllerModel& m, ControllerData& d, uint8_t* arena, size_t arena_bytes);
// Starts the policy (a new episode: histories and filters reseeded from the standing pose).
void controller_start(const ControllerModel& m, ControllerData& d);
// Stops the policy: safe pose, kIdle.
void controller_stop(const ControllerModel& m, ControllerData& d);

struct StepResult {
  Mode mode;
  bool ran_policy;       // the network ran this step
  bool imu_fault;        // the sample was rejected (command held)
  bool deadline_miss;
  const int16_t* deg;    // kOpenCatJointCount OpenCat degrees to send (d.deg)
};
// One control step at time now_us (HAL clock, wraps every 71 minutes: differences are modular).
StepResult controller_step(const ControllerModel& m, ControllerData& d, const ImuSample& imu, uint32_t now_us);

// Applies a parsed serial command: start, stop; status / telemetry are answered by the caller
// with controller_format_status / controller_format_telemetry.
void controller_command(const ControllerModel& m, ControllerData& d, ParserEvent e);
// "mode=running steps=123 policy=120 faults=0 misses=0 stops=0\n"; returns bytes written (<= cap).
size_t controller_format_status(const ControllerData& d, char* buf, size_t cap);
// "t <deg8> ... <deg15>\n" (the leg joints); returns bytes written.
size_t controller_format_telemetry(const ControllerData& d, char* buf, size_t cap);

// ---- The HAL: what the firmware needs from a board (or from the simulator) ----
class Hal {
 public:
  virtual bool read_imu(ImuSample& out) = 0;                 // false: no sample (counts as stale)
  virtual void write_servos(const int16_t* deg16) = 0;       // OpenCat frame, integer degrees
  virtual uint32_t micros() = 0;                             // monotonic, wraps
  virtual int serial_read() = 0;                             // next byte, or -1
  virtual void serial_write(const uint8_t* bytes, size_t n) = 0;
 protected:
  ~Hal() = default;
};

// One period of the firmware's main loop over a HAL: serial commands, IMU, step, servos,
// replies. Returns the step's result.
StepResult firmware_tick(const ControllerModel& m, ControllerData& d, Hal& hal, ParserState& parser);

}  // namespace fw
}  // namespace tinywalk
