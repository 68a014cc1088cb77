// tinywalk robot: load and check a robot description, print its model.
#include <cstdio>

#include "sim/robot_config.h"
#include "tools/cli.h"

namespace tinywalk::cli {

int cmd_robot(int argc, char** argv) {
  return run("robot", argc, argv, [&](bool&) {
    Args a("robot", "Load a robot description (YAML + URDF), check it, and print the rigid-body model it makes.");
    a.option("robot", "FILE", "robot description YAML", sim::default_robot_path())
        .flag("dump-defaults", "print every robot YAML key with its default and unit, then exit");
    if (!a.parse(argc, argv)) return kOk;
    if (a.on("dump-defaults")) {
      std::printf("%s", config::to_yaml(sim::RobotConfig{}).c_str());
      return kOk;
    }
    const sim::Robot r = sim::load_robot(a.str("robot"));
    const sim::RobotModel& m = r.model;
    std::printf("robot %s from %s (URDF %s)\n", r.config.name.c_str(), r.config_path.c_str(), m.source.c_str());
    std::printf("  %zu rigid bodies, %d joints, total mass %.4f kg\n", m.bodies.size(), r.num_joints(), m.total_mass());
    for (size_t b = 0; b < m.bodies.size(); ++b) {
      const auto& body = m.bodies[b];
      std::string merged;
      for (const auto& l : body.merged_links) merged += (merged.empty() ? " (+" : ", ") + l;
      std::printf("  body %-12s mass %.4f kg, %zu shapes%s%s\n", body.name.c_str(), body.mass, body.shapes.size(),
                  merged.c_str(), merged.empty() ? "" : ")");
    }
    std::vector<double> lower, upper;
    for (int i = 0; i < r.num_joints(); ++i) {
      const auto& j = m.joint(r.joint_to_model[i]);
      lower.push_back(j.lower);
      upper.push_back(j.upper);
      std::printf("  joint %d %-12s [%7.4f, %7.4f] rad, stand %.4f rad%s\n", i, j.name.c_str(), j.lower, j.upper,
                  r.config.standing_pose[i],
                  r.config.firmware_index.empty() ? "" : (", firmware index " + std::to_string(r.config.firmware_index[i])).c_str());
    }
    if (a.json()) {
      std::vector<std::string> bodies;
      for (const auto& b : m.bodies) bodies.push_back(b.name);
      print_json(JsonObject()
                     .add("ok", true)
                     .add("robot", r.config.name)
                     .add("urdf", m.source)
                     .add("bodies", bodies)
                     .add("joints", r.config.joints)
                     .add("num_joints", r.num_joints())
                     .add("total_mass_kg", m.total_mass())
                     .add("lower_rad", lower)
                     .add("upper_rad", upper)
                     .add("standing_pose_rad", r.config.standing_pose));
    }
    return kOk;
  });
}

}  // namespace tinywalk::cli
