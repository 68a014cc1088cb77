#include "sim/randomization.h"

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

}  // namespace tinywalk::sim
