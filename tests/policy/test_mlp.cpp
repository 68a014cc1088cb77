// The MLP and Adam: parameter layout, spec validation, deterministic
// initialisation, backprop against central finite differences, the exact
// loss normalisation, single-sample forward equal to batch forward and
// free of heap allocations (counted by replacing operator new and, on glibc,
// malloc itself, which is what Eigen allocates with), and a small
// behaviour-cloning fit that converges deterministically.
#include "policy/mlp.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <new>

#include "common/random.h"
#include "tests/alloc_counter.h"
#include "tests/test_util.h"

using namespace tinywalk;
using namespace tinywalk::policy;
using tinywalk::test::error_of;



namespace {

MlpSpec make_spec(int in, std::vector<int> hidden, int out, const char* hidden_act = "relu", const char* out_act = "linear") {
  MlpSpec s;
  s.inputs = in;
  s.hidden = std::move(hidden);
  s.outputs = out;
  s.hidden_activation = hidden_act;
  s.output_activation = out_act;
  return s;
}

Eigen::MatrixXd random_matrix(Rng& rng, int rows, int cols, double scale = 1.0) {
  Eigen::MatrixXd m(rows, cols);
  for (int c = 0; c < cols; ++c)
    for (int r = 0; r < rows; ++r) m(r, c) = scale * rng.normal();
  return m;
}

// Reference forward for one sample by plain loops over the weight()/bias()
// views; also records every pre-activation (to stay away from ReLU kinks).
std::vector<double> naive_forward(const Mlp& mlp, std::vector<double> a, std::vector<double>* pre_relu = nullptr) {
  for (int l = 0; l < mlp.num_layers(); ++l) {
    const auto W = mlp.weight(l);
    const auto b = mlp.bias(l);
    std::vector<double> z(b.size());
    for (int r = 0; r < W.rows(); ++r) {
      double s = b[r];
      for (int c = 0; c < W.cols(); ++c) s += W(r, c) * a[c];
      switch (mlp.activation(l)) {
        case Activation::Linear: z[r] = s; break;
        case Activation::ReLU:
          z[r] = s > 0 ? s : 0;
          if (pre_relu) pre_relu->push_back(s);
          break;
        case Activation::Tanh: z[r] = std::tanh(s); break;
      }
    }
    a = std::move(z);
  }
  return a;
}

std::vector<double> column(const Eigen::MatrixXd& m, int c) { return {m.col(c).data(), m.col(c).data() + m.rows()}; }

}  // namespace

// ---- spec, layout, initialisation -----------------------------------------

TEST(Mlp, SizesAndNumParams) {
  const MlpSpec s = make_spec(5, {7, 6}, 3);
  EXPECT_EQ(s.sizes(), (std::vector<int>{5, 7, 6, 3}));
  EXPECT_EQ(s.num_params(), 5 * 7 + 7 + 7 * 6 + 6 + 6 * 3 + 3);
  const Mlp mlp(s);
  EXPECT_EQ(mlp.num_layers(), 3);
  EXPECT_EQ(mlp.params().size(), s.num_params());
  EXPECT_TRUE((mlp.params().array() == 0).all());  // constructor leaves parameters zero

  EXPECT_EQ(make_spec(42, {512, 256}, 8).num_params(), 42 * 512 + 512 + 512 * 256 + 256 + 256 * 8 + 8);
  EXPECT_EQ(make_spec(39, {32, 32}, 8).num_params(), 39 * 32 + 32 + 32 * 32 + 32 + 32 * 8 + 8);
  EXPECT_EQ(make_spec(4, {}, 2).num_params(), 4 * 2 + 2);  // no hidden layer: one affine layer
}

TEST(Mlp, FlatLayoutIsWColumnMajorThenBPerLayer) {
  Mlp mlp(make_spec(3, {4}, 2, "tanh", "relu"));
  for (Eigen::Index i = 0; i < mlp.params().size(); ++i) mlp.params()[i] = static_cast<double>(i);
  // Layer 0: W [4 x 3] at 0..11 column-major, b at 12..15.
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 3; ++c) EXPECT_EQ(mlp.weight(0)(r, c), c * 4 + r);
  for (int r = 0; r < 4; ++r) EXPECT_EQ(mlp.bias(0)[r], 12 + r);
  // Layer 1: W [2 x 4] at 16..23, b at 24..25.
  EXPECT_EQ(mlp.weight(1).rows(), 2);
  EXPECT_EQ(mlp.weight(1).cols(), 4);
  EXPECT_EQ(mlp.weight(1)(1, 0), 17);
  EXPECT_EQ(mlp.weight(1)(0, 3), 22);
  EXPECT_EQ(mlp.bias(1)[1], 25);
  EXPECT_EQ(mlp.activation(0), Activation::Tanh);
  EXPECT_EQ(mlp.activation(1), Activation::ReLU);
  // The views alias params(): a change shows through.
  mlp.params()[5] = -1;
  EXPECT_EQ(mlp.weight(0)(1, 1), -1);
}

TEST(Mlp, BadSpecsAreInputErrors) {
  auto where_of = [](const MlpSpec& s) {
    try {
      Mlp m(s);
    } catch (const InputError& e) {
      EXPECT_EQ(e.file(), "");
      return e.where();
    }
    return std::string("(no error)");
  };
  EXPECT_EQ(where_of(make_spec(5, {32, 0}, 3)), "model.hidden");
  EXPECT_EQ(where_of(make_spec(5, {-4}, 3)), "model.hidden");
  EXPECT_EQ(where_of(make_spec(5, {8}, 3, "sigmoid")), "model.hidden_activation");
  EXPECT_EQ(where_of(make_spec(5, {8}, 3, "relu", "softmax")), "model.output_activation");
  EXPECT_EQ(where_of(make_spec(0, {8}, 3)), "model");
  EXPECT_EQ(where_of(make_spec(5, {8}, 0)), "model");
  EXPECT_HAS(error_of([] { Mlp m(make_spec(5, {8}, 3, "Relu")); }), "'Relu'");
  EXPECT_HAS(error_of([] { Mlp m(make_spec(5, {8, 0}, 3)); }), "layer 1");
  EXPECT_NO_THROW({ Mlp m(make_spec(1, {1}, 1)); });
}

TEST(Mlp, ParseActivation) {
  for (Activation a : {Activation::Linear, Activation::ReLU, Activation::Tanh})
    EXPECT_EQ(parse_activation(to_string(a), "f.yaml", "k"), a);
  const std::string err = error_of([] { parse_activation("gelu", "train.yaml", "model.hidden_activation"); });
  EXPECT_HAS(err, "train.yaml: model.hidden_activation");
  EXPECT_HAS(err, "gelu");
}

TEST(Mlp, InitIsDeterministicGlorotAndSeedDependent) {
  const MlpSpec s = make_spec(39, {32, 32}, 8);
  Mlp a(s), b(s), c(s);
  a.init(7);
  b.init(7);
  c.init(8);
  EXPECT_EQ(a.params(), b.params());
  EXPECT_NE(a.params(), c.params());
  b.params().setConstant(3);
  b.init(7);  // re-init overwrites everything, biases included
  EXPECT_EQ(a.params(), b.params());
  for (int l = 0; l < a.num_layers(); ++l) {
    const double limit = std::sqrt(6.0 / (a.sizes()[l] + a.sizes()[l + 1]));
    EXPECT_TRUE((a.bias(l).array() == 0).all());
    EXPECT_LE(a.weight(l).cwiseAbs().maxCoeff(), limit);
    EXPECT_GT(a.weight(l).cwiseAbs().maxCoeff(), 0.9 * limit);  // uniform over the whole range
    EXPECT_NEAR(a.weight(l).mean(), 0.0, 0.1 * limit);
  }
}

// ---- loss and gradient -------------------------------------------------------

// loss = 0.5 * sum over batch and outputs of (y - t)^2 / batch.
TEST(Mlp, LossNormalisation) {
  Mlp mlp(make_spec(3, {4}, 2, "relu", "linear"));  // all-zero parameters: y = 0
  Eigen::MatrixXd X(3, 4), T(2, 4);
  X.setOnes();
  T << 1, 2, 3, 4, -1, 0, 0, 2;
  const double expected = 0.5 * (1 + 4 + 9 + 16 + 1 + 0 + 0 + 4) / 4.0;
  EXPECT_DOUBLE_EQ(mlp.loss(X, T), expected);
  Eigen::VectorXd g;
  EXPECT_DOUBLE_EQ(mlp.loss_and_gradient(X, T, &g), expected);
  ASSERT_EQ(g.size(), mlp.params().size());
  // dL/db_out = mean over the batch of (y - t) = -mean(t).
  const Eigen::Index b_out = mlp.params().size() - 2;
  EXPECT_DOUBLE_EQ(g[b_out], -10.0 / 4);
  EXPECT_DOUBLE_EQ(g[b_out + 1], -1.0 / 4);
  // Duplicating every sample changes neither loss nor gradient (a mean).
  Eigen::MatrixXd X2(3, 8), T2(2, 8);
  X2 << X, X;
  T2 << T, T;
  Eigen::VectorXd g2;
  EXPECT_DOUBLE_EQ(mlp.loss_and_gradient(X2, T2, &g2), expected);
  EXPECT_LT((g2 - g).cwiseAbs().maxCoeff(), 1e-15);
}

// With every hidden pre-activation exactly 0, ReLU'(0) = 0 cuts the gradient
// to the first layer off completely.
TEST(Mlp, ReluDerivativeAtZeroIsZero) {
  Mlp mlp(make_spec(3, {4}, 2, "relu", "linear"));
  const Eigen::Index first = 3 * 4 + 4;
  mlp.params().tail(mlp.params().size() - first).setConstant(1.0);  // output layer W and b
  Rng rng(3);
  const Eigen::MatrixXd X = random_matrix(rng, 3, 5), T = random_matrix(rng, 2, 5);
  Eigen::VectorXd g;
  mlp.loss_and_gradient(X, T, &g);
  EXPECT_TRUE((g.head(first).array() == 0).all()) << g.head(first).transpose();
  EXPECT_GT(g.tail(2).cwiseAbs().maxCoeff(), 0.1);  // output bias still learns
}

struct GradCase {
  const char* hidden;
  const char* output;
};

void PrintTo(const GradCase& c, std::ostream* os) { *os << c.hidden << " hidden, " << c.output << " output"; }

class GradientCheck : public ::testing::TestWithParam<GradCase> {};

// Central differences (h = 1e-5) on a 5-7-6-3 network with random, non-zero
// weights and biases; the analytic gradient must agree to 1e-6 relative.
TEST_P(GradientCheck, MatchesCentralDifferences) {
  const GradCase gc = GetParam();
  Mlp mlp(make_spec(5, {7, 6}, 3, gc.hidden, gc.output));
  mlp.init(11);
  Rng rng(12);
  for (Eigen::Index i = 0; i < mlp.params().size(); ++i) mlp.params()[i] += 0.3 * rng.normal();
  const int batch = 4;
  const Eigen::MatrixXd X = random_matrix(rng, 5, batch), T = random_matrix(rng, 3, batch);

  // Stay away from ReLU kinks: a perturbation of h moves a pre-activation
  // by far less than 1e-4 here.
  double closest = INFINITY;
  for (int c = 0; c < batch; ++c) {
    std::vector<double> pre;
    naive_forward(mlp, column(X, c), &pre);
    for (double z : pre) closest = std::min(closest, std::abs(z));
  }
  ASSERT_GT(closest, 1e-4) << "pick another seed: a ReLU pre-activation sits on the kink";

  Eigen::VectorXd g;
  const double loss = mlp.loss_and_gradient(X, T, &g);
  EXPECT_NEAR(loss, mlp.loss(X, T), 1e-14 * loss);

  const double h = 1e-5;
  Eigen::VectorXd fd(g.size());
  Mlp probe = mlp;
  for (Eigen::Index i = 0; i < g.size(); ++i) {
    const double p0 = probe.params()[i];
    probe.params()[i] = p0 + h;
    const double up = probe.loss(X, T);
    probe.params()[i] = p0 - h;
    const double down = probe.loss(X, T);
    probe.params()[i] = p0;
    fd[i] = (up - down) / (2 * h);
  }
  ASSERT_GT(g.norm(), 1e-2);  // not a vacuous comparison
  const double rel = (g - fd).norm() / std::max(g.norm(), fd.norm());
  EXPECT_LT(rel, 1e-6) << "analytic " << g.transpose() << "\nnumeric  " << fd.transpose();
  const double worst = (g - fd).cwiseAbs().maxCoeff() / g.cwiseAbs().maxCoeff();
  EXPECT_LT(worst, 1e-6);
  // Every layer receives gradient (catches a layer skipped in backprop).
  Eigen::Index off = 0;
  for (int l = 0; l < mlp.num_layers(); ++l) {
    const Eigen::Index n = Eigen::Index{mlp.sizes()[l + 1]} * (mlp.sizes()[l] + 1);
    EXPECT_GT(g.segment(off, n).norm(), 1e-6) << "layer " << l;
    off += n;
  }
}

INSTANTIATE_TEST_SUITE_P(Activations, GradientCheck,
                         ::testing::Values(GradCase{"tanh", "linear"}, GradCase{"tanh", "tanh"},
                                           GradCase{"relu", "linear"}, GradCase{"relu", "tanh"},
                                           GradCase{"linear", "relu"}, GradCase{"relu", "relu"}),
                         [](const ::testing::TestParamInfo<GradCase>& i) {
                           return std::string(i.param.hidden) + "_" + i.param.output;
                         });

// ---- forward -------------------------------------------------------------------

TEST(Mlp, SingleSampleForwardEqualsBatchAndReference) {
  for (const MlpSpec& s : {make_spec(5, {7, 6}, 3, "relu", "tanh"), make_spec(42, {512, 256}, 8, "tanh", "linear"),
                           make_spec(4, {}, 2, "relu", "linear"), make_spec(3, {9, 2, 9}, 6, "relu", "linear")}) {
    SCOPED_TRACE(::testing::PrintToString(s.sizes()));
    Mlp mlp(s);
    mlp.init(5);
    Rng rng(6);
    for (Eigen::Index i = 0; i < mlp.params().size(); ++i) mlp.params()[i] += 0.05 * rng.normal();
    const Eigen::MatrixXd X = random_matrix(rng, s.inputs, 17);
    const Eigen::MatrixXd Y = mlp.forward(X);
    ASSERT_EQ(Y.rows(), s.outputs);
    ASSERT_EQ(Y.cols(), 17);
    std::vector<double> ws(mlp.workspace_size()), y(s.outputs);
    for (int c = 0; c < X.cols(); ++c) {
      mlp.forward(X.col(c).data(), y.data(), ws.data());
      const std::vector<double> ref = naive_forward(mlp, column(X, c));
      for (int r = 0; r < s.outputs; ++r) {
        EXPECT_NEAR(y[r], Y(r, c), 1e-12) << "sample " << c << " output " << r;
        EXPECT_NEAR(y[r], ref[r], 1e-12) << "sample " << c << " output " << r;
      }
    }
    // Non-trivial outputs (a zero network would pass the comparisons).
    EXPECT_GT(Y.cwiseAbs().maxCoeff(), 1e-3);
  }
}

TEST(Mlp, WorkspaceIsTwoWidestLayers) {
  EXPECT_GE(Mlp(make_spec(42, {512, 256}, 8)).workspace_size(), 2u * 256);
  EXPECT_LE(Mlp(make_spec(42, {512, 256}, 8)).workspace_size(), 2u * 512);
}

TEST(Mlp, SingleSampleForwardDoesNotAllocate) {
  for (const MlpSpec& s : {make_spec(39, {32, 32}, 8, "relu", "linear"), make_spec(42, {512, 256}, 8, "tanh", "tanh"),
                           make_spec(5, {7, 6, 5}, 3, "relu", "relu")}) {
    SCOPED_TRACE(::testing::PrintToString(s.sizes()));
    Mlp mlp(s);
    mlp.init(1);
    std::vector<double> x(s.inputs, 0.25), y(s.outputs), ws(mlp.workspace_size());
    const Eigen::MatrixXd X = Eigen::MatrixXd::Constant(s.inputs, 3, 0.25);

    // The counter works: a batch forward (Eigen temporaries) and a new are seen.
    test::start_counting_allocations();
    Eigen::MatrixXd Y = mlp.forward(X);
    const long batch_allocs = test::stop_counting_allocations();
    test::start_counting_allocations();
    int* probe = new int(1);
    const long probe_allocs = test::stop_counting_allocations();
    delete probe;
    if (test::counts_malloc()) {
      EXPECT_GT(batch_allocs, 0);
    }
    EXPECT_EQ(probe_allocs, 1);

    double sum = 0;
    test::start_counting_allocations();
    for (int i = 0; i < 1000; ++i) {
      x[i % s.inputs] += 1e-3;
      mlp.forward(x.data(), y.data(), ws.data());
      sum += y[0];
    }
    EXPECT_EQ(test::stop_counting_allocations(), 0) << "heap allocations in 1000 single-sample forward calls";
    EXPECT_TRUE(std::isfinite(sum));
    EXPECT_GT(Y.size(), 0);
  }
}

// ---- Adam ----------------------------------------------------------------------

TEST(Adam, StepsMatchTheFormula) {
  Adam adam;
  adam.lr = 0.1;
  EXPECT_EQ(adam.m.size(), 0);
  Eigen::VectorXd p = Eigen::VectorXd::Zero(3), g1(3), g2(3);
  g1 << 2, -0.5, 0;
  g2 << 1, 1, 4;
  adam.step(p, g1);
  EXPECT_EQ(adam.t, 1);
  ASSERT_EQ(adam.m.size(), 3);
  ASSERT_EQ(adam.v.size(), 3);
  // Bias correction makes the first step lr * g / (|g| + eps).
  EXPECT_NEAR(p[0], -0.1 * 2 / (2 + 1e-8), 1e-15);
  EXPECT_NEAR(p[1], 0.1 * 0.5 / (0.5 + 1e-8), 1e-15);
  EXPECT_EQ(p[2], 0.0);  // zero gradient, zero step (eps keeps 0/0 away)

  adam.step(p, g2);
  EXPECT_EQ(adam.t, 2);
  for (int i = 0; i < 3; ++i) {
    const double m = 0.9 * 0.1 * g1[i] + 0.1 * g2[i];
    const double v = 0.999 * 0.001 * g1[i] * g1[i] + 0.001 * g2[i] * g2[i];
    const double mhat = m / (1 - 0.81), vhat = v / (1 - 0.999 * 0.999);
    const double first = i == 2 ? 0.0 : -0.1 * g1[i] / (std::abs(g1[i]) + 1e-8);
    EXPECT_NEAR(p[i], first - 0.1 * mhat / (std::sqrt(vhat) + 1e-8), 1e-12) << i;
    EXPECT_NEAR(adam.m[i], m, 1e-15);
    EXPECT_NEAR(adam.v[i], v, 1e-15);
  }
}

// ---- behaviour cloning ----------------------------------------------------------

namespace {

struct FitResult {
  Eigen::VectorXd params;
  int epochs = 0;
  double loss = 0;
};

// y1 = sin(x1) + 0.5 x2, y2 = 0.5 x1 x2 on 256 samples in [-2, 2]^2;
// 2-16-16-2 tanh network, Adam, shuffled minibatches of 32, all seeded.
FitResult fit(uint64_t seed, int max_epochs) {
  const int n = 256, batch = 32;
  Rng data_rng(100);
  Eigen::MatrixXd X(2, n), T(2, n);
  for (int i = 0; i < n; ++i) {
    X(0, i) = data_rng.uniform(-2, 2);
    X(1, i) = data_rng.uniform(-2, 2);
    T(0, i) = std::sin(X(0, i)) + 0.5 * X(1, i);
    T(1, i) = 0.5 * X(0, i) * X(1, i);
  }
  Mlp mlp(make_spec(2, {16, 16}, 2, "tanh", "linear"));
  mlp.init(seed);
  Adam adam;
  adam.lr = 1e-2;
  Rng shuffle(Rng::derive(seed, 1));
  std::vector<int> order(n);
  for (int i = 0; i < n; ++i) order[i] = i;
  Eigen::MatrixXd xb(2, batch), tb(2, batch);
  Eigen::VectorXd g;
  FitResult r;
  for (r.epochs = 1; r.epochs <= max_epochs; ++r.epochs) {
    for (int i = n - 1; i > 0; --i) std::swap(order[i], order[static_cast<int>(shuffle.uniform() * (i + 1))]);
    for (int start = 0; start < n; start += batch) {
      for (int k = 0; k < batch; ++k) {
        xb.col(k) = X.col(order[start + k]);
        tb.col(k) = T.col(order[start + k]);
      }
      mlp.loss_and_gradient(xb, tb, &g);
      adam.step(mlp.params(), g);
    }
    r.loss = mlp.loss(X, T);
    if (r.loss < 1e-3) break;
  }
  r.params = mlp.params();
  return r;
}

}  // namespace

TEST(Mlp, BehaviourCloningFitConvergesDeterministically) {
  const int max_epochs = 500;
  const FitResult a = fit(42, max_epochs);
  EXPECT_LT(a.loss, 1e-3) << "after " << a.epochs << " epochs";
  EXPECT_LE(a.epochs, max_epochs);
  std::printf("fit: loss %.3g after %d epochs\n", a.loss, a.epochs);

  const FitResult b = fit(42, max_epochs);
  EXPECT_EQ(a.epochs, b.epochs);
  EXPECT_EQ(a.loss, b.loss);
  EXPECT_EQ(a.params, b.params);  // bit for bit

  const FitResult c = fit(43, 1);
  const FitResult d = fit(42, 1);
  EXPECT_NE(c.params, d.params);
}
