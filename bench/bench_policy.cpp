// Policy speed: training throughput (samples/s for one epoch of shuffled
// minibatch Adam, batch 256, on 20,000 random samples) for the default
// network [27 -> 32 -> 32 -> 8] (the mcu preset), and single-sample forward time for that
// network and for the paper's [42 -> 512 -> 256 -> 8].
//   build/bin/bench_policy --benchmark_min_time=2
#include <benchmark/benchmark.h>

#include <algorithm>
#include <numeric>
#include <vector>

#include "common/random.h"
#include "policy/mlp.h"

using namespace tinywalk;
using namespace tinywalk::policy;

namespace {

MlpSpec spec(int inputs, std::vector<int> hidden, int outputs) {
  MlpSpec s;
  s.inputs = inputs;
  s.hidden = std::move(hidden);
  s.outputs = outputs;
  return s;  // relu hidden, linear output: the defaults
}

Eigen::MatrixXd random_matrix(Rng& rng, int rows, int cols) {
  Eigen::MatrixXd m(rows, cols);
  for (int c = 0; c < cols; ++c)
    for (int r = 0; r < rows; ++r) m(r, c) = rng.normal();
  return m;
}

// One iteration = one epoch: shuffle, gather each minibatch, backprop, Adam.
void BM_TrainEpoch(benchmark::State& state) {
  const int n = 20000, batch = 256;
  Rng rng(1);
  const Eigen::MatrixXd X = random_matrix(rng, 27, n), T = random_matrix(rng, 8, n);
  Mlp mlp(spec(27, {32, 32}, 8));
  mlp.init(2);
  Adam adam;
  std::vector<int> order(n);
  std::iota(order.begin(), order.end(), 0);
  Eigen::MatrixXd xb, tb;
  Eigen::VectorXd grad;
  double loss = 0;
  int64_t samples = 0;
  for (auto _ : state) {
    for (int i = n - 1; i > 0; --i) std::swap(order[i], order[static_cast<int>(rng.uniform() * (i + 1))]);
    for (int start = 0; start < n; start += batch) {
      const int b = std::min(batch, n - start);
      xb.resize(27, b);
      tb.resize(8, b);
      for (int k = 0; k < b; ++k) {
        xb.col(k) = X.col(order[start + k]);
        tb.col(k) = T.col(order[start + k]);
      }
      loss = mlp.loss_and_gradient(xb, tb, &grad);
      adam.step(mlp.params(), grad);
    }
    samples += n;
    benchmark::DoNotOptimize(loss);
  }
  state.counters["samples_per_s"] = benchmark::Counter(static_cast<double>(samples), benchmark::Counter::kIsRate);
}

// Single-sample, heap-free forward (what runs every control step).
void forward(benchmark::State& state, const MlpSpec& s) {
  Mlp mlp(s);
  mlp.init(3);
  Rng rng(4);
  std::vector<double> x(s.inputs), y(s.outputs), ws(mlp.workspace_size());
  for (double& v : x) v = rng.normal();
  for (auto _ : state) {
    mlp.forward(x.data(), y.data(), ws.data());
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  state.counters["forward_per_s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["params"] = static_cast<double>(mlp.params().size());
}

void BM_Forward_Default_27_32_32_8(benchmark::State& s) { forward(s, spec(27, {32, 32}, 8)); }
void BM_Forward_Paper_42_512_256_8(benchmark::State& s) { forward(s, spec(42, {512, 256}, 8)); }

}  // namespace

BENCHMARK(BM_TrainEpoch)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Forward_Default_27_32_32_8)->Unit(benchmark::kNanosecond);
BENCHMARK(BM_Forward_Paper_42_512_256_8)->Unit(benchmark::kMicrosecond);
BENCHMARK_MAIN();
