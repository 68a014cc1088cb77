#include "sim/imu.h"

#include <algorithm>
#include <cmath>

namespace tinywalk::sim {

namespace {
double wrap(double a) { return std::remainder(a, 2 * M_PI); }
}  // namespace

Imu::Imu(const ImuParams& params, double rpy_noise, uint64_t seed, double physics_dt)
    : params_(params), rpy_noise_(rpy_noise), dt_(physics_dt), rng_(seed) {
  const auto& m = params.mount_rpy;
  mount_ = (Eigen::AngleAxisd(m[2], Eigen::Vector3d::UnitZ()) * Eigen::AngleAxisd(m[1], Eigen::Vector3d::UnitY()) *
            Eigen::AngleAxisd(m[0], Eigen::Vector3d::UnitX()))
               .toRotationMatrix();
  for (int i = 0; i < 2; ++i) rpy_bias_[i] = params.rpy_bias * rng_.normal();
  for (int i = 0; i < 3; ++i) gyro_bias_[i] = params.gyro_bias * rng_.normal();
  // History long enough for the latency and the acceleration window.
  size_t n = static_cast<size_t>(std::ceil((params.latency + kAccelWindow) / physics_dt)) + 3;
  ring_.resize(n);
}

std::array<double, 3> Imu::rpy_of(const Eigen::Matrix3d& R) {
  return {std::atan2(R(2, 1), R(2, 2)), std::asin(std::clamp(-R(2, 0), -1.0, 1.0)), std::atan2(R(1, 0), R(0, 0))};
}

void Imu::reset(double t, const Eigen::Isometry3d& link_pose, const Eigen::Vector3d& link_omega,
                const Eigen::Vector3d& velocity) {
  count_ = 0;
  head_ = 0;
  record(t, link_pose, link_omega, velocity);
  yaw0_ = params_.yaw_relative ? rpy_of(ring_[head_].orientation.toRotationMatrix())[2] : 0.0;
}

void Imu::record(double t, const Eigen::Isometry3d& link_pose, const Eigen::Vector3d& link_omega,
                 const Eigen::Vector3d& velocity) {
  head_ = count_ == 0 ? 0 : (head_ + 1) % ring_.size();
  count_ = std::min(count_ + 1, ring_.size());
  ImuSample& s = ring_[head_];
  s.t = t;
  s.orientation = Eigen::Quaterniond(link_pose.linear() * mount_);
  s.omega = link_omega;
  s.velocity = velocity;
}

const ImuSample& Imu::sample_at(double t) const {
  // Newest sample at or before t; the oldest one if t predates the history.
  for (size_t k = 0; k < count_; ++k) {
    const ImuSample& s = ring_[(head_ + ring_.size() - k) % ring_.size()];
    if (s.t <= t + 1e-9) return s;
  }
  return ring_[(head_ + ring_.size() - (count_ - 1)) % ring_.size()];
}

ImuReading Imu::convert(const ImuSample& now, const ImuSample& before) const {
  ImuReading r;
  r.t = now.t;
  const Eigen::Matrix3d R = now.orientation.toRotationMatrix();
  r.rpy = rpy_of(R);
  r.rpy[2] = wrap(r.rpy[2] - yaw0_);
  const Eigen::Vector3d w = R.transpose() * now.omega;
  Eigen::Vector3d a = Eigen::Vector3d(0, 0, 9.81);
  if (now.t > before.t) a += (now.velocity - before.velocity) / (now.t - before.t);
  const Eigen::Vector3d f = R.transpose() * a;
  for (int i = 0; i < 3; ++i) {
    r.gyro[i] = w[i];
    r.accel[i] = f[i];
  }
  return r;
}

ImuReading Imu::read(double t) {
  const ImuSample& now = sample_at(t - params_.latency);
  ImuReading r = convert(now, sample_at(now.t - kAccelWindow));
  for (int i = 0; i < 3; ++i) {
    r.rpy[i] += (i < 2 ? rpy_bias_[i] : 0.0) + rpy_noise_ * rng_.normal();
    r.gyro[i] += gyro_bias_[i] + params_.gyro_noise * rng_.normal();
    r.accel[i] += params_.accel_noise * rng_.normal();
  }
  r.rpy[2] = wrap(r.rpy[2]);
  return r;
}

ImuReading Imu::truth() const {
  const ImuSample& now = ring_[head_];
  return convert(now, sample_at(now.t - kAccelWindow));
}

}  // namespace tinywalk::sim
