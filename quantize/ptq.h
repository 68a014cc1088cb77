// Post-training quantization of a trained policy to the TFLite int8 spec, the
// float32 export, and runners for both file kinds.
//
// Input tensor: the normalised features ((x - mean) / std, stored in the
// metadata), int8 per tensor from calibration. The firmware folds the
// normalisation and this quantization into one per-feature affine map
// computed offline (metadata: feature_mean, feature_std, and the input
// tensor's scale and zero point), so it does no float work.
// Hidden layers: int8 per tensor from calibration (fused ReLU layers start at
// 0, so their zero point is -128). Output tensor: the range [-1, 1] the
// action is clamped to anyway, so the clamp is the int8 saturation and every
// output step is action_scale * 2 / 255 (0.36 degrees for Bittle's default).
#pragma once

#include <Eigen/Core>
#include <string>
#include <vector>

#include "common/yaml_config.h"
#include "policy/policy_model.h"
#include "quantize/tflite.h"
#include "robot_fw/int8_kernels.h"

namespace tinywalk::quant {

struct CalibrationParams {
  int samples = 500;               // calibration observations drawn from the dataset
  std::string method = "minmax";   // minmax, or percentile
  double percentile = 99.99;       // with method percentile: range from this percentile of each tail

  template <class V>
  void visit(V& v) {
    v.field("samples", samples, "observations used for calibration", config::between(1, 10000000));
    v.field("method", method, "minmax or percentile");
    v.field("percentile", percentile, "with method percentile: each tail is cut at this percentile", config::between(50, 100));
  }
};

// Deployment metadata of a trained policy (provenance strings filled by the caller).
DeployMetadata metadata_for(const policy::PolicyModel& model);

// The float32 .tflite of a trained policy.
TfliteModel float_model(const policy::PolicyModel& model, const DeployMetadata& meta);

// Int8 PTQ. calibration: normalised feature vectors [features x samples].
TfliteModel quantize(const policy::PolicyModel& model, const Eigen::MatrixXd& calibration, const CalibrationParams& params,
                     const DeployMetadata& meta);

// An int8 model ready for the reference kernel: multipliers and shifts from
// the stored float32 scales (as any TFLite runtime computes them).
struct PreparedLayer {
  int in = 0, out = 0;
  fw::FullyConnectedParams params{};
  std::vector<int8_t> weights;
  std::vector<int32_t> bias, multiplier, shift;
};
struct PreparedInt8 {
  std::vector<PreparedLayer> layers;
  float input_scale = 0, output_scale = 0;
  int32_t input_zero_point = 0, output_zero_point = 0;
  int max_width = 0;  // widest tensor (scratch size per buffer)
};
PreparedInt8 prepare_int8(const TfliteModel& m);
// Runs the int8 graph; scratch holds 2 * max_width bytes.
void run_int8(const PreparedInt8& p, const int8_t* input, int8_t* output, int8_t* scratch);
int8_t quantize_input(double x, float scale, int32_t zero_point);

// Closed-loop actor over a .tflite file (float32 or int8); it reads its
// observation spec, normalisation and action mapping from the metadata.
class TfliteActor : public policy::Actor {
 public:
  explicit TfliteActor(const TfliteModel& model);
  void reset() override;
  void act(const policy::SignalFrame& frame, double* targets) override;
  // Network output y (before the action mapping) for normalised features.
  void network(const double* features, double* y);

 private:
  const TfliteModel& model_;
  PreparedInt8 prepared_;
  policy::ObservationSpec spec_;
  std::unique_ptr<policy::FeatureBuilder> features_;
  policy::ActionSpec action_;
  std::vector<double> x_, y_, a_, b_;
  std::vector<int8_t> qin_, qout_, scratch_;
};

// Float vs int8 actions on feature vectors, in degrees per joint.
struct ErrorReport {
  int samples = 0;
  std::vector<double> mean_deg, p99_deg, max_deg;  // per joint
  double p99_deg_all = 0, max_deg_all = 0, mean_deg_all = 0;
};
ErrorReport compare(const policy::PolicyModel& float_policy, const TfliteModel& int8_model, const Eigen::MatrixXd& features);

// A 64-bit FNV-1a hash as 16 hex digits (provenance of files).
std::string fnv1a_hex(const std::string& bytes);

}  // namespace tinywalk::quant
