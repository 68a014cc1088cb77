#include "policy/observation.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "common/error.h"

namespace tinywalk::policy {

namespace {

// reference_future looks this many control steps ahead.
constexpr int kFutureOffsets[] = {1, 2, 10, 30};
constexpr int kNumFuture = sizeof(kFutureOffsets) / sizeof(kFutureOffsets[0]);

// One row per known signal: dim = fixed + per_joint * J. `base` is the signal
// a derived one is computed from (its first `dim` values); `group` is where a
// dataset episode keeps a base signal; `why` explains a privileged one.
struct SignalInfo {
  const char* name;
  int fixed, per_joint;
  const char* base;
  const char* group;
  const char* why;  // nullptr: deployable
};

const SignalInfo kSignals[] = {
    {"imu_rpy", 3, 0, "imu_rpy", "obs", nullptr},
    {"imu_roll_pitch", 2, 0, "imu_rpy", "obs", nullptr},
    {"imu_gyro", 3, 0, "imu_gyro", "obs", nullptr},
    {"imu_roll_pitch_rate", 2, 0, "imu_gyro", "obs", nullptr},
    {"imu_accel", 3, 0, "imu_accel", "obs", nullptr},
    {"last_action", 0, 1, "last_action", "obs", nullptr},
    {"gait_clock", 2, 0, "gait_clock", "obs", nullptr},
    {"q", 0, 1, "q", "privileged", "Bittle's servos have no encoders, so joint angles are not measurable on the robot"},
    {"qd", 0, 1, "qd", "privileged", "Bittle's servos have no encoders, so joint rates are not measurable on the robot"},
    {"base_linear_velocity", 3, 0, "base_linear_velocity", "privileged",
     "the world-frame base velocity is simulator state, not measurable on the robot"},
    {"base_angular_velocity", 3, 0, "base_angular_velocity", "privileged",
     "the world-frame base angular velocity is simulator state, not measurable on the robot (imu_gyro is the measured rate)"},
    {"foot_contact", 4, 0, "foot_contact", "privileged", "Bittle has no foot contact sensors, so contacts are not measurable on the robot"},
    {"reference_future", kNumFuture * 7, kNumFuture, "reference_future", "reference",
     "the future reference pose is simulator-side tracking data, not measurable on the robot"},
};

struct Preset {
  const char* name;
  std::vector<std::string> signals;
  std::vector<int> history;
};

const std::vector<Preset>& presets() {
  static const std::vector<Preset> p = {
      {"paper42", {"imu_rpy", "last_action"}, {6, 3}},
      {"paper120", {"imu_roll_pitch", "imu_roll_pitch_rate", "last_action", "q", "reference_future"}, {3, 3, 3, 3, 1}},
      {"mcu", {"imu_rpy", "imu_gyro", "last_action", "gait_clock"}, {2, 1, 2, 1}},
  };
  return p;
}

const SignalInfo* find_signal(const std::string& name) {
  for (const auto& s : kSignals)
    if (name == s.name) return &s;
  return nullptr;
}

std::string known_signals() {
  std::string s;
  for (const auto& x : kSignals) s += (s.empty() ? "" : ", ") + std::string(x.name);
  return s;
}

std::string known_presets() {
  std::string s;
  for (const auto& p : presets()) s += (s.empty() ? "" : ", ") + std::string(p.name);
  return s;
}

int dim_of(const SignalInfo& s, int num_joints) { return s.fixed + s.per_joint * num_joints; }

// The signal a spec entry reads from a frame (itself unless derived), and its size.
const SignalInfo& base_of(const std::string& name) {
  const SignalInfo* s = find_signal(name);
  TW_CHECK(s, "signal '" + name + "' was not resolved");
  const SignalInfo* b = find_signal(s->base);
  TW_CHECK(b, "base signal of '" + name + "' is not in the table");
  return *b;
}

void check_resolved(const ObservationSpec& spec) {
  TW_CHECK(spec.preset.empty() && spec.signals.size() == spec.history.size(),
           "observation spec must be resolved (resolve_observation) before use");
}

}  // namespace

// --- spec ---------------------------------------------------------------------

bool is_privileged(const std::string& signal) {
  const SignalInfo* s = find_signal(signal);
  return s && s->why;  // unknown names are not privileged (resolve refuses them anyway)
}

int signal_dim(const std::string& signal, int num_joints) {
  const SignalInfo* s = find_signal(signal);
  if (!s) throw InputError("", "observation.signals", "unknown signal '" + signal + "'; known: " + known_signals());
  return dim_of(*s, num_joints);
}

int feature_dim(const ObservationSpec& resolved, int num_joints) {
  check_resolved(resolved);
  int d = 0;
  for (size_t i = 0; i < resolved.signals.size(); ++i) d += signal_dim(resolved.signals[i], num_joints) * resolved.history[i];
  return d;
}

// A preset expands to the explicit form (preset cleared), so a resolved spec
// written as YAML resolves again to itself.
ObservationSpec resolve_observation(const ObservationSpec& spec, const std::string& file) {
  ObservationSpec out = spec;
  const bool listed = !spec.signals.empty() || !spec.history.empty();
  const bool from_preset = !spec.preset.empty();
  if (from_preset) {
    if (listed)
      throw InputError(file, "observation.preset",
                       "'" + spec.preset + "' given together with signals/history; use either a preset or an explicit list");
    const Preset* p = nullptr;
    for (const auto& x : presets())
      if (spec.preset == x.name) p = &x;
    if (!p) throw InputError(file, "observation.preset", "unknown preset '" + spec.preset + "'; known: " + known_presets());
    out.preset.clear();
    out.signals = p->signals;
    out.history = p->history;
  } else if (!listed) {
    throw InputError(file, "observation", "is empty: give a preset (" + known_presets() + ") or list signals and history");
  }
  if (out.signals.size() != out.history.size())
    throw InputError(file, "observation.history",
                     "has " + std::to_string(out.history.size()) + " entries but signals has " + std::to_string(out.signals.size()) +
                         "; give one history length per signal");
  for (size_t i = 0; i < out.signals.size(); ++i) {
    const std::string key = "observation.signals[" + std::to_string(i) + "]";
    const SignalInfo* s = find_signal(out.signals[i]);
    if (!s) throw InputError(file, key, "unknown signal '" + out.signals[i] + "'; known: " + known_signals());
    if (out.history[i] < 1 || out.history[i] > 1000)
      throw InputError(file, "observation.history[" + std::to_string(i) + "]",
                       "is " + std::to_string(out.history[i]) + "; expected 1 to 1000 frames");
    if (spec.deployable && s->why) {
      const std::string what = "'" + out.signals[i] + "' is privileged: " + s->why + "; a deployable policy cannot use it";
      if (from_preset)
        throw InputError(file, "observation.preset",
                         "preset '" + spec.preset + "' uses " + what + " (set deployable: false for a simulation-only policy)");
      throw InputError(file, key, what + " (set deployable: false for a simulation-only policy)");
    }
  }
  return out;
}

// --- FeatureBuilder ----------------------------------------------------------

FeatureBuilder::FeatureBuilder(const ObservationSpec& resolved, int num_joints) : spec_(resolved), num_joints_(num_joints) {
  check_resolved(spec_);
  for (size_t i = 0; i < spec_.signals.size(); ++i) {
    const int d = signal_dim(spec_.signals[i], num_joints_);
    dims_.push_back(d);
    dim_ += d * spec_.history[i];
    history_.emplace_back(spec_.history[i], std::vector<double>(d, 0.0));
  }
}

void FeatureBuilder::reset() { empty_ = true; }

// Checks every needed base signal first (a failed push changes nothing), then
// shifts each history by one frame (swaps, no allocation) and writes the new
// frame in front; the first frame of an episode fills every slot.
void FeatureBuilder::push(const SignalFrame& frame) {
  for (size_t i = 0; i < spec_.signals.size(); ++i) {
    const SignalInfo& b = base_of(spec_.signals[i]);
    const int need = dim_of(b, num_joints_);
    auto it = frame.find(b.name);
    const bool missing = it == frame.end();
    if (missing || static_cast<int>(it->second.size()) != need) {
      const std::string expected = "expected " + std::to_string(need) + " values" +
                                   (spec_.signals[i] == b.name ? "" : " (for " + spec_.signals[i] + ")");
      throw InputError("", std::string("signal '") + b.name + "'",
                       missing ? "missing; " + expected : "has " + std::to_string(it->second.size()) + " values; " + expected);
    }
  }
  for (size_t i = 0; i < spec_.signals.size(); ++i) {
    const std::vector<double>& v = frame.find(base_of(spec_.signals[i]).name)->second;
    auto& h = history_[i];
    if (empty_) {
      for (auto& slot : h) std::copy(v.begin(), v.begin() + dims_[i], slot.begin());
    } else {
      std::rotate(h.rbegin(), h.rbegin() + 1, h.rend());  // oldest frame moves to the front, to be overwritten
      std::copy(v.begin(), v.begin() + dims_[i], h.front().begin());
    }
  }
  empty_ = false;
}

void FeatureBuilder::features(double* out) const {
  TW_CHECK(!empty_, "FeatureBuilder::features called before the first push of an episode");
  for (size_t i = 0; i < history_.size(); ++i)
    for (const auto& slot : history_[i]) {
      std::memcpy(out, slot.data(), slot.size() * sizeof(double));
      out += slot.size();
    }
}

// --- ActionSpec --------------------------------------------------------------

void ActionSpec::to_targets(const double* y, double* targets) const {
  TW_CHECK(offset.size() == scale.size(), "action offset and scale sizes differ");
  for (size_t j = 0; j < offset.size(); ++j) targets[j] = offset[j] + scale[j] * std::clamp(y[j], -1.0, 1.0);
}

void ActionSpec::to_output(const double* targets, double* y) const {
  TW_CHECK(offset.size() == scale.size(), "action offset and scale sizes differ");
  for (size_t j = 0; j < offset.size(); ++j) {
    TW_CHECK(scale[j] != 0, "action scale is zero for joint " + std::to_string(j));
    y[j] = (targets[j] - offset[j]) / scale[j];
  }
}

// --- Normalizer --------------------------------------------------------------

void Normalizer::fit(const Eigen::MatrixXd& X) {
  TW_CHECK(X.cols() > 0, "cannot fit a normaliser on zero samples");
  const double n = static_cast<double>(X.cols());
  mean = X.rowwise().sum() / n;
  std = ((X.colwise() - mean).rowwise().squaredNorm() / n).cwiseSqrt().cwiseMax(1e-6);
}

void Normalizer::apply(double* x) const {
  TW_CHECK(mean.size() == std.size(), "normaliser mean and std sizes differ");
  for (Eigen::Index i = 0; i < mean.size(); ++i) x[i] = (x[i] - mean[i]) / std[i];
}

void Normalizer::apply(Eigen::MatrixXd& X) const {
  TW_CHECK(mean.size() == std.size() && X.rows() == mean.size(), "normaliser size does not match the features");
  X = (X.colwise() - mean).array().colwise() / std.array();
}

// --- training set ------------------------------------------------------------

// Per episode: checks the signals the spec needs (present, one row per step,
// right width), then walks the steps through a FeatureBuilder reset at the
// start, writing one X / Y column per step.
TrainingSet build_training_set(const data::Dataset& d, const ObservationSpec& resolved, const ActionSpec& actions,
                               const std::string& source) {
  check_resolved(resolved);
  const int J = d.episodes.empty() ? static_cast<int>(actions.offset.size()) : d.episodes[0].actions.dim;
  FeatureBuilder fb(resolved, J);

  // Base signals read from obs/ or privileged/ (deduplicated), and whether
  // reference_future is needed.
  std::vector<const SignalInfo*> bases;
  bool future = false;
  for (const auto& name : resolved.signals) {
    const SignalInfo& b = base_of(name);
    if (std::string(b.name) == "reference_future") {
      future = true;
    } else if (std::find(bases.begin(), bases.end(), &b) == bases.end()) {
      bases.push_back(&b);
    }
  }

  Eigen::Index total = 0;
  for (const auto& e : d.episodes) total += e.actions.rows();
  TrainingSet ts;
  ts.X.resize(fb.dim(), total);
  ts.Y.resize(J, total);
  ts.episode.reserve(total);
  Eigen::Index col = 0;
  SignalFrame frame;
  for (size_t k = 0; k < d.episodes.size(); ++k) {
    const data::EpisodeData& e = d.episodes[k];
    const std::string demo = "/data/demo_" + std::to_string(k);
    const int64_t T = e.actions.rows();
    if (e.actions.dim != J)
      throw InputError(source, demo + "/actions", "has " + std::to_string(e.actions.dim) + " joints; episode 0 has " + std::to_string(J));
    if (static_cast<int>(actions.offset.size()) != J)
      throw InputError(source, demo + "/actions",
                       "has " + std::to_string(J) + " joints; the policy's action mapping has " + std::to_string(actions.offset.size()) +
                           " (a dataset of another robot?)");
    // Finds group/name in the episode with T rows of `dim` values.
    auto need = [&](const char* group, const std::string& name, int dim, const std::string& for_signal) -> const data::Signal& {
      const data::SignalMap& m = std::string(group) == "obs" ? e.obs : std::string(group) == "privileged" ? e.privileged : e.reference;
      const std::string where = demo + "/" + group + "/" + name;
      auto it = m.find(name);
      if (it == m.end()) throw InputError(source, where, "missing; the observation needs it for '" + for_signal + "'");
      if (it->second.dim != dim)
        throw InputError(source, where, "has " + std::to_string(it->second.dim) + " values per step; expected " + std::to_string(dim));
      if (it->second.rows() != T || static_cast<int64_t>(it->second.values.size()) != T * dim)
        throw InputError(source, where, "has " + std::to_string(it->second.rows()) + " rows; the episode has " + std::to_string(T) + " steps");
      return it->second;
    };
    std::vector<const data::Signal*> base_data;
    for (const SignalInfo* b : bases) {
      base_data.push_back(&need(b->group, b->name, dim_of(*b, J), b->name));
      frame[b->name].resize(dim_of(*b, J));
    }
    const data::Signal *ref_pos = nullptr, *ref_rot = nullptr, *ref_q = nullptr;
    if (future) {
      ref_pos = &need("reference", "root_position", 3, "reference_future");
      ref_rot = &need("reference", "root_orientation", 4, "reference_future");
      ref_q = &need("reference", "q", J, "reference_future");
      frame["reference_future"].resize(dim_of(*find_signal("reference_future"), J));
    }

    fb.reset();
    for (int64_t t = 0; t < T; ++t, ++col) {
      for (size_t i = 0; i < bases.size(); ++i) {
        const double* r = base_data[i]->row(t);
        std::vector<double>& v = frame[bases[i]->name];
        std::copy(r, r + v.size(), v.begin());
      }
      if (future) {
        double* out = frame["reference_future"].data();
        for (int off : kFutureOffsets) {
          const int64_t s = std::min<int64_t>(t + off, T - 1);
          for (const data::Signal* sig : {ref_pos, ref_rot, ref_q}) out = std::copy(sig->row(s), sig->row(s) + sig->dim, out);
        }
      }
      fb.push(frame);
      fb.features(ts.X.col(col).data());
      actions.to_output(e.actions.row(t), ts.Y.col(col).data());
      ts.episode.push_back(static_cast<int>(k));
    }
  }
  return ts;
}

}  // namespace tinywalk::policy
