// A trained policy: observation spec, feature normalisation, action mapping
// and the MLP, saved as one checkpoint file (policy/checkpoint.h) that eval,
// the quantizer and the firmware exporter read.
#pragma once

#include <string>
#include <vector>

#include "policy/checkpoint.h"
#include "policy/mlp.h"
#include "policy/observation.h"

namespace tinywalk::policy {

struct PolicyModel {
  std::string robot;                 // robot name it was trained for
  std::vector<std::string> joints;   // joint order of the actions
  ObservationSpec observation;       // resolved
  Normalizer normalizer;
  ActionSpec action;
  Mlp mlp{MlpSpec{1, {1}, 1}};

  int num_joints() const { return static_cast<int>(action.offset.size()); }
  Checkpoint to_checkpoint() const;
  static PolicyModel from_checkpoint(const Checkpoint& c, const std::string& source);
  void save(const std::string& path) const;
  static PolicyModel load(const std::string& path);
};

// Anything that turns a step's signals into joint targets in closed loop:
// a float checkpoint, a float or int8 .tflite (quantize/), ... One instance
// per episode stream (thread).
class Actor {
 public:
  virtual ~Actor() = default;
  virtual void reset() = 0;  // new episode: history restarts
  // Joint targets (rad, the model's joint order) for this step's signals.
  virtual void act(const SignalFrame& frame, double* targets) = 0;
};

// Runs a float PolicyModel.
class PolicyRunner : public Actor {
 public:
  explicit PolicyRunner(const PolicyModel& model);
  void reset() override;
  void act(const SignalFrame& frame, double* targets) override;

 private:
  const PolicyModel& model_;
  FeatureBuilder features_;
  std::vector<double> x_, y_, workspace_;
};

}  // namespace tinywalk::policy
