// Hobby position servos (Petoi P1S by default), one bank for all joints.
//
// Model, per joint, evaluated every physics step:
//   command path: a command is rounded to `resolution`, then becomes active
//     `latency` seconds after it was sent. With `blocking_moves` (OpenCat),
//     the setpoint moves to an active command by a cosine-interpolated move of
//     all joints together lasting max(min_move_time, max|delta| / move_speed);
//     a command that becomes active mid-move waits (newest wins) until the
//     move ends. Without it the setpoint jumps to the active command.
//   torque: e = setpoint - q, shrunk by `dead_band` (no P torque inside it);
//     tau = s kp e - s kd_eff qd, where s is the per-joint motor strength and
//     kd_eff = kd I / (I + dt s kd) integrates the damping implicitly with the
//     joint's inertia I (stable on the very light legs of a toy robot; equals
//     kd when I >> dt kd).
//   limits: a linear torque-speed curve: torque in the direction of motion
//     is at most s stall_torque (1 - |qd| / no_load_speed), evaluated
//     implicitly; braking torque is at most s stall_torque.
// Units: rad, rad/s, N m, s. Arrays are in the robot's joint order.
#pragma once

#include <deque>
#include <vector>

#include "sim/robot_config.h"

namespace tinywalk::sim {

struct ServoBankState {
  struct Pending {
    double active_at;             // s, when the command takes effect
    std::vector<double> target;   // rad, quantized
  };
  std::deque<Pending> in_flight;  // commands not yet active, oldest first
  std::vector<double> setpoint;   // rad, what the PD loop tracks now
  std::vector<double> active;     // rad, newest active command
  // blocking moves
  bool moving = false;
  double move_start = 0, move_time = 0;
  std::vector<double> move_from, move_to;
  bool has_waiting = false;
  std::vector<double> waiting;    // command waiting for the current move to end
  // last torques, for logging and tests
  std::vector<double> torque;     // N m
};

class ServoBank {
 public:
  // strength: per-joint motor strength multiplier (empty = 1); extra_latency: s, added to params.latency.
  ServoBank(const ServoParams& params, int num_joints, std::vector<double> strength = {}, double extra_latency = 0);

  // Starts at rest holding `q` (the current joint angles).
  void reset(ServoBankState& state, const std::vector<double>& q) const;
  // Sends a command (rad per joint) at time t (s).
  void command(ServoBankState& state, double t, const double* target) const;
  // Advances the command path to time t and computes torques (N m) for a physics step of dt.
  // inertia: per-joint effective inertia about the axis, kg m^2.
  void torques(ServoBankState& state, double t, double dt, const double* q, const double* qd, const double* inertia,
               double* tau) const;

  double quantize(double target) const;
  double latency() const { return latency_; }
  const ServoParams& params() const { return params_; }

 private:
  void start_move(ServoBankState& state, double t, const std::vector<double>& to) const;
  ServoParams params_;
  int n_;
  std::vector<double> strength_;
  double latency_;
};

}  // namespace tinywalk::sim
