// An open-loop gait table: joint-angle frames played in a loop. Enough to see
// the simulated robot walk; the gait generator proper lives elsewhere.
//
// YAML (configs/gaits/*.yaml):
//   name: trot
//   frame_duration: 0.025          # s per frame
//   units: deg                     # deg or rad
//   frames:                        # one row per frame, robot joint order
//     - [30, 30, 30, 30, 30, 30, 30, 30]
#pragma once

#include <string>
#include <vector>

#include "common/yaml_config.h"

namespace tinywalk::sim {

struct GaitTable {
  std::string name = "gait";
  double frame_duration = 0.025;              // s
  std::string units = "deg";                  // of `frames` in the file; frames() below are rad
  std::vector<std::vector<double>> frames;    // joint angles per frame, robot joint order

  template <class V>
  void visit(V& v) {
    v.field("name", name, "gait name");
    v.field("frame_duration", frame_duration, "s; time per frame", config::positive());
    v.field("units", units, "deg or rad");
    v.field("frames", frames, "joint angles per frame in the robot's joint order", config::between(-360, 360));
  }

  // Joint targets (rad) at time t, linearly interpolated, looping.
  std::vector<double> at(double t) const;
};

// Loads and checks a table for a robot with num_joints joints (angles in rad afterwards).
GaitTable load_gait_table(const std::string& path, int num_joints);

}  // namespace tinywalk::sim
