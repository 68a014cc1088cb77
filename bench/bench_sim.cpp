// Simulation speed: one physics step and one control step of Bittle,
// standing and walking the open-loop trot. Target: >= 20,000 physics steps
// per second single-threaded at dt 1 ms.
//   build/bin/bench_sim --benchmark_min_time=2
#include <benchmark/benchmark.h>

#include "sim/gait_table.h"
#include "sim/simulation.h"

using namespace tinywalk::sim;

namespace {
const Robot& bittle() {
  static const Robot r = load_robot(std::string(TINYWALK_SOURCE_DIR) + "/configs/robots/bittle.yaml");
  return r;
}
const GaitTable& trot() {
  static const GaitTable g = load_gait_table(std::string(TINYWALK_SOURCE_DIR) + "/configs/gaits/bittle_trot.yaml", 8);
  return g;
}

// control_steps_per_iter physics steps = control_dt / physics_dt.
void run(benchmark::State& state, bool walk, bool physics_only) {
  SimConfig cfg;
  if (physics_only) cfg.control_dt = cfg.physics_dt;  // one physics step per step() call
  Simulation sim(bittle(), cfg);
  sim.reset(0);
  std::vector<double> cmd = bittle().config.standing_pose;
  int64_t steps = 0;
  for (auto _ : state) {
    if (walk) cmd = trot().at(sim.time());
    if (sim.step(cmd.data()) != Status::Running) {
      state.PauseTiming();
      sim.reset(0);
      state.ResumeTiming();
    }
    steps += cfg.physics_steps_per_control();
  }
  state.counters["physics_steps_per_s"] = benchmark::Counter(static_cast<double>(steps), benchmark::Counter::kIsRate);
}
}  // namespace

static void BM_PhysicsStep_Stand(benchmark::State& s) { run(s, false, true); }
static void BM_PhysicsStep_Walk(benchmark::State& s) { run(s, true, true); }
static void BM_ControlStep_Stand(benchmark::State& s) { run(s, false, false); }
static void BM_ControlStep_Walk(benchmark::State& s) { run(s, true, false); }
BENCHMARK(BM_PhysicsStep_Stand);
BENCHMARK(BM_PhysicsStep_Walk);
BENCHMARK(BM_ControlStep_Stand)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ControlStep_Walk)->Unit(benchmark::kMicrosecond);
BENCHMARK_MAIN();
