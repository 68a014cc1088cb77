// Gait generator and reference-motion playback: foot paths, the generated
// joint angles against their foot targets, gait speed, duty factor, phase
// offsets, unreachable parameters, strict gait files, ReferenceMotion::at and
// velocity (interpolation, Wrap with cycle offsets, Clamp).
#include <gtest/gtest.h>

#include "tests/test_util.h"
#include <unistd.h>

#include <cmath>
#include <fstream>
#include <functional>
#include <map>

#include "common/error.h"
#include "sim/gait_generator.h"

using namespace tinywalk;
using namespace tinywalk::sim;

namespace {
const std::string kSrc = TINYWALK_SOURCE_DIR;
const std::string kBittle = kSrc + "/configs/robots/bittle.yaml";
const std::string kQuad12 = kSrc + "/tests/data/quadruped12.yaml";
const std::vector<std::string> kGaitFiles = {"trot", "walk", "pace", "bound"};

std::string gait_file(const std::string& gait) { return kSrc + "/configs/gaits/bittle_" + gait + "_ref.yaml"; }

std::string write_temp(const std::string& name, const std::string& text) {
  const std::string path = ::testing::TempDir() + "/.test_gait_" + std::to_string(::getpid()) + "_" + name;
  std::ofstream(path) << text;
  return path;
}

// Touchdown offsets (fraction of a cycle) in leg order FR, FL, RR, RL: the
// header's table, restated here.
const std::map<std::string, std::vector<double>> kOffsets = {
    {"trot", {0, 0.5, 0.5, 0}}, {"pace", {0, 0.5, 0, 0.5}}, {"bound", {0, 0, 0.5, 0.5}}, {"walk", {0, 0.5, 0.75, 0.25}}};

double frac(double x) { return x - std::floor(x); }

// Everything a test needs about one generated gait.
struct Generated {
  Robot robot;
  GaitParams p;
  std::unique_ptr<LegKinematics> legs;
  ReferenceMotion motion;
  std::vector<Eigen::Vector3d> stand;  // standing foot per leg, base frame
  double root_z = 0;

  Generated(const std::string& robot_path, const GaitParams& params) : robot(load_robot(robot_path)), p(params) {
    legs = std::make_unique<LegKinematics>(robot);
    motion = generate_gait(robot, *legs, p);
    for (int i = 0; i < legs->num_legs(); ++i)
      stand.push_back(legs->foot(i, robot.config.standing_pose[legs->leg(i).hip], robot.config.standing_pose[legs->leg(i).knee]));
    root_z = motion.frames[0].root_position.z();
  }
  Eigen::Vector3d foot(int leg, const std::vector<double>& q) const {
    return legs->foot(leg, q[legs->leg(leg).hip], q[legs->leg(leg).knee]);
  }
  // The gait's foot target of a leg at frame k, base frame.
  Eigen::Vector3d target(int leg, int k, double offset) const {
    const int N = p.frames_per_cycle();
    const Eigen::Vector3d d = foot_target(p, frac(static_cast<double>(k) / N - offset));
    return {stand[leg].x() + d.x(), stand[leg].y(), -root_z + d.z()};
  }
};

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "no error";
}

double yaw_of(const Eigen::Quaterniond& q) {
  const Eigen::Vector3d x = q * Eigen::Vector3d::UnitX();
  return std::atan2(x.y(), x.x());
}

MotionFrame frame(double x, double y, double z, double yaw, std::vector<double> q) {
  MotionFrame f;
  f.root_position = Eigen::Vector3d(x, y, z);
  f.root_orientation = Eigen::Quaterniond(Eigen::AngleAxisd(yaw, Eigen::Vector3d::UnitZ()));
  f.q = std::move(q);
  return f;
}
}  // namespace

// ---------------------------------------------------------------- foot paths

TEST(GaitPattern, FootPathIsSmoothAtLiftoffAndTouchdown) {
  for (double duty : {0.3, 0.5, 0.75}) {
    GaitParams p;
    p.duty_factor = duty;
    const double e = 1e-6, step = p.stride_length * duty;
    auto at = [&](double ph) { return foot_target(p, ph); };
    auto slope = [&](double a, double b) { return (at(b) - at(a)) / (b - a); };
    // Stance: a straight line back, dx/dphase = -stride_length, on the ground.
    for (double ph = 0; ph < duty; ph += duty / 7) {
      EXPECT_NEAR(at(ph).x(), step * (0.5 - ph / duty), 1e-15);
      EXPECT_EQ(at(ph).z(), 0.0);
    }
    for (double boundary : {duty, 1.0}) {  // liftoff, touchdown (= phase 0 of the next cycle)
      const double b = boundary == 1.0 ? 0.0 : boundary;
      EXPECT_NEAR(at(boundary - e).x() - at(b + e).x(), 2 * e * p.stride_length, 1e-10) << duty;  // no jump
      EXPECT_NEAR(at(boundary - e).z(), at(b + e).z(), 1e-12) << duty;
      const Eigen::Vector3d before = slope(boundary - 2 * e, boundary - e), after = slope(b + e, b + 2 * e);
      EXPECT_NEAR(before.x(), -p.stride_length, 1e-6) << duty;
      EXPECT_NEAR(after.x(), -p.stride_length, 1e-6) << duty;
      EXPECT_NEAR(before.z(), 0.0, 1e-6) << duty;  // zero vertical speed at both ends of the swing
      EXPECT_NEAR(after.z(), 0.0, 1e-6) << duty;
    }
    EXPECT_NEAR(at(duty + 0.5 * (1 - duty)).z(), p.foot_clearance, 1e-15);  // peak lift at mid-swing
    EXPECT_NEAR(at(duty + 0.5 * (1 - duty)).x(), 0.0, 1e-15);
    for (double ph = duty + 1e-3; ph < 1; ph += 1e-3) EXPECT_GT(at(ph).z(), 0.0);
  }
}

TEST(GaitPattern, DutyFactorIsTheFractionOfTimeOnTheGround) {
  for (double duty : {0.25, 0.5, 0.6, 0.75}) {
    GaitParams p;
    p.duty_factor = duty;
    const int n = 100000;
    int ground = 0;
    for (int i = 0; i < n; ++i) ground += foot_target(p, (i + 0.5) / n).z() == 0.0;
    EXPECT_NEAR(static_cast<double>(ground) / n, duty, 2.0 / n);
  }
}

TEST(GaitPattern, PhaseOffsetsPerGaitType) {
  const bool front[] = {true, true, false, false}, left[] = {false, true, false, true};  // FR FL RR RL
  for (const auto& [gait, want] : kOffsets)
    for (int i = 0; i < 4; ++i) EXPECT_EQ(gait_phase_offset(gait, front[i], left[i]), want[i]) << gait << " leg " << i;
  EXPECT_THROW(gait_phase_offset("gallop", true, true), InputError);
  GaitParams p;
  p.step_frequency = 2;
  EXPECT_NEAR(leg_phase(p, 0.25, 0.0), 0.75, 1e-15);
  EXPECT_NEAR(leg_phase(p, 0.25, 0.2), 0.15, 1e-15);
}

// --------------------------------------------------------- generated motions

TEST(GaitGenerator, EveryGaitFileReproducesItsFootTargets) {
  for (const std::string& gait : kGaitFiles) {
    const GaitParams p = load_gait_params(gait_file(gait));
    ASSERT_EQ(p.gait, gait);
    const Generated g(kBittle, p);
    const ReferenceMotion& m = g.motion;
    const int N = p.frames_per_cycle();
    ASSERT_EQ(static_cast<int>(m.frames.size()), N + 1) << gait;
    EXPECT_NEAR(m.duration() * p.step_frequency, 1.0, 1e-12);
    EXPECT_EQ(m.loop, ReferenceMotion::Loop::Wrap);
    EXPECT_TRUE(m.cycle_offset_position);
    double worst = 0;
    for (int k = 0; k <= N; ++k) {
      const MotionFrame& f = m.frames[k];
      ASSERT_EQ(f.q.size(), 8u);
      EXPECT_NEAR(f.root_position.x(), p.speed() * k * m.frame_duration, 1e-12);
      EXPECT_EQ(f.root_position.y(), 0.0);
      EXPECT_NEAR(f.root_position.z(), p.body_height, 1e-15);  // Bittle's shoulders are at base z
      EXPECT_NEAR(f.root_orientation.angularDistance(Eigen::Quaterniond::Identity()), 0.0, 1e-15);
      for (int leg = 0; leg < 4; ++leg) {
        worst = std::max(worst, (g.foot(leg, f.q) - g.target(leg, k, kOffsets.at(gait)[leg])).norm());
        for (int j : {g.legs->leg(leg).hip, g.legs->leg(leg).knee}) {  // inside the joint limits
          const Joint& jt = g.robot.model.joint(g.robot.joint_to_model[j]);
          EXPECT_GE(f.q[j], jt.lower);
          EXPECT_LE(f.q[j], jt.upper);
        }
      }
    }
    EXPECT_LT(worst, 1e-9) << gait;
    EXPECT_EQ(m.frames[N].q, m.frames[0].q);
    std::printf("[ measure  ] %s: %d frames/cycle, max |FK(q) - target| = %.3g m\n", gait.c_str(), N, worst);
  }
}

TEST(GaitGenerator, FeetMoveContinuouslyAcrossCycles) {
  for (const std::string& gait : kGaitFiles) {
    const Generated g(kBittle, load_gait_params(gait_file(gait)));
    // Fastest foot speed of the path itself (m/s), from a fine phase grid.
    double vmax = 0;
    const double dph = 1e-5;
    for (double ph = 0; ph + dph < 1; ph += dph)
      vmax = std::max(vmax, (foot_target(g.p, ph + dph) - foot_target(g.p, ph)).norm() / dph * g.p.step_frequency);
    const double T = g.motion.duration(), dt = 1e-3;
    double worst = 0;
    std::vector<Eigen::Vector3d> prev;
    for (double t = -T; t < 2.5 * T; t += dt) {
      const MotionFrame f = g.motion.at(t);
      std::vector<Eigen::Vector3d> now;
      for (int leg = 0; leg < 4; ++leg) now.push_back(g.foot(leg, f.q));
      for (size_t leg = 0; leg < prev.size(); ++leg) worst = std::max(worst, (now[leg] - prev[leg]).norm());
      prev = now;
    }
    EXPECT_LT(worst, 1.5 * vmax * dt) << gait;
    std::printf("[ measure  ] %s: max foot step %.3g mm per ms, path's max speed %.3g m/s\n", gait.c_str(), worst * 1e3, vmax);
  }
}

TEST(GaitGenerator, StanceFeetSlideBackAtTheGaitSpeed) {
  for (const std::string& gait : kGaitFiles) {
    const Generated g(kBittle, load_gait_params(gait_file(gait)));
    const int N = g.p.frames_per_cycle();
    const double fd = g.motion.frame_duration;
    int checked = 0;
    for (int leg = 0; leg < 4; ++leg) {
      const double off = kOffsets.at(gait)[leg];
      int on_ground = 0;
      for (int k = 0; k < N; ++k) {
        const Eigen::Vector3d a = g.foot(leg, g.motion.frames[k].q), b = g.foot(leg, g.motion.frames[k + 1].q);
        on_ground += std::fabs(a.z() + g.root_z) < 1e-9;
        const double pa = frac(static_cast<double>(k) / N - off);
        if (pa + 1.0 / N > g.p.duty_factor + 1e-12) continue;  // both frames in stance
        EXPECT_NEAR((b.x() - a.x()) / fd, -g.p.speed(), 1e-7) << gait << " leg " << leg << " frame " << k;
        EXPECT_NEAR(b.z(), -g.root_z, 1e-9);
        // World frame: the foot does not slip.
        EXPECT_NEAR(g.motion.frames[k + 1].root_position.x() + b.x(), g.motion.frames[k].root_position.x() + a.x(), 1e-9);
        ++checked;
      }
      // Frames on the ground: stance phases [0, duty] on the grid k / N.
      EXPECT_LE(std::fabs(static_cast<double>(on_ground) / N - g.p.duty_factor), 1.0 / N + 1e-12) << gait << " leg " << leg;
    }
    EXPECT_GT(checked, 4 * N * g.p.duty_factor - 8) << gait;
  }
}

TEST(GaitGenerator, LegsTouchDownAtTheirGaitsPhaseOffsets) {
  for (const std::string& gait : kGaitFiles) {
    const Generated g(kBittle, load_gait_params(gait_file(gait)));
    const int N = g.p.frames_per_cycle();
    const double step = g.p.stride_length * g.p.duty_factor;
    for (int leg = 0; leg < 4; ++leg) {
      const int k = static_cast<int>(std::lround(kOffsets.at(gait)[leg] * N));
      const Eigen::Vector3d down = g.foot(leg, g.motion.frames[k].q) - g.stand[leg];
      const Eigen::Vector3d before = g.foot(leg, g.motion.frames[(k + N - 1) % N].q) - g.stand[leg];
      EXPECT_NEAR(down.x(), step / 2, 1e-9) << gait << " leg " << leg;  // front end of the stance line
      EXPECT_NEAR(down.z() + g.stand[leg].z(), -g.root_z, 1e-9);          // on the ground
      EXPECT_GT(before.z() + g.stand[leg].z(), -g.root_z + 1e-6);        // in the air a frame earlier
    }
    // Legs with equal offsets move identically (relative to their standing feet).
    for (int a = 0; a < 4; ++a)
      for (int b = a + 1; b < 4; ++b) {
        if (kOffsets.at(gait)[a] != kOffsets.at(gait)[b]) continue;
        for (int k = 0; k < N; ++k)
          EXPECT_LT(((g.foot(a, g.motion.frames[k].q) - g.stand[a]) - (g.foot(b, g.motion.frames[k].q) - g.stand[b])).norm(), 1e-9);
      }
  }
}

TEST(GaitGenerator, RootVelocityIsTheGaitSpeedAcrossCycles) {
  const Generated g(kBittle, load_gait_params(gait_file("trot")));
  EXPECT_NEAR(g.p.speed(), 0.15, 1e-15);
  const double T = g.motion.duration();
  for (double t : {0.0, 0.013, T / 2, T - 1e-5, T, T + 1e-5, 3 * T, 7.3 * T, -2 * T}) {
    const MotionVelocity v = g.motion.velocity(t);
    EXPECT_NEAR(v.root_linear.x(), g.p.speed(), 1e-6) << t;
    EXPECT_NEAR(v.root_linear.y(), 0.0, 1e-9);
    EXPECT_NEAR(v.root_linear.z(), 0.0, 1e-9);
    EXPECT_NEAR(v.root_angular.norm(), 0.0, 1e-9);
    EXPECT_NEAR(g.motion.at(t).root_position.x(), g.p.speed() * t, 1e-9) << t;
  }
}

TEST(GaitGenerator, TwelveDofRobotHoldsTheOtherJointsAtTheStandingPose) {
  GaitParams p;
  p.gait = "trot";
  p.stride_length = 0.2;
  p.body_height = 0.30;
  p.step_frequency = 2;
  p.foot_clearance = 0.05;
  Robot robot = load_robot(kQuad12);
  const LegKinematics legs(robot, {{"FR_hip_pitch", "FR_knee"}, {"FL_hip_pitch", "FL_knee"},
                                   {"RR_hip_pitch", "RR_knee"}, {"RL_hip_pitch", "RL_knee"}});
  const ReferenceMotion m = generate_gait(robot, legs, p);
  ASSERT_EQ(static_cast<int>(m.frames.size()), 51);
  double worst = 0;
  for (int k = 0; k <= 50; ++k) {
    const MotionFrame& f = m.frames[k];
    ASSERT_EQ(f.q.size(), 12u);
    EXPECT_NEAR(f.root_position.z(), 0.30, 1e-15);
    for (int abd : {0, 3, 6, 9}) EXPECT_EQ(f.q[abd], robot.config.standing_pose[abd]);
    for (int leg = 0; leg < 4; ++leg) {
      const LegChain& L = legs.leg(leg);
      const Eigen::Vector3d stand = legs.foot(leg, robot.config.standing_pose[L.hip], robot.config.standing_pose[L.knee]);
      const Eigen::Vector3d d = foot_target(p, frac(k / 50.0 - kOffsets.at("trot")[leg]));
      const Eigen::Vector3d target(stand.x() + d.x(), stand.y(), -0.30 + d.z());
      worst = std::max(worst, (legs.foot(leg, f.q[L.hip], f.q[L.knee]) - target).norm());
    }
  }
  EXPECT_LT(worst, 1e-9);
  // A non-zero abduction at the standing pose is refused (the legs' kinematics assume 0).
  robot.config.standing_pose[0] = 0.1;
  const std::string msg = error_of([&] { generate_gait(robot, legs, p); });
  EXPECT_NE(msg.find("FR_hip_abd"), std::string::npos) << msg;
}

TEST(GaitGenerator, UnreachableParametersNameFrameLegAndTarget) {
  const Robot robot = load_robot(kBittle);
  const LegKinematics legs(robot);
  GaitParams p = load_gait_params(gait_file("trot"));
  p.body_height = 0.2;  // legs reach 95.8 mm
  std::string msg = error_of([&] { generate_gait(robot, legs, p); });
  for (const std::string& part : {gait_file("trot"), std::string("frame 0 "), std::string("leg FR"), std::string("foot target ("),
                                  std::string("unreachable")})
    EXPECT_NE(msg.find(part), std::string::npos) << part << " in: " << msg;
  p.body_height = 0.075;
  p.stride_length = 0.3;  // 150 mm of stance travel
  msg = error_of([&] { generate_gait(robot, legs, p); });
  EXPECT_NE(msg.find("unreachable"), std::string::npos) << msg;
  EXPECT_NE(msg.find("frame "), std::string::npos) << msg;
  p.stride_length = 0.06;
  p.body_height = 0.02;  // in reach, but only with the shoulder turned past its limit
  msg = error_of([&] { generate_gait(robot, legs, p); });
  EXPECT_NE(msg.find("unreachable within the joint limits"), std::string::npos) << msg;
  EXPECT_NE(msg.find("FR_shoulder would be"), std::string::npos) << msg;
  p.body_height = 0.075;
  p.duty_factor = 1.0;  // parameters built in code are validated too
  msg = error_of([&] { generate_gait(robot, legs, p); });
  EXPECT_NE(msg.find("duty_factor"), std::string::npos) << msg;
}

// ----------------------------------------------------------------- gait files

TEST(GaitParamsFile, StrictErrorsNameFileAndKey) {
  const std::string good = "gait: trot\nstride_length: 0.06\nbody_height: 0.075\nstep_frequency: 2.5\n"
                           "duty_factor: 0.5\nfoot_clearance: 0.02\nframe_rate: 100\n";
  EXPECT_NO_THROW(load_gait_params(write_temp("good.yaml", good)));
  const std::vector<std::pair<std::string, std::string>> cases = {
      {good + "speed: 0.2\n", "speed"},  // unknown key
      {"duty_factor: 1.5\n", "duty_factor"},
      {"duty_factor: 0\n", "duty_factor"},
      {"step_frequency: -1\n", "step_frequency"},
      {"gait: gallop\n", "gait"},
      {"frame_rate: 5\n", "frame_rate"},  // 2 frames per cycle
      {"body_height: [1, 2]\n", "body_height"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    const std::string path = write_temp("bad" + std::to_string(i) + ".yaml", cases[i].first);
    const std::string msg = error_of([&] { load_gait_params(path); });
    EXPECT_NE(msg.find(path), std::string::npos) << msg;
    EXPECT_NE(msg.find(cases[i].second), std::string::npos) << msg;
    std::remove(path.c_str());
  }
  const std::string missing = error_of([] { load_gait_params("/nonexistent/gait.yaml"); });
  EXPECT_NE(missing.find("/nonexistent/gait.yaml"), std::string::npos);
  EXPECT_EQ(load_gait_params(gait_file("trot")).source, gait_file("trot"));
}

// ------------------------------------------------------ ReferenceMotion playback

TEST(ReferenceMotionPlayback, InterpolatesRootJointsAndOrientation) {
  ReferenceMotion m;
  m.frame_duration = 0.5;
  m.frames = {frame(0, 0, 1, 0, {0, 1}), frame(1, 0, 1, 0.4, {1, 3}), frame(2, 1, 1.2, 0.8, {2, 5})};
  EXPECT_DOUBLE_EQ(m.duration(), 1.0);
  EXPECT_EQ(m.num_joints(), 2);
  const MotionFrame a = m.at(0.25), b = m.at(0.75);
  EXPECT_LT((a.root_position - Eigen::Vector3d(0.5, 0, 1)).norm(), 1e-15);
  EXPECT_LT((b.root_position - Eigen::Vector3d(1.5, 0.5, 1.1)).norm(), 1e-15);
  EXPECT_NEAR(a.q[0], 0.5, 1e-15);
  EXPECT_NEAR(a.q[1], 2.0, 1e-15);
  EXPECT_NEAR(b.q[1], 4.0, 1e-15);
  EXPECT_NEAR(yaw_of(a.root_orientation), 0.2, 1e-12);  // slerp
  EXPECT_NEAR(yaw_of(b.root_orientation), 0.6, 1e-12);
  EXPECT_NEAR(m.at(0.5).q[1], 3.0, 1e-15);  // a frame exactly
}

TEST(ReferenceMotionPlayback, ClampHoldsTheEnds) {
  ReferenceMotion m;
  m.loop = ReferenceMotion::Loop::Clamp;
  m.frame_duration = 0.5;
  m.frames = {frame(0, 0, 1, 0, {0}), frame(1, 0, 1, 0.4, {1}), frame(2, 1, 1.2, 0.8, {2})};
  EXPECT_EQ(m.at(-3).root_position, m.frames[0].root_position);
  EXPECT_EQ(m.at(-3).q, m.frames[0].q);
  EXPECT_EQ(m.at(5).root_position, m.frames[2].root_position);
  EXPECT_EQ(m.at(1.0).q, m.frames[2].q);
  EXPECT_NEAR(yaw_of(m.at(7).root_orientation), 0.8, 1e-12);
  EXPECT_EQ(m.velocity(5).root_linear.norm(), 0.0);
  EXPECT_EQ(m.velocity(5).qd[0], 0.0);
  EXPECT_NEAR(m.velocity(0.3).qd[0], 2.0, 1e-9);
}

TEST(ReferenceMotionPlayback, WrapRepeatsOrContinuesByTheCycleOffset) {
  ReferenceMotion m;
  m.frame_duration = 0.5;
  m.frames = {frame(0, 0, 1, 0, {0}), frame(1, 0, 1, 0, {1}), frame(2, 1, 1.2, 0, {0})};
  for (double t : {0.1, 0.6, 0.95}) {
    const MotionFrame base = m.at(t);
    EXPECT_LT((m.at(t + 3).root_position - base.root_position).norm(), 1e-12);  // no offsets: plain repeat
    EXPECT_NEAR(m.at(t - 2).q[0], base.q[0], 1e-12);
  }
  m.cycle_offset_position = true;  // (2, 1) further per cycle, z untouched
  for (double t : {0.1, 0.6, 0.95}) {
    const MotionFrame base = m.at(t);
    EXPECT_LT((m.at(t + 2).root_position - base.root_position - Eigen::Vector3d(4, 2, 0)).norm(), 1e-12) << t;
    EXPECT_LT((m.at(t - 1).root_position - base.root_position - Eigen::Vector3d(-2, -1, 0)).norm(), 1e-12) << t;
    EXPECT_NEAR(m.at(t + 2).q[0], base.q[0], 1e-12);
  }
  EXPECT_LT((m.at(1.0).root_position - Eigen::Vector3d(2, 1, 1)).norm(), 1e-12);  // a cycle starts where the last ended
}

TEST(ReferenceMotionPlayback, WrapWithRotationOffsetDrivesASquare) {
  // One cycle: 1 m forward while turning left 90 deg. Four cycles close a square.
  ReferenceMotion m;
  m.frame_duration = 1;
  m.cycle_offset_position = m.cycle_offset_rotation = true;
  m.frames = {frame(0, 0, 0.3, 0, {}), frame(1, 0, 0.3, M_PI / 2, {})};
  const std::vector<std::pair<double, Eigen::Vector3d>> corners = {
      {1, {1, 0, 0.3}}, {2, {1, 1, 0.3}}, {3, {0, 1, 0.3}}, {4, {0, 0, 0.3}}, {-1, {0, 1, 0.3}}, {1.5, {1, 0.5, 0.3}}};
  for (const auto& [t, p] : corners) EXPECT_LT((m.at(t).root_position - p).norm(), 1e-12) << t;
  EXPECT_NEAR(yaw_of(m.at(1.5).root_orientation), 0.75 * M_PI, 1e-12);
  EXPECT_NEAR(yaw_of(m.at(2.0).root_orientation), M_PI, 1e-12);
  for (double t : {0.1, 0.5, 2.7, -0.4}) {
    EXPECT_LT((m.at(t + 4).root_position - m.at(t).root_position).norm(), 1e-12) << t;
    EXPECT_NEAR(m.at(t + 4).root_orientation.angularDistance(m.at(t).root_orientation), 0.0, 1e-12) << t;
  }
  // Velocity: 1 m/s along the current heading, pi/2 rad/s about z, also across cycles.
  for (double t : {0.5, 1.0, 2.25, -0.5}) {
    const MotionVelocity v = m.velocity(t);
    const double h = yaw_of(m.at(t).root_orientation);
    // Linear interpolation moves straight per cycle: along the cycle's start heading.
    const double cycle_heading = std::floor(t) * M_PI / 2;
    if (std::fabs(t - std::round(t)) > 1e-3) {
      EXPECT_NEAR(v.root_linear.x(), std::cos(cycle_heading), 1e-6) << t;
      EXPECT_NEAR(v.root_linear.y(), std::sin(cycle_heading), 1e-6) << t;
    }
    EXPECT_NEAR(v.root_angular.z(), M_PI / 2, 1e-6) << t << " heading " << h;
    EXPECT_NEAR(v.root_angular.head<2>().norm(), 0.0, 1e-9);
  }
}

TEST(ReferenceMotionPlayback, VelocityOfALinearlyMovingRoot) {
  ReferenceMotion m;
  m.frame_duration = 0.1;
  m.cycle_offset_position = true;
  for (int k = 0; k <= 5; ++k) {
    const double t = 0.1 * k;
    m.frames.push_back(frame(0.3 * t, -0.1 * t, 0.2, 0, {2 * t, -t}));
  }
  for (double t : {0.05, 0.2, 0.5, 1.0, 1.37, -0.73, 12.0}) {
    const MotionVelocity v = m.velocity(t);
    EXPECT_NEAR(v.root_linear.x(), 0.3, 1e-9) << t;
    EXPECT_NEAR(v.root_linear.y(), -0.1, 1e-9) << t;
    EXPECT_NEAR(v.root_linear.z(), 0.0, 1e-12) << t;
    EXPECT_NEAR(v.root_angular.norm(), 0.0, 1e-12) << t;
  }
  const MotionVelocity inside = m.velocity(0.23);  // joints do not continue across cycles; inside one they do
  EXPECT_NEAR(inside.qd[0], 2.0, 1e-9);
  EXPECT_NEAR(inside.qd[1], -1.0, 1e-9);
}
