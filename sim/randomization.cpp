#include "sim/randomization.h"

#include <string>

#include "common/error.h"
#include "common/random.h"

namespace tinywalk::sim {

EpisodeParams sample_episode(const Robot& robot, bool randomize, uint64_t seed, double nominal_ground_friction) {
  const auto& r = robot.config.randomization;
  const size_t nb = robot.model.bodies.size(), nj = robot.num_joints();
  EpisodeParams p;
  p.seed = seed;
  p.randomized = randomize;
  p.imu_seed = Rng::derive(seed, 1);
  p.push_seed = Rng::derive(seed, 2);
  p.mass_scale.assign(nb, 1.0);
  p.inertia_scale.assign(nb, 1.0);
  p.motor_strength.assign(nj, 1.0);
  p.joint_friction.assign(nj, 0.0);
  p.ground_friction = nominal_ground_friction;
  p.imu_rpy_noise = robot.config.imu.rpy_noise;
  p.push_interval = r.push_interval;
  p.push_velocity = r.push_velocity;
  if (!randomize) return p;
  // Draw in a fixed order so a seed always means the same episode.
  Rng rng(Rng::derive(seed, 0));
  auto draw = [&rng](const config::Interval& i) { return rng.uniform(i.lo, i.hi); };
  for (auto& m : p.mass_scale) m = draw(r.mass_scale);
  for (auto& m : p.inertia_scale) m = draw(r.inertia_scale);
  for (auto& s : p.motor_strength) s = draw(r.motor_strength);
  for (auto& f : p.joint_friction) f = draw(r.joint_friction);
  p.extra_latency = draw(r.latency);
  p.ground_friction = draw(r.ground_friction);
  p.imu_rpy_noise = draw(r.imu_noise);
  p.pushes = r.pushes;
  return p;
}

EpisodeParams sample_episode(const Robot& robot, bool randomize, uint64_t seed, double nominal_ground_friction,
                             const Conditions& c) {
  EpisodeParams p = sample_episode(robot, randomize, seed, nominal_ground_friction);
  // Overrides and additions; no random draws, so the seed's episode stays the same otherwise.
  if (c.ground_friction >= 0) p.ground_friction = c.ground_friction;
  if (c.imu_noise >= 0) p.imu_rpy_noise = c.imu_noise;
  p.extra_latency += c.extra_latency;
  if (c.pushes) p.pushes = true;
  const config::Interval none{0, 0};
  if (!(c.push_interval == none)) p.push_interval = c.push_interval;
  if (!(c.push_velocity == none)) p.push_velocity = c.push_velocity;
  return p;
}

bool Conditions::operator==(const Conditions& o) const {
  return ground_friction == o.ground_friction && extra_latency == o.extra_latency && pushes == o.pushes &&
         push_interval == o.push_interval && push_velocity == o.push_velocity && payload_mass == o.payload_mass &&
         payload_offset == o.payload_offset && slope_deg == o.slope_deg && imu_noise == o.imu_noise;
}

void Conditions::validate(const std::string& file, const std::string& prefix) const {
  auto interval = [&](const char* key, const config::Interval& i) {
    if (i.lo > i.hi) throw InputError(file, prefix + key, "expected [lo, hi] with lo <= hi");
  };
  interval("push_interval", push_interval);
  interval("push_velocity", push_velocity);
  if (!(push_interval == config::Interval{0, 0}) && push_interval.lo <= 0)
    throw InputError(file, prefix + "push_interval", "expected times > 0 s (or [0, 0] for the robot's range)");
}

}  // namespace tinywalk::sim
