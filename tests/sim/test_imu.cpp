#include <gtest/gtest.h>

#include <cmath>

#include "sim/imu.h"

using namespace tinywalk::sim;

namespace {
constexpr double kDeg = M_PI / 180;
Eigen::Isometry3d pose_rpy(double r, double p, double y) {
  Eigen::Isometry3d T = Eigen::Isometry3d::Identity();
  T.linear() = (Eigen::AngleAxisd(y, Eigen::Vector3d::UnitZ()) * Eigen::AngleAxisd(p, Eigen::Vector3d::UnitY()) *
                Eigen::AngleAxisd(r, Eigen::Vector3d::UnitX()))
                   .toRotationMatrix();
  return T;
}
ImuParams quiet() {
  ImuParams p;
  p.yaw_relative = false;
  return p;
}
}  // namespace

TEST(Imu, ReportsAKnownTiltAndGravity) {
  Imu imu(quiet(), 0, 1, 0.001);
  imu.reset(0, pose_rpy(10 * kDeg, -5 * kDeg, 30 * kDeg), Eigen::Vector3d::Zero(), Eigen::Vector3d::Zero());
  ImuReading r = imu.read(0);
  EXPECT_NEAR(r.rpy[0], 10 * kDeg, 1e-9);
  EXPECT_NEAR(r.rpy[1], -5 * kDeg, 1e-9);
  EXPECT_NEAR(r.rpy[2], 30 * kDeg, 1e-9);
  // At rest the accelerometer feels +g along world z, seen in the tilted frame.
  const Eigen::Vector3d f = pose_rpy(10 * kDeg, -5 * kDeg, 30 * kDeg).linear().transpose() * Eigen::Vector3d(0, 0, 9.81);
  for (int i = 0; i < 3; ++i) EXPECT_NEAR(r.accel[i], f[i], 1e-9);
  EXPECT_NEAR(r.accel[0], -9.81 * std::sin(-5 * kDeg), 1e-9);
}

TEST(Imu, GyroIsInTheSensorFrame) {
  Imu imu(quiet(), 0, 1, 0.001);
  // Rolled 90 deg: a world-z rotation appears on the sensor's y axis.
  imu.reset(0, pose_rpy(90 * kDeg, 0, 0), Eigen::Vector3d(0, 0, 0.7), Eigen::Vector3d::Zero());
  ImuReading r = imu.read(0);
  EXPECT_NEAR(r.gyro[0], 0, 1e-9);
  EXPECT_NEAR(r.gyro[1], 0.7, 1e-9);
  EXPECT_NEAR(r.gyro[2], 0, 1e-9);
}

TEST(Imu, MountRotationOfThePapersRobot) {
  // The paper's real IMU: rotated 180 deg about y. Level torso -> roll reads
  // +-180 deg and gravity appears on -z; a torso pitched up reads pitched down.
  ImuParams p = quiet();
  p.mount_rpy = {0, M_PI, 0};
  Imu imu(p, 0, 1, 0.001);
  imu.reset(0, pose_rpy(0, 0, 0), Eigen::Vector3d::Zero(), Eigen::Vector3d::Zero());
  ImuReading r = imu.read(0);
  EXPECT_NEAR(std::fabs(r.rpy[0]), M_PI, 1e-9);
  EXPECT_NEAR(r.accel[2], -9.81, 1e-9);
  imu.reset(0, pose_rpy(0, 10 * kDeg, 0), Eigen::Vector3d::Zero(), Eigen::Vector3d::Zero());
  r = imu.read(0);
  EXPECT_NEAR(r.rpy[1], -10 * kDeg, 1e-9);
}

TEST(Imu, YawIsRelativeToResetWhenAskedAndWraps) {
  ImuParams p;
  p.yaw_relative = true;
  Imu imu(p, 0, 1, 0.001);
  imu.reset(0, pose_rpy(0, 0, 170 * kDeg), Eigen::Vector3d::Zero(), Eigen::Vector3d::Zero());
  imu.record(0.001, pose_rpy(0, 0, -170 * kDeg), Eigen::Vector3d::Zero(), Eigen::Vector3d::Zero());
  EXPECT_NEAR(imu.read(0.001).rpy[2], 20 * kDeg, 1e-9);
}

TEST(Imu, LatencyReturnsTheOlderSample) {
  ImuParams p = quiet();
  p.latency = 0.010;
  Imu imu(p, 0, 1, 0.001);
  imu.reset(0, pose_rpy(0, 0, 0), Eigen::Vector3d::Zero(), Eigen::Vector3d::Zero());
  for (int k = 1; k <= 30; ++k) imu.record(k * 0.001, pose_rpy(k * kDeg, 0, 0), Eigen::Vector3d::Zero(), Eigen::Vector3d::Zero());
  EXPECT_NEAR(imu.read(0.030).rpy[0], 20 * kDeg, 1e-9);
  EXPECT_NEAR(imu.truth().rpy[0], 30 * kDeg, 1e-9);
}

TEST(Imu, AccelerometerSeesLinearAcceleration) {
  Imu imu(quiet(), 0, 1, 0.001);
  imu.reset(0, pose_rpy(0, 0, 0), Eigen::Vector3d::Zero(), Eigen::Vector3d::Zero());
  for (int k = 1; k <= 10; ++k)  // 2 m/s^2 forward
    imu.record(k * 0.001, pose_rpy(0, 0, 0), Eigen::Vector3d::Zero(), Eigen::Vector3d(2.0 * k * 0.001, 0, 0));
  ImuReading r = imu.read(0.010);
  EXPECT_NEAR(r.accel[0], 2.0, 1e-9);
  EXPECT_NEAR(r.accel[2], 9.81, 1e-9);
}

TEST(Imu, NoiseHasTheConfiguredSigmaAndIsSeeded) {
  ImuParams p = quiet();
  Imu a(p, 0.1, 5, 0.001), b(p, 0.1, 5, 0.001);
  a.reset(0, pose_rpy(0, 0, 0), Eigen::Vector3d::Zero(), Eigen::Vector3d::Zero());
  b.reset(0, pose_rpy(0, 0, 0), Eigen::Vector3d::Zero(), Eigen::Vector3d::Zero());
  double sum2 = 0;
  const int n = 20000;
  for (int k = 0; k < n; ++k) {
    ImuReading ra = a.read(0), rb = b.read(0);
    ASSERT_EQ(ra.rpy[0], rb.rpy[0]);
    sum2 += ra.rpy[0] * ra.rpy[0];
  }
  EXPECT_NEAR(std::sqrt(sum2 / n), 0.1, 0.003);
}
