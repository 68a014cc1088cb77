// Servo model: pure command-path and torque law, then step responses of a
// real joint in the Bullet world (tests/data/servo_rig.*).
#include <gtest/gtest.h>

#include <cmath>

#include "sim/servo.h"
#include "sim/simulation.h"

using namespace tinywalk::sim;

namespace {
constexpr double kDeg = M_PI / 180;

ServoParams no_limits() {
  ServoParams p;
  p.dead_band = 0;
  p.resolution = 0;
  p.latency = 0;
  return p;
}

// Torque of a 1-joint bank for one physics step at state (q, qd).
double torque(const ServoBank& bank, ServoBankState& s, double t, double q, double qd, double inertia = 1e-3) {
  double tau = 0;
  bank.torques(s, t, 0.001, &q, &qd, &inertia, &tau);
  return tau;
}
}  // namespace

TEST(ServoModel, QuantizesCommandsToTheResolution) {
  ServoParams p;
  ServoBank bank(p, 1);
  EXPECT_NEAR(bank.quantize(10.4 * kDeg), 10 * kDeg, 1e-12);
  EXPECT_NEAR(bank.quantize(10.6 * kDeg), 11 * kDeg, 1e-12);
}

TEST(ServoModel, CommandActsOnlyAfterTheLatency) {
  ServoParams p = no_limits();
  p.latency = 0.02;
  ServoBank bank(p, 1, {}, 0.01);  // plus 10 ms randomized latency
  ServoBankState s;
  bank.reset(s, {0.0});
  double target = 0.5;
  bank.command(s, 0.0, &target);
  EXPECT_EQ(torque(bank, s, 0.029, 0, 0), 0.0);
  EXPECT_GT(torque(bank, s, 0.030, 0, 0), 0.0);
}

TEST(ServoModel, DeadBandSuppressesSmallErrors) {
  ServoParams p = no_limits();
  p.dead_band = 0.5 * kDeg;
  ServoBank bank(p, 1);
  ServoBankState s;
  bank.reset(s, {0.0});
  EXPECT_EQ(torque(bank, s, 0, 0.4 * kDeg, 0), 0.0);
  EXPECT_NEAR(torque(bank, s, 0, -1.5 * kDeg, 0), p.kp * 1.0 * kDeg, 1e-12);
}

TEST(ServoModel, TorqueSpeedCurveLimitsMotoringButNotBraking) {
  ServoParams p = no_limits();
  ServoBank bank(p, 1);
  ServoBankState s;
  bank.reset(s, {1.0});  // far target: the PD term saturates
  const double big_inertia = 1e6;
  EXPECT_NEAR(torque(bank, s, 0, 0, 0, big_inertia), p.stall_torque, 1e-9);
  EXPECT_NEAR(torque(bank, s, 0, 0, p.no_load_speed / 2, big_inertia), p.stall_torque / 2, 1e-6);
  EXPECT_NEAR(torque(bank, s, 0, 0, p.no_load_speed, big_inertia), 0.0, 1e-6);
  bank.reset(s, {-1.0});  // moving away from the target: full braking torque
  EXPECT_NEAR(torque(bank, s, 0, 0, p.no_load_speed / 2, big_inertia), -p.stall_torque, 1e-9);
}

TEST(ServoModel, MotorStrengthScalesGainsAndLimit) {
  ServoParams p = no_limits();
  ServoBank weak(p, 1, {0.8}), nominal(p, 1);
  ServoBankState s1, s2;
  weak.reset(s1, {0.01});
  nominal.reset(s2, {0.01});
  EXPECT_NEAR(torque(weak, s1, 0, 0, 0), 0.8 * torque(nominal, s2, 0, 0, 0), 1e-12);
}

TEST(ServoModel, BlockingMovesMakeANewCommandWaitForTheCurrentMove) {
  ServoParams p = no_limits();
  p.blocking_moves = true;
  p.move_speed = 2.0;  // rad/s: a 0.4 rad move takes 0.2 s
  ServoBank bank(p, 1);
  ServoBankState s;
  bank.reset(s, {0.0});
  double a = 0.4, b = -0.4;
  bank.command(s, 0.0, &a);
  torque(bank, s, 0.0, 0, 0);
  torque(bank, s, 0.1, 0, 0);
  EXPECT_NEAR(s.setpoint[0], 0.2, 1e-9);  // halfway along the cosine move
  bank.command(s, 0.1, &b);               // arrives mid-move
  torque(bank, s, 0.15, 0, 0);
  EXPECT_GT(s.setpoint[0], 0.2);          // still heading to +0.4
  torque(bank, s, 0.2, 0, 0);
  EXPECT_NEAR(s.setpoint[0], 0.4, 1e-9);  // first move done, second starts
  torque(bank, s, 0.6, 0, 0);
  EXPECT_NEAR(s.setpoint[0], -0.4, 1e-9);
  // Without blocking, the same command would have taken over at once.
  p.blocking_moves = false;
  ServoBank direct(p, 1);
  direct.reset(s, {0.0});
  direct.command(s, 0.0, &a);
  direct.command(s, 0.1, &b);
  torque(direct, s, 0.1, 0, 0);
  EXPECT_NEAR(s.setpoint[0], -0.4, 1e-12);
}

// ---- a real joint in Bullet ----

namespace {
struct StepResponse {
  std::vector<double> t, q, qd, tau;
};

StepResponse step_response(const Robot& robot, double target, double seconds) {
  SimConfig cfg;
  cfg.control_dt = cfg.physics_dt;  // sample every physics step
  Simulation sim(robot, cfg);
  sim.reset(0, {0.0});
  StepResponse r;
  for (int k = 0; k < static_cast<int>(seconds / cfg.physics_dt); ++k) {
    EXPECT_EQ(sim.step(&target), Status::Running) << sim.reason();
    r.t.push_back(sim.time());
    r.q.push_back(sim.joint_positions()[0]);
    r.qd.push_back(sim.joint_velocities()[0]);
    r.tau.push_back(sim.joint_torques()[0]);
  }
  return r;
}

Robot rig() { return load_robot(std::string(TINYWALK_SOURCE_DIR) + "/tests/data/servo_rig.yaml"); }
}  // namespace

TEST(ServoInSim, TwentyDegreeStepWithinSpeedAndTorqueLimits) {
  const Robot robot = rig();
  const ServoParams& p = robot.config.servo;
  const StepResponse r = step_response(robot, 20 * kDeg, 0.3);
  double max_speed = 0, max_tau = 0, t_reach = -1;
  for (size_t k = 0; k < r.t.size(); ++k) {
    max_speed = std::max(max_speed, std::fabs(r.qd[k]));
    max_tau = std::max(max_tau, std::fabs(r.tau[k]));
    if (t_reach < 0 && r.q[k] >= 19 * kDeg) t_reach = r.t[k];
  }
  ASSERT_GT(t_reach, 0) << "never reached 19 of 20 degrees";
  EXPECT_LE(max_speed, p.no_load_speed * 1.001);
  EXPECT_LE(max_tau, p.stall_torque + 1e-12);
  EXPECT_GE(t_reach, 19 * kDeg / p.no_load_speed);  // cannot beat its speed limit
  EXPECT_LE(t_reach, 0.15);                          // but gets there promptly
  EXPECT_GT(max_speed, 0.95 * p.no_load_speed);      // a step this large is speed-limited, not gain-limited
  // Settles inside the dead band without overshooting more than 2 degrees.
  EXPECT_NEAR(r.q.back(), 20 * kDeg, p.dead_band + 0.05 * kDeg);
  EXPECT_LE(*std::max_element(r.q.begin(), r.q.end()), 22 * kDeg);
}

TEST(ServoInSim, SettlesOnTheOneDegreeGrid) {
  Robot robot = rig();
  robot.config.servo.dead_band = 0;
  const StepResponse low = step_response(robot, 10.4 * kDeg, 0.4);
  const StepResponse high = step_response(robot, 10.6 * kDeg, 0.4);
  EXPECT_NEAR(low.q.back(), 10 * kDeg, 0.02 * kDeg);
  EXPECT_NEAR(high.q.back(), 11 * kDeg, 0.02 * kDeg);
}

TEST(ServoInSim, LightLinkStaysStableWithTheDefaultGains) {
  // Explicit PD with kd 0.025 on this 17 g arm would diverge at dt 1 ms; the
  // implicit damping keeps it bounded (no exploding state for 1 s of steps).
  const Robot robot = rig();
  StepResponse r = step_response(robot, -30 * kDeg, 1.0);
  EXPECT_NEAR(r.q.back(), -30 * kDeg, robot.config.servo.dead_band + 0.05 * kDeg);
  EXPECT_LT(std::fabs(r.qd.back()), 0.05);
}
