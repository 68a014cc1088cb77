// The MLP: spec validation, Glorot initialisation, batch forward with
// hand-written backprop, a heap-free single-sample forward, and Adam.
//
// Loss (the exact normalisation promised in mlp.h): for a batch of B samples
// with outputs Y = forward(X) [outputs x B] and targets T,
//   loss = 0.5 * sum_{i,j} (Y_ij - T_ij)^2 / B,
// i.e. half the squared error summed over outputs and averaged over samples,
// so the gradient is the per-sample mean and does not scale with B.
#include "policy/mlp.h"

#include <algorithm>
#include <cmath>

#include "common/error.h"
#include "common/random.h"

namespace tinywalk::policy {

Activation parse_activation(const std::string& name, const std::string& file, const std::string& key) {
  if (name == "linear") return Activation::Linear;
  if (name == "relu") return Activation::ReLU;
  if (name == "tanh") return Activation::Tanh;
  throw InputError(file, key, "unknown activation '" + name + "'; expected linear, relu or tanh");
}

const char* to_string(Activation a) {
  switch (a) {
    case Activation::Linear: return "linear";
    case Activation::ReLU: return "relu";
    case Activation::Tanh: return "tanh";
  }
  return "?";
}

std::vector<int> MlpSpec::sizes() const {
  std::vector<int> s;
  s.reserve(hidden.size() + 2);
  s.push_back(inputs);
  s.insert(s.end(), hidden.begin(), hidden.end());
  s.push_back(outputs);
  return s;
}

int64_t MlpSpec::num_params() const {
  const std::vector<int> s = sizes();
  int64_t n = 0;
  for (size_t l = 0; l + 1 < s.size(); ++l) n += int64_t{s[l + 1]} * s[l] + s[l + 1];
  return n;
}

namespace {

// In-place activation of a block of pre-activations.
template <class Block>
void activate(Activation a, Block&& z) {
  switch (a) {
    case Activation::Linear: break;
    case Activation::ReLU: z = z.cwiseMax(0.0); break;
    case Activation::Tanh: z = z.array().tanh().matrix(); break;
  }
}

// Multiplies delta in place by act'(z), written in terms of the layer's
// output y = act(z): ReLU' = [y > 0] (0 at z = 0), tanh' = 1 - y^2.
void scale_by_derivative(Activation a, const Eigen::MatrixXd& y, Eigen::MatrixXd& delta) {
  switch (a) {
    case Activation::Linear: break;
    case Activation::ReLU: delta = (y.array() > 0.0).select(delta, 0.0); break;
    case Activation::Tanh: delta.array() *= 1.0 - y.array().square(); break;
  }
}

}  // namespace

// Construction: validate sizes and activation names, lay out W then b per layer.
Mlp::Mlp(const MlpSpec& spec) : spec_(spec), sizes_(spec.sizes()) {
  if (spec.inputs < 1) throw InputError("", "model", "the network needs at least 1 input (got " + std::to_string(spec.inputs) + ")");
  if (spec.outputs < 1) throw InputError("", "model", "the network needs at least 1 output (got " + std::to_string(spec.outputs) + ")");
  for (size_t i = 0; i < spec.hidden.size(); ++i)
    if (spec.hidden[i] < 1)
      throw InputError("", "model.hidden", "layer " + std::to_string(i) + " has " + std::to_string(spec.hidden[i]) +
                                               " neurons; expected >= 1");
  const Activation hidden = parse_activation(spec.hidden_activation, "", "model.hidden_activation");
  const Activation output = parse_activation(spec.output_activation, "", "model.output_activation");

  int64_t off = 0;
  for (int l = 0; l < num_layers(); ++l) {
    acts_.push_back(l + 1 == num_layers() ? output : hidden);
    offset_.push_back(off);
    off += int64_t{sizes_[l + 1]} * sizes_[l] + sizes_[l + 1];
  }
  params_ = Eigen::VectorXd::Zero(off);
}

// Glorot-uniform weights drawn layer by layer in storage order, zero biases.
void Mlp::init(uint64_t seed) {
  Rng rng(seed);
  params_.setZero();
  for (int l = 0; l < num_layers(); ++l) {
    const double limit = std::sqrt(6.0 / (sizes_[l] + sizes_[l + 1]));
    const int64_t n = int64_t{sizes_[l + 1]} * sizes_[l];
    for (int64_t i = 0; i < n; ++i) params_[offset_[l] + i] = rng.uniform(-limit, limit);
  }
}

Eigen::Map<const Eigen::MatrixXd> Mlp::weight(int layer) const {
  TW_CHECK(layer >= 0 && layer < num_layers(), "layer index out of range");
  return {params_.data() + offset_[layer], sizes_[layer + 1], sizes_[layer]};
}

Eigen::Map<const Eigen::VectorXd> Mlp::bias(int layer) const {
  TW_CHECK(layer >= 0 && layer < num_layers(), "layer index out of range");
  return {params_.data() + offset_[layer] + int64_t{sizes_[layer + 1]} * sizes_[layer], sizes_[layer + 1]};
}

Activation Mlp::activation(int layer) const {
  TW_CHECK(layer >= 0 && layer < num_layers(), "layer index out of range");
  return acts_[layer];
}

// Batch forward: A_{l+1} = act(W_l A_l + b_l 1^T).
Eigen::MatrixXd Mlp::forward(const Eigen::MatrixXd& X) const {
  TW_CHECK(X.rows() == sizes_.front(), "forward: input rows != network inputs");
  Eigen::MatrixXd a = X;
  for (int l = 0; l < num_layers(); ++l) {
    Eigen::MatrixXd z = weight(l) * a;
    z.colwise() += bias(l);
    activate(acts_[l], z);
    a = std::move(z);
  }
  return a;
}

double Mlp::loss(const Eigen::MatrixXd& X, const Eigen::MatrixXd& T) const {
  TW_CHECK(X.cols() >= 1, "loss: empty batch");
  TW_CHECK(T.rows() == sizes_.back() && T.cols() == X.cols(), "loss: target shape mismatch");
  return 0.5 * (forward(X) - T).squaredNorm() / static_cast<double>(X.cols());
}

// Backprop: keep every layer's output, then walk back with
// delta_l = dL/dz_l; dW_l = delta_l A_l^T, db_l = delta_l 1,
// delta_{l-1} = (W_l^T delta_l) .* act'_{l-1}.
double Mlp::loss_and_gradient(const Eigen::MatrixXd& X, const Eigen::MatrixXd& T, Eigen::VectorXd* grad) const {
  TW_CHECK(X.rows() == sizes_.front(), "loss_and_gradient: input rows != network inputs");
  TW_CHECK(X.cols() >= 1, "loss_and_gradient: empty batch");
  TW_CHECK(T.rows() == sizes_.back() && T.cols() == X.cols(), "loss_and_gradient: target shape mismatch");
  TW_CHECK(grad != nullptr, "loss_and_gradient: null gradient");
  const int L = num_layers();
  const double inv_b = 1.0 / static_cast<double>(X.cols());

  std::vector<Eigen::MatrixXd> out(L);  // out[l] = output of layer l
  for (int l = 0; l < L; ++l) {
    out[l] = weight(l) * (l == 0 ? X : out[l - 1]);
    out[l].colwise() += bias(l);
    activate(acts_[l], out[l]);
  }

  Eigen::MatrixXd delta = out[L - 1] - T;
  const double loss = 0.5 * delta.squaredNorm() * inv_b;
  delta *= inv_b;

  grad->resize(params_.size());
  for (int l = L - 1; l >= 0; --l) {
    scale_by_derivative(acts_[l], out[l], delta);
    const Eigen::MatrixXd& in = l == 0 ? X : out[l - 1];
    const int64_t n_w = int64_t{sizes_[l + 1]} * sizes_[l];
    Eigen::Map<Eigen::MatrixXd> dW(grad->data() + offset_[l], sizes_[l + 1], sizes_[l]);
    Eigen::Map<Eigen::VectorXd> db(grad->data() + offset_[l] + n_w, sizes_[l + 1]);
    dW.noalias() = delta * in.transpose();
    db = delta.rowwise().sum();
    if (l > 0) {
      Eigen::MatrixXd prev = weight(l).transpose() * delta;
      delta = std::move(prev);
    }
  }
  return loss;
}

// Two ping-pong buffers as wide as the widest layer.
size_t Mlp::workspace_size() const {
  return 2 * static_cast<size_t>(*std::max_element(sizes_.begin(), sizes_.end()));
}

// Single sample: Eigen maps over caller memory, noalias products (GEMV writes
// straight into the destination), so nothing is allocated.
void Mlp::forward(const double* x, double* y, double* workspace) const {
  const int width = *std::max_element(sizes_.begin(), sizes_.end());
  const double* src = x;
  for (int l = 0; l < num_layers(); ++l) {
    double* dst = l + 1 == num_layers() ? y : workspace + (l % 2) * width;
    Eigen::Map<const Eigen::VectorXd> in(src, sizes_[l]);
    Eigen::Map<Eigen::VectorXd> z(dst, sizes_[l + 1]);
    z.noalias() = weight(l) * in;
    z += bias(l);
    activate(acts_[l], z);
    src = dst;
  }
}

// Adam with bias-corrected moments; m and v start at zero on the first step.
void Adam::step(Eigen::VectorXd& params, const Eigen::VectorXd& grad) {
  TW_CHECK(grad.size() == params.size(), "Adam: gradient size != parameter size");
  if (m.size() == 0) m = Eigen::VectorXd::Zero(params.size());
  if (v.size() == 0) v = Eigen::VectorXd::Zero(params.size());
  TW_CHECK(m.size() == params.size() && v.size() == params.size(), "Adam: moment size != parameter size");
  ++t;
  m = beta1 * m + (1 - beta1) * grad;
  v = beta2 * v + (1 - beta2) * grad.cwiseAbs2();
  const double c1 = 1 - std::pow(beta1, static_cast<double>(t));
  const double c2 = 1 - std::pow(beta2, static_cast<double>(t));
  params.array() -= lr * (m.array() / c1) / ((v.array() / c2).sqrt() + eps);
}

}  // namespace tinywalk::policy
