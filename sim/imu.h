// MPU6050-like IMU fixed to a body of the robot.
//
// The simulator records the true motion of the IMU frame every physics step
// (record()); read(t) returns what the sensor reports at time t: the sample
// taken `latency` seconds earlier, expressed in the sensor frame
// (link frame rotated by mount_rpy), plus a constant per-episode bias and
// white noise.
//   rpy:   roll, pitch, yaw of the sensor frame, ZYX convention
//          (R = Rz(yaw) Ry(pitch) Rx(roll)), rad; yaw relative to reset if
//          yaw_relative.
//   gyro:  body rates in the sensor frame, rad/s.
//   accel: specific force (acceleration minus gravity) in the sensor frame,
//          averaged over kAccelWindow, m/s^2 (+9.81 on z when level at rest).
#pragma once

#include <Eigen/Geometry>
#include <array>
#include <vector>

#include "common/random.h"
#include "sim/robot_config.h"

namespace tinywalk::sim {

struct ImuReading {
  double t = 0;                         // s, when the sensor sampled it
  std::array<double, 3> rpy{};          // rad
  std::array<double, 3> gyro{};         // rad/s
  std::array<double, 3> accel{};        // m/s^2
};

struct ImuSample {                      // true motion of the sensor frame
  double t = 0;
  Eigen::Quaterniond orientation = Eigen::Quaterniond::Identity();  // sensor frame in world
  Eigen::Vector3d omega = Eigen::Vector3d::Zero();                  // world frame, rad/s
  Eigen::Vector3d velocity = Eigen::Vector3d::Zero();               // world frame, m/s
};

class Imu {
 public:
  static constexpr double kAccelWindow = 0.005;  // s, finite-difference window (like the MPU6050's low-pass)

  // rpy_noise overrides params.rpy_noise (randomization); seed drives noise and bias.
  Imu(const ImuParams& params, double rpy_noise, uint64_t seed, double physics_dt);

  // Clears the history and fixes the yaw reference; link_pose: the IMU link in world.
  void reset(double t, const Eigen::Isometry3d& link_pose, const Eigen::Vector3d& link_omega,
             const Eigen::Vector3d& velocity);
  // Stores the true state at time t (call every physics step).
  void record(double t, const Eigen::Isometry3d& link_pose, const Eigen::Vector3d& link_omega,
              const Eigen::Vector3d& velocity);
  // What the robot reads at time t.
  ImuReading read(double t);
  // Noise-free, latency-free reading of the newest sample (for logging and tests).
  ImuReading truth() const;

  static std::array<double, 3> rpy_of(const Eigen::Matrix3d& R);

 private:
  ImuReading convert(const ImuSample& now, const ImuSample& before) const;
  const ImuSample& sample_at(double t) const;
  ImuParams params_;
  double rpy_noise_;
  double dt_;
  Eigen::Matrix3d mount_;
  Rng rng_;
  std::array<double, 3> rpy_bias_{}, gyro_bias_{};
  double yaw0_ = 0;
  std::vector<ImuSample> ring_;  // circular history
  size_t head_ = 0, count_ = 0;
};

}  // namespace tinywalk::sim
