#include "sim/servo.h"

#include <algorithm>
#include <cmath>

#include "common/error.h"

namespace tinywalk::sim {

ServoBank::ServoBank(const ServoParams& params, int num_joints, std::vector<double> strength, double extra_latency)
    : params_(params), n_(num_joints), strength_(std::move(strength)), latency_(params.latency + extra_latency) {
  if (strength_.empty()) strength_.assign(n_, 1.0);
  TW_CHECK(static_cast<int>(strength_.size()) == n_, "one motor strength per joint");
}

double ServoBank::quantize(double target) const {
  if (params_.resolution <= 0) return target;
  return std::round(target / params_.resolution) * params_.resolution;
}

void ServoBank::reset(ServoBankState& s, const std::vector<double>& q) const {
  s = ServoBankState{};
  s.setpoint = q;
  s.active = q;
  s.move_from = q;
  s.move_to = q;
  s.waiting = q;
  s.torque.assign(n_, 0.0);
}

void ServoBank::command(ServoBankState& s, double t, const double* target) const {
  ServoBankState::Pending p{t + latency_, std::vector<double>(n_)};
  for (int j = 0; j < n_; ++j) p.target[j] = quantize(target[j]);
  s.in_flight.push_back(std::move(p));
}

void ServoBank::start_move(ServoBankState& s, double t, const std::vector<double>& to) const {
  double longest = 0;
  for (int j = 0; j < n_; ++j) longest = std::max(longest, std::fabs(to[j] - s.setpoint[j]));
  s.move_from = s.setpoint;
  s.move_to = to;
  s.move_start = t;
  s.move_time = std::max(params_.min_move_time, longest / params_.move_speed);
  s.moving = true;
}

void ServoBank::torques(ServoBankState& s, double t, double dt, const double* q, const double* qd,
                        const double* inertia, double* tau) const {
  constexpr double kEps = 1e-12;
  // Commands whose latency has elapsed become active.
  bool fresh = false;
  while (!s.in_flight.empty() && s.in_flight.front().active_at <= t + kEps) {
    s.active = std::move(s.in_flight.front().target);
    s.in_flight.pop_front();
    fresh = true;
  }
  // Setpoint: direct, or OpenCat-style blocking interpolated moves.
  if (!params_.blocking_moves) {
    s.setpoint = s.active;
  } else {
    if (fresh) {
      s.waiting = s.active;
      s.has_waiting = true;
    }
    if (s.moving && t >= s.move_start + s.move_time - kEps) {
      s.setpoint = s.move_to;
      s.moving = false;
    }
    if (!s.moving && s.has_waiting) {
      s.has_waiting = false;
      start_move(s, t, s.waiting);
    }
    if (s.moving) {
      double u = std::clamp((t - s.move_start) / s.move_time, 0.0, 1.0);
      double w = 0.5 * (1.0 - std::cos(M_PI * u));
      for (int j = 0; j < n_; ++j) s.setpoint[j] = s.move_from[j] + w * (s.move_to[j] - s.move_from[j]);
    }
  }
  // PD with implicit damping, then the implicit torque-speed limit.
  for (int j = 0; j < n_; ++j) {
    const double str = strength_[j];
    const double I = std::max(inertia[j], 1e-9);
    double e = s.setpoint[j] - q[j];
    const double db = params_.dead_band;
    e = std::fabs(e) <= db ? 0.0 : e - std::copysign(db, e);
    const double kd = str * params_.kd;
    const double kd_eff = kd * I / (I + dt * kd);
    double u = str * params_.kp * e - kd_eff * qd[j];
    const double stall = str * params_.stall_torque;
    const double w0 = params_.no_load_speed;
    const double soft = 1.0 + stall * dt / (I * w0);
    // Torque available along +q and -q: motoring is limited by the speed the
    // joint reaches by the end of this step; braking (still moving the other
    // way after the step) is not.
    const double reach = dt * stall / I;
    const double up = qd[j] + reach > 0 ? std::clamp(stall * (1.0 - qd[j] / w0) / soft, 0.0, stall) : stall;
    const double down = qd[j] - reach < 0 ? std::clamp(stall * (1.0 + qd[j] / w0) / soft, 0.0, stall) : stall;
    u = std::clamp(u, -down, up);
    tau[j] = u;
    s.torque[j] = u;
  }
}

}  // namespace tinywalk::sim
