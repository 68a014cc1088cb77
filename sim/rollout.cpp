#include "sim/rollout.h"

#include <atomic>
#include <chrono>
#include <cmath>
#include <mutex>
#include <thread>

#include "common/atomic_file.h"
#include "common/error.h"
#include "common/random.h"

namespace tinywalk::sim {

namespace {
std::string dir_of(const std::string& path) {
  const auto slash = path.find_last_of('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}
std::string resolve(const std::string& base_file, const std::string& rel) {
  return !rel.empty() && rel[0] == '/' ? rel : dir_of(base_file) + "/" + rel;
}

// Appends a row to a named signal, creating it with the row's width.
void put(data::SignalMap& m, const std::string& name, std::initializer_list<double> v) {
  data::Signal& s = m[name];
  s.dim = static_cast<int>(v.size());
  s.values.insert(s.values.end(), v.begin(), v.end());
}
void put(data::SignalMap& m, const std::string& name, const std::vector<double>& v) {
  data::Signal& s = m[name];
  s.dim = static_cast<int>(v.size());
  s.values.insert(s.values.end(), v.begin(), v.end());
}

// One episode on this thread's simulator and expert.
data::EpisodeData run_episode(const CollectSetup& setup, Simulation& sim, Expert& expert, const LegKinematics& legs,
                              Driver* driver, double expert_mix, uint64_t seed) {
  const Robot& robot = setup.robot;
  const int n = robot.num_joints();
  sim.reset(seed);
  expert.reset(sim);
  if (driver) driver->reset(seed);
  Rng mix_rng(Rng::derive(seed, 7));
  // The body each leg touches the ground with (its knee link).
  std::vector<int> foot_body;
  for (int i = 0; i < legs.num_legs(); ++i) foot_body.push_back(robot.model.joint_body[robot.joint_to_model[legs.leg(i).knee]]);

  data::EpisodeData e;
  e.seed = seed;
  e.actions.dim = n;
  const BaseState start = sim.base();
  const double t0 = sim.time();
  std::vector<double> last = robot.config.standing_pose;
  const int steps = static_cast<int>(std::lround(setup.config.episode_seconds / setup.config.sim.control_dt));
  for (int k = 0; k < steps; ++k) {
    // Label: the expert's action for this state; observation: what the robot sees.
    const std::vector<double> label = expert.act(sim);
    Observation obs{sim.read_imu(), last, expert.phase()};
    std::vector<double> action = label;
    if (driver && !(expert_mix > 0 && mix_rng.uniform() < expert_mix)) action = driver->act(obs);
    if (static_cast<int>(action.size()) != n) throw InputError("", "driver", "returned " + std::to_string(action.size()) + " joint targets, expected " + std::to_string(n));
    const double clock = 2 * M_PI * obs.gait_phase;
    put(e.obs, "imu_rpy", {obs.imu.rpy[0], obs.imu.rpy[1], obs.imu.rpy[2]});
    put(e.obs, "imu_gyro", {obs.imu.gyro[0], obs.imu.gyro[1], obs.imu.gyro[2]});
    put(e.obs, "imu_accel", {obs.imu.accel[0], obs.imu.accel[1], obs.imu.accel[2]});
    put(e.obs, "last_action", last);
    put(e.obs, "gait_clock", {std::sin(clock), std::cos(clock)});
    // Privileged state before the step.
    const BaseState b = sim.base();
    put(e.privileged, "base_position", {b.position.x(), b.position.y(), b.position.z()});
    put(e.privileged, "base_orientation", {b.orientation.x(), b.orientation.y(), b.orientation.z(), b.orientation.w()});
    put(e.privileged, "base_linear_velocity", {b.linear_velocity.x(), b.linear_velocity.y(), b.linear_velocity.z()});
    put(e.privileged, "base_angular_velocity", {b.angular_velocity.x(), b.angular_velocity.y(), b.angular_velocity.z()});
    put(e.privileged, "q", sim.joint_positions());
    put(e.privileged, "qd", sim.joint_velocities());
    std::vector<double> contact(legs.num_legs(), 0.0);
    for (int body : sim.ground_contacts())
      for (int i = 0; i < legs.num_legs(); ++i)
        if (body == foot_body[i]) contact[i] = 1;
    put(e.privileged, "foot_contact", contact);
    put(e.privileged, "gait_phase", {obs.gait_phase});
    put(e.privileged, "executed_action", action);
    e.actions.values.insert(e.actions.values.end(), label.begin(), label.end());
    // Step, then score the state reached against the reference.
    const Status st = sim.step(action.data());
    last = action;
    const PoseSample ref = expert.reference_sample(sim.time() - t0);
    put(e.reference, "q", ref.q);
    put(e.reference, "root_position", {ref.root_position.x(), ref.root_position.y(), ref.root_position.z()});
    put(e.reference, "root_orientation",
        {ref.root_orientation.x(), ref.root_orientation.y(), ref.root_orientation.z(), ref.root_orientation.w()});
    std::vector<double> feet;
    for (const auto& f : ref.feet) feet.insert(feet.end(), {f.x(), f.y(), f.z()});
    put(e.reference, "feet", feet);
    const RewardTerms r =
        st == Status::NumericalFailure ? RewardTerms{} : imitation_reward(setup.config.reward, expert.robot_sample(sim), ref);
    put(e.reward_terms, "pose", {r.pose});
    put(e.reward_terms, "joint_velocity", {r.joint_velocity});
    put(e.reward_terms, "end_effector", {r.end_effector});
    put(e.reward_terms, "root_pose", {r.root_pose});
    put(e.reward_terms, "root_velocity", {r.root_velocity});
    put(e.reward_terms, "yaw", {r.yaw});
    e.rewards.push_back(r.total);
    const bool done = st != Status::Running || k + 1 == steps;
    e.dones.push_back(done);
    if (done) break;
  }
  // Episode facts.
  const BaseState end = sim.base();
  const Eigen::Vector3d d = end.position - start.position;
  const double elapsed = sim.time() - t0;
  e.attrs["fell"] = sim.status() == Status::Fell;
  e.attrs["numerical_failure"] = sim.status() == Status::NumericalFailure;
  e.attrs["mean_speed_mps"] = elapsed > 0 ? (d.x() * std::cos(start.rpy[2]) + d.y() * std::sin(start.rpy[2])) / elapsed : 0;
  e.attrs["heading_drift_deg"] = std::remainder(end.rpy[2] - start.rpy[2], 2 * M_PI) * 180 / M_PI;
  e.attrs["ground_friction"] = sim.episode().ground_friction;
  e.attrs["extra_latency_s"] = sim.episode().extra_latency;
  e.attrs["imu_noise_rad"] = sim.episode().imu_rpy_noise;
  return e;
}
}  // namespace

CollectSetup load_collect(const std::string& path) {
  CollectSetup s;
  s.path = path;
  s.yaml = read_file(path);
  s.config = config::read_file<CollectConfig>(path);
  s.config.sim.validate(path);
  s.robot = load_robot(resolve(path, s.config.robot));
  s.gait = load_gait_params(resolve(path, s.config.gait));
  return s;
}

data::Dataset rollout(const CollectSetup& setup, const RolloutOptions& o, RolloutSummary* summary) {
  if (o.episodes < 1) throw InputError("", "episodes", "expected at least 1");
  const auto wall0 = std::chrono::steady_clock::now();
  const LegKinematics legs(setup.robot);
  generate_gait(setup.robot, legs, setup.gait);  // reachability errors surface here, before any thread starts
  data::Dataset d;
  d.info.robot = setup.robot.config.name;
  d.info.seed = o.seed;
  d.info.project_version = TINYWALK_VERSION;
  d.info.config_yaml = setup.yaml;
  d.episodes.resize(o.episodes);

  // Workers take episode indices in turn; each result lands at its index.
  std::atomic<int> next{0}, done{0};
  std::mutex progress_mutex, error_mutex;
  std::string error;
  auto worker = [&]() {
    try {
      Simulation sim(setup.robot, setup.config.sim);
      Expert expert(setup.robot, legs, setup.gait, setup.config.expert);
      std::unique_ptr<Driver> driver = o.driver ? o.driver() : nullptr;
      for (int k; (k = next++) < o.episodes;) {
        d.episodes[k] = run_episode(setup, sim, expert, legs, driver.get(), o.expert_mix, o.seed + static_cast<uint64_t>(k));
        const int finished = ++done;
        if (o.progress) {
          std::lock_guard<std::mutex> lock(progress_mutex);
          o.progress(finished, o.episodes);
        }
      }
    } catch (const std::exception& ex) {
      std::lock_guard<std::mutex> lock(error_mutex);
      if (error.empty()) error = ex.what();
      next = o.episodes;  // stop the other workers
    }
  };
  int threads = o.threads > 0 ? o.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  threads = std::min(threads, o.episodes);
  std::vector<std::thread> pool;
  for (int i = 1; i < threads; ++i) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  if (!error.empty()) throw InputError(setup.path, "rollout", error);

  if (summary) {
    RolloutSummary& s = *summary;
    s = RolloutSummary{};
    s.episodes = o.episodes;
    double reward = 0;
    for (const auto& e : d.episodes) {
      s.steps += e.steps();
      s.falls += e.attrs.at("fell") > 0;
      s.numerical_failures += e.attrs.at("numerical_failure") > 0;
      s.mean_speed_mps += e.attrs.at("mean_speed_mps") / o.episodes;
      const double drift = std::fabs(e.attrs.at("heading_drift_deg"));
      s.mean_abs_heading_drift_deg += drift / o.episodes;
      s.max_abs_heading_drift_deg = std::max(s.max_abs_heading_drift_deg, drift);
      for (double r : e.rewards) reward += r;
    }
    s.mean_reward = s.steps ? reward / s.steps : 0;
    s.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  }
  return d;
}

}  // namespace tinywalk::sim
