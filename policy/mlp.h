// A small multilayer perceptron on Eigen: the gait policy's model.
//
// Layout: layer l maps n_l inputs to n_{l+1} outputs, y = act(W x + b), W
// [n_{l+1} x n_l] column-major, b [n_{l+1}]. All parameters live in one flat
// vector, per layer W then b, so the optimiser, checkpoints and quantizer see
// one array; weight(l) / bias(l) are views into it.
// Hidden layers use `hidden_activation`; the last uses `output_activation`.
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <string>
#include <vector>

#include "common/yaml_config.h"

namespace tinywalk::policy {

enum class Activation { Linear, ReLU, Tanh };
Activation parse_activation(const std::string& name, const std::string& file, const std::string& key);  // "linear", "relu", "tanh"
const char* to_string(Activation a);

struct MlpSpec {
  int inputs = 0;                       // set from the observation spec
  std::vector<int> hidden = {32, 32};   // neurons per hidden layer
  int outputs = 0;                      // set from the action dimension
  std::string hidden_activation = "relu";
  std::string output_activation = "linear";

  template <class V>
  void visit(V& v) {
    v.field("hidden", hidden, "neurons per hidden layer", config::between(1, 65536));
    v.field("hidden_activation", hidden_activation, "relu, tanh or linear");
    v.field("output_activation", output_activation, "linear, tanh or relu");
  }
  std::vector<int> sizes() const;  // inputs, hidden..., outputs
  int64_t num_params() const;
};

class Mlp {
 public:
  explicit Mlp(const MlpSpec& spec);  // parameters zero; InputError on a bad spec (sizes < 1, unknown activation)

  // Deterministic initialisation from a seed: weights uniform in
  // +-sqrt(6 / (fan_in + fan_out)) (Glorot), biases 0.
  void init(uint64_t seed);

  const MlpSpec& spec() const { return spec_; }
  int num_layers() const { return static_cast<int>(sizes_.size()) - 1; }
  const std::vector<int>& sizes() const { return sizes_; }
  Eigen::VectorXd& params() { return params_; }
  const Eigen::VectorXd& params() const { return params_; }
  Eigen::Map<const Eigen::MatrixXd> weight(int layer) const;
  Eigen::Map<const Eigen::VectorXd> bias(int layer) const;
  Activation activation(int layer) const;

  // Batch forward: X [inputs x batch] -> [outputs x batch] (allocates).
  Eigen::MatrixXd forward(const Eigen::MatrixXd& X) const;
  // Loss = 0.5 * sum over batch and outputs of (y - T)^2 / batch (a per-sample
  // mean of half the squared error), and its gradient with respect to params()
  // (grad resized to num_params()).
  double loss_and_gradient(const Eigen::MatrixXd& X, const Eigen::MatrixXd& T, Eigen::VectorXd* grad) const;
  double loss(const Eigen::MatrixXd& X, const Eigen::MatrixXd& T) const;

  // One sample without touching the heap: x [inputs], y [outputs], workspace
  // of workspace_size() doubles owned by the caller; y must not overlap x or
  // the workspace.
  size_t workspace_size() const;
  void forward(const double* x, double* y, double* workspace) const;

 private:
  MlpSpec spec_;
  std::vector<int> sizes_;
  std::vector<Activation> acts_;
  std::vector<int64_t> offset_;  // start of each layer's W in params_
  Eigen::VectorXd params_;
};

// Adam (Kingma & Ba) with bias correction.
struct Adam {
  double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
  Eigen::VectorXd m, v;  // first and second moments (sized on first step)
  int64_t t = 0;         // steps taken
  void step(Eigen::VectorXd& params, const Eigen::VectorXd& grad);
};

}  // namespace tinywalk::policy
