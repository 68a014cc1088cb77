#include "policy/policy_model.h"

#include <cmath>

#include "common/error.h"

namespace tinywalk::policy {

namespace {
std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ",") + x;
  return s;
}
std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  size_t a = 0;
  while (a <= s.size()) {
    size_t b = s.find(',', a);
    if (b == std::string::npos) b = s.size();
    if (b > a) out.push_back(s.substr(a, b - a));
    a = b + 1;
  }
  return out;
}
Eigen::VectorXd vec(const std::vector<double>& v) { return Eigen::Map<const Eigen::VectorXd>(v.data(), v.size()); }
std::vector<double> std_vec(const Eigen::VectorXd& v) { return std::vector<double>(v.data(), v.data() + v.size()); }
}  // namespace

Checkpoint PolicyModel::to_checkpoint() const {
  Checkpoint c;
  c.texts["kind"] = "tinywalk-policy";
  c.texts["robot"] = robot;
  c.texts["joints"] = join(joints);
  c.texts["observation"] = config::to_yaml(observation);
  c.texts["model"] = config::to_yaml(mlp.spec());
  c.arrays["params"] = mlp.params();
  c.arrays["obs_mean"] = normalizer.mean;
  c.arrays["obs_std"] = normalizer.std;
  c.arrays["action_offset"] = vec(action.offset);
  c.arrays["action_scale"] = vec(action.scale);
  return c;
}

PolicyModel PolicyModel::from_checkpoint(const Checkpoint& c, const std::string& source) {
  if (c.text("kind", source) != "tinywalk-policy") throw InputError(source, "kind", "expected a tinywalk policy, got '" + c.text("kind", source) + "'");
  PolicyModel m;
  m.robot = c.text("robot", source);
  m.joints = split(c.text("joints", source));
  // Specs are stored as YAML text; read them back strictly.
  auto read_yaml = [&](const std::string& key, auto& out) {
    YAML::Node n;
    try {
      n = YAML::Load(c.text(key, source));
    } catch (const YAML::Exception& e) {
      throw InputError(source, key, std::string("stored spec is not valid YAML: ") + e.what());
    }
    config::Reader r(n, source + " [" + key + "]");
    out.visit(r);
    r.finish();
  };
  ObservationSpec obs;
  read_yaml("observation", obs);
  m.observation = resolve_observation(obs, source);
  const int J = static_cast<int>(m.joints.size());
  MlpSpec spec;
  read_yaml("model", spec);
  spec.inputs = feature_dim(m.observation, J);
  spec.outputs = J;
  m.mlp = Mlp(spec);
  const Eigen::VectorXd& p = c.array("params", source);
  if (p.size() != m.mlp.spec().num_params())
    throw InputError(source, "params", "has " + std::to_string(p.size()) + " values; the model needs " + std::to_string(m.mlp.spec().num_params()));
  m.mlp.params() = p;
  m.normalizer.mean = c.array("obs_mean", source);
  m.normalizer.std = c.array("obs_std", source);
  m.action.offset = std_vec(c.array("action_offset", source));
  m.action.scale = std_vec(c.array("action_scale", source));
  if (m.normalizer.mean.size() != spec.inputs || m.normalizer.std.size() != spec.inputs)
    throw InputError(source, "obs_mean", "normalisation size does not match the observation spec");
  if (static_cast<int>(m.action.offset.size()) != J || static_cast<int>(m.action.scale.size()) != J)
    throw InputError(source, "action_offset", "action mapping size does not match the joints");
  for (int i = 0; i < p.size(); ++i)
    if (!std::isfinite(p[i])) throw InputError(source, "params[" + std::to_string(i) + "]", "is not finite");
  return m;
}

void PolicyModel::save(const std::string& path) const { save_checkpoint(path, to_checkpoint()); }
PolicyModel PolicyModel::load(const std::string& path) { return from_checkpoint(load_checkpoint(path), path); }

PolicyRunner::PolicyRunner(const PolicyModel& model)
    : model_(model),
      features_(model.observation, model.num_joints()),
      x_(features_.dim()),
      y_(model.num_joints()),
      workspace_(model.mlp.workspace_size()) {}

void PolicyRunner::reset() { features_.reset(); }

void PolicyRunner::act(const SignalFrame& frame, double* targets) {
  features_.push(frame);
  features_.features(x_.data());
  model_.normalizer.apply(x_.data());
  model_.mlp.forward(x_.data(), y_.data(), workspace_.data());
  model_.action.to_targets(y_.data(), targets);
}

}  // namespace tinywalk::policy
