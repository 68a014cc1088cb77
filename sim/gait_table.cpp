#include "sim/gait_table.h"

#include <cmath>

#include "common/error.h"

namespace tinywalk::sim {

std::vector<double> GaitTable::at(double t) const {
  const double period = frame_duration * frames.size();
  double u = std::fmod(t, period) / frame_duration;
  if (u < 0) u += frames.size();
  const size_t i = static_cast<size_t>(u) % frames.size(), k = (i + 1) % frames.size();
  const double w = u - std::floor(u);
  std::vector<double> q(frames[i].size());
  for (size_t j = 0; j < q.size(); ++j) q[j] = (1 - w) * frames[i][j] + w * frames[k][j];
  return q;
}

GaitTable load_gait_table(const std::string& path, int num_joints) {
  GaitTable g = config::read_file<GaitTable>(path);
  if (g.units != "deg" && g.units != "rad") throw InputError(path, "units", "expected 'deg' or 'rad', got '" + g.units + "'");
  if (g.frames.empty()) throw InputError(path, "frames", "expected at least one frame");
  if (static_cast<int>(g.frames[0].size()) != num_joints)
    throw InputError(path, "frames", "expected " + std::to_string(num_joints) + " angles per frame (one per joint of the robot), got " +
                                         std::to_string(g.frames[0].size()));
  if (g.units == "deg")
    for (auto& f : g.frames)
      for (auto& a : f) a *= M_PI / 180.0;
  g.units = "rad";
  return g;
}

}  // namespace tinywalk::sim
