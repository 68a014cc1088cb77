// What a policy sees and what it outputs.
//
// Observation spec: an ordered list of signals, each with a history length;
// the feature vector is, signal by signal in spec order, that signal's last
// `history` frames, NEWEST FIRST. At the start of an episode the history is
// filled with the first frame. Features are normalised with per-feature
// mean / std computed from the training data and stored with the model.
//
// Signals (dims for a robot with J joints):
//   deployable (the real robot can measure them):
//     imu_rpy 3 (rad), imu_roll_pitch 2 (derived: imu_rpy[0..1]),
//     imu_gyro 3 (rad/s), imu_roll_pitch_rate 2 (derived: imu_gyro[0..1]),
//     imu_accel 3 (m/s^2), last_action J (rad, the previous command),
//     gait_clock 2 (sin, cos of the gait phase)
//   privileged (simulation only; a deployable spec refuses them):
//     q J, qd J (joint angles / rates: Bittle's servos have no encoders),
//     base_linear_velocity 3, base_angular_velocity 3, foot_contact 4,
//     reference_future 4 x (3 + 4 + J): the reference root position,
//       orientation (x, y, z, w) and joints 1, 2, 10 and 30 control steps ahead.
// Base signals come from a dataset episode's obs/ and privileged/ groups (or
// the live robot); derived ones are computed here.
//
// Presets:
//   paper42  : imu_rpy x6, last_action x3                      (18 + 24 = 42 for Bittle)
//   paper120 : imu_roll_pitch x3, imu_roll_pitch_rate x3, last_action x3, q x3,
//              reference_future x1                              (6 + 6 + 24 + 24 + 60 = 120; not deployable)
//   mcu      : imu_rpy x2, imu_gyro x1, last_action x2, gait_clock x1   (the project default)
//
// Actions: residual joint targets around the standing pose, bounded:
//   target = offset + scale * clamp(y, -1, 1), per joint (rad).
#pragma once

#include <Eigen/Core>
#include <map>
#include <string>
#include <vector>

#include "common/yaml_config.h"
#include "dataset/dataset.h"

namespace tinywalk::policy {

struct ObservationSpec {
  std::string preset;                 // if set, signals/history come from it (and must not be given)
  std::vector<std::string> signals;   // in feature order
  std::vector<int> history;           // frames per signal (>= 1), same length as signals
  bool deployable = true;             // refuse privileged signals

  template <class V>
  void visit(V& v) {
    v.field("preset", preset, "paper42, paper120 or mcu; or empty and list signals and history");
    v.field("signals", signals, "signal names in feature order (see policy/observation.h)");
    v.field("history", history, "frames of history per signal, newest first", config::between(1, 1000));
    v.field("deployable", deployable, "only signals the real robot can measure (privileged signals are refused)");
  }
};

// Resolves a preset and checks names, lengths and deployability. InputError
// naming `file` and the key (e.g. "observation.signals[2]: 'q' is privileged:
// Bittle's servos have no encoders; a deployable policy cannot use it").
ObservationSpec resolve_observation(const ObservationSpec& spec, const std::string& file);
bool is_privileged(const std::string& signal);
int signal_dim(const std::string& signal, int num_joints);  // InputError for an unknown name
int feature_dim(const ObservationSpec& resolved, int num_joints);

// Signal name -> values for one control step (base signals; derived ones are
// computed from them).
using SignalFrame = std::map<std::string, std::vector<double>>;

// Keeps each signal's history for one episode and writes feature vectors.
class FeatureBuilder {
 public:
  FeatureBuilder(const ObservationSpec& resolved, int num_joints);
  int dim() const { return dim_; }
  void reset();                                 // next push() starts a new episode
  void push(const SignalFrame& frame);          // InputError if a needed signal is missing or has the wrong size
  void features(double* out) const;             // dim() values

 private:
  ObservationSpec spec_;
  int num_joints_, dim_ = 0;
  std::vector<int> dims_;
  std::vector<std::vector<std::vector<double>>> history_;  // per signal: frames, newest first
  bool empty_ = true;
};

struct ActionSpec {
  std::vector<double> offset;  // rad per joint (the standing pose)
  std::vector<double> scale;   // rad per joint
  // Network output -> joint targets (clamped to [-1, 1] first).
  void to_targets(const double* y, double* targets) const;
  // Joint targets -> training target (may exceed [-1, 1] if the data does).
  void to_output(const double* targets, double* y) const;
};

struct Normalizer {
  Eigen::VectorXd mean, std;  // per feature; std floored at 1e-6 (constant features pass through centred)
  void fit(const Eigen::MatrixXd& X);          // X [features x samples]
  void apply(double* x) const;                 // in place
  void apply(Eigen::MatrixXd& X) const;
};

// Features and targets of every step of every episode of a dataset, in order:
// X [features x steps], Y [joints x steps] from the `actions` labels. The
// episode of each column in `episode`. reference_future is built from each
// episode's reference/ signals (indices past the end clamp to the last step).
struct TrainingSet {
  Eigen::MatrixXd X, Y;
  std::vector<int> episode;
};
TrainingSet build_training_set(const data::Dataset& d, const ObservationSpec& resolved, const ActionSpec& actions,
                               const std::string& source);

}  // namespace tinywalk::policy
