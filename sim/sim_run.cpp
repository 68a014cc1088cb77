#include "sim/sim_run.h"

#include <chrono>
#include <cmath>
#include <cstdio>

#include "common/atomic_file.h"
#include "common/error.h"
#include "sim/gait_table.h"

namespace tinywalk::sim {

namespace {
void put(std::string& line, double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, ",%.9g", v);
  line += buf;
}
}  // namespace

std::string sim_csv_header(const Robot& robot) {
  std::string h = "episode,t,base_x,base_y,base_z,roll,pitch,yaw,vx,vy,vz,wx,wy,wz";
  for (const auto& j : robot.config.joints) h += ",q_" + j;
  for (const auto& j : robot.config.joints) h += ",cmd_" + j;
  for (const auto& j : robot.config.joints) h += ",tau_" + j;
  h += ",imu_roll,imu_pitch,imu_yaw,gyro_x,gyro_y,gyro_z,acc_x,acc_y,acc_z";
  return h;
}

namespace {
SimRunSummary run_episode(Simulation& sim, const GaitTable& gait, const std::vector<double>& pose, const SimRunOptions& o,
                          int episode, std::ostream* csv) {
  const SimConfig& config = sim.config();
  sim.reset(o.seed + static_cast<uint64_t>(episode), pose);
  const BaseState start = sim.base();
  SimRunSummary s;
  s.min_base_height_m = start.position.z();
  const int steps = static_cast<int>(std::lround(o.seconds / config.control_dt));
  const int settle_steps = static_cast<int>(std::lround(o.settle / config.control_dt));
  std::vector<double> cmd = pose;
  double next_progress = 1.0;
  Eigen::Vector3d walk_start = start.position;
  const auto wall0 = std::chrono::steady_clock::now();
  for (int k = 0; k < steps; ++k) {
    // Command: the held pose, or the gait table once settled.
    if (!gait.frames.empty() && k == settle_steps) walk_start = sim.base().position;
    if (!gait.frames.empty() && k >= settle_steps) cmd = gait.at(sim.time() - settle_steps * config.control_dt);
    const Status st = sim.step(cmd.data());
    if (st == Status::NumericalFailure) break;
    const ImuReading imu = sim.read_imu();
    // Log and track the summary.
    const BaseState b = sim.base();
    s.min_base_height_m = std::min(s.min_base_height_m, b.position.z());
    s.max_tilt_deg = std::max(s.max_tilt_deg, std::max(std::fabs(b.rpy[0]), std::fabs(b.rpy[1])) * 180 / M_PI);
    for (double tau : sim.joint_torques()) s.max_torque_nm = std::max(s.max_torque_nm, std::fabs(tau));
    if (csv) {
      char buf[48];
      std::snprintf(buf, sizeof buf, "%d,%.6f", episode, sim.time());
      std::string line = buf;
      for (int i = 0; i < 3; ++i) put(line, b.position[i]);
      for (int i = 0; i < 3; ++i) put(line, b.rpy[i]);
      for (int i = 0; i < 3; ++i) put(line, b.linear_velocity[i]);
      for (int i = 0; i < 3; ++i) put(line, b.angular_velocity[i]);
      for (double v : sim.joint_positions()) put(line, v);
      for (double v : cmd) put(line, v);
      for (double v : sim.joint_torques()) put(line, v);
      for (double v : imu.rpy) put(line, v);
      for (double v : imu.gyro) put(line, v);
      for (double v : imu.accel) put(line, v);
      *csv << line << "\n";
    }
    if (o.progress && sim.time() >= next_progress) {
      o.progress(episode, sim.time(), o.seconds);
      next_progress += 1.0;
    }
    if (st != Status::Running) break;
  }
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();

  const BaseState end = sim.base();
  s.status = sim.status();
  s.reason = sim.reason();
  s.seconds = sim.time();
  s.physics_steps = sim.physics_steps();
  s.physics_steps_per_s = wall > 0 ? s.physics_steps / wall : 0;
  s.base_height_m = end.position.z();
  const Eigen::Vector3d d = end.position - start.position;
  s.distance_m = std::hypot(d.x(), d.y());
  const double yaw0 = start.rpy[2];
  const Eigen::Vector3d heading(std::cos(yaw0), std::sin(yaw0), 0);
  s.forward_m = d.dot(heading);
  const double walk_time = s.seconds - (gait.frames.empty() ? 0.0 : std::min(settle_steps * config.control_dt, s.seconds));
  s.mean_speed_mps = walk_time > 0 ? (end.position - walk_start).dot(heading) / walk_time : 0;
  s.heading_change_deg = std::remainder(end.rpy[2] - yaw0, 2 * M_PI) * 180 / M_PI;
  return s;
}
}  // namespace

double SimBatchSummary::mean(double SimRunSummary::*field) const {
  double sum = 0;
  for (const auto& r : runs) sum += r.*field;
  return runs.empty() ? 0 : sum / runs.size();
}

SimBatchSummary run_sim(const Robot& robot, const SimConfig& config, const SimRunOptions& o) {
  const int n = robot.num_joints();
  std::vector<double> pose = robot.config.standing_pose;
  if (o.pose == "zero") pose.assign(n, 0.0);
  else if (o.pose != "stand") throw InputError("", "--pose", "expected 'stand' or 'zero', got '" + o.pose + "'");
  if (o.episodes < 1) throw InputError("", "--episodes", "expected at least 1");
  GaitTable gait;
  if (!o.gait_path.empty()) gait = load_gait_table(o.gait_path, n);

  std::unique_ptr<AtomicFile> csv;
  if (!o.csv_path.empty()) {
    csv = std::make_unique<AtomicFile>(o.csv_path);
    csv->stream() << sim_csv_header(robot) << "\n";
  }
  Simulation sim(robot, config);
  SimBatchSummary b;
  int64_t steps = 0;
  double wall = 0;
  for (int e = 0; e < o.episodes; ++e) {
    b.runs.push_back(run_episode(sim, gait, pose, o, e, csv ? &csv->stream() : nullptr));
    const SimRunSummary& r = b.runs.back();
    b.falls += r.status == Status::Fell;
    b.numerical_failures += r.status == Status::NumericalFailure;
    steps += r.physics_steps;
    wall += r.physics_steps_per_s > 0 ? r.physics_steps / r.physics_steps_per_s : 0;
  }
  b.physics_steps_per_s = wall > 0 ? steps / wall : 0;
  if (csv) csv->commit();
  return b;
}

}  // namespace tinywalk::sim
