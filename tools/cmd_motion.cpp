// tinywalk motion: make, convert and export reference motions.
#include <cmath>
#include <cstdio>

#include "common/error.h"
#include "sim/gait_generator.h"
#include "sim/leg_kinematics.h"
#include "sim/motion_file.h"
#include "sim/opencat_skill.h"
#include "sim/retarget.h"
#include "tools/cli.h"

namespace tinywalk::cli {

int cmd_motion(int argc, char** argv) {
  return run("motion", argc, argv, [&](bool&) {
    Args a("motion",
           "Make a reference motion from one source (a gait YAML, a motion_imitation JSON, an OpenCat skill, or a foot\n"
           "CSV to retarget) and write it as motion JSON and/or an OpenCat skill array a student can flash.");
    a.option("robot", "FILE", "robot description YAML", sim::default_robot_path())
        .option("gait", "YAML", "source: gait generator parameters (e.g. configs/gaits/bittle_trot_ref.yaml)")
        .option("motion", "JSON", "source: a motion_imitation JSON file")
        .option("skill", "FILE", "source: an OpenCat skill array (C text, as in InstinctBittle.h)")
        .option("skill-name", "NAME", "which array of --skill to read (needed if it holds several)")
        .option("skill-frame-duration", "S", "seconds per skill frame when importing (OpenCat skills carry no timing)", "0.0333333")
        .option("retarget", "CSV", "source: root pose + 4 foot positions per frame (docs/configs.md)")
        .flag("project", "with --retarget: project feet onto each leg's plane instead of refusing off-plane targets")
        .option("out", "JSON", "write the motion as motion_imitation JSON")
        .option("export-skill", "FILE", "write the motion as an OpenCat skill array (C text)")
        .option("export-name", "NAME", "C name of the exported skill", "twk")
        .option("export-frames", "N", "frames of the exported skill (0 = one per motion frame)", "0");
    if (!a.parse(argc, argv)) return kOk;

    const sim::Robot robot = sim::load_robot(a.str("robot"));
    int sources = 0;
    for (const char* s : {"gait", "motion", "skill", "retarget"}) sources += a.has(s);
    if (sources != 1) throw InputError("", "--gait/--motion/--skill/--retarget", "expected exactly one motion source");

    // Read or make the motion.
    sim::ReferenceMotion m;
    std::string source;
    if (a.has("gait")) {
      const sim::LegKinematics legs(robot);
      m = sim::generate_gait(robot, legs, sim::load_gait_params(a.str("gait")));
      source = "gait:" + a.str("gait");
    } else if (a.has("motion")) {
      m = sim::load_motion_json(a.str("motion"), robot.num_joints());
      source = "motion:" + a.str("motion");
    } else if (a.has("skill")) {
      const double dt = a.num("skill-frame-duration");
      if (!(dt > 0)) throw InputError("", "--skill-frame-duration", "expected a number > 0");
      m = sim::skill_to_motion(sim::load_skill_text(a.str("skill"), a.str("skill-name")), robot.config, dt);
      source = "skill:" + a.str("skill");
    } else {
      const sim::LegKinematics legs(robot);
      sim::RetargetOptions opt;
      opt.project_to_leg_plane = a.on("project");
      m = sim::retarget_csv(a.str("retarget"), robot, legs, opt);
      source = "retarget:" + a.str("retarget");
    }

    // Write what was asked for.
    if (a.has("out")) sim::save_motion_json(a.str("out"), m);
    int skill_bytes = 0;
    if (a.has("export-skill")) {
      sim::SkillFromMotionOptions opt;
      opt.name = a.str("export-name");
      opt.frames = a.integer("export-frames", 0, 127);
      opt.source = source;
      const sim::OpenCatSkill skill = sim::motion_to_skill(m, robot.config, opt);
      sim::save_skill_text(a.str("export-skill"), skill);
      skill_bytes = static_cast<int>(sim::skill_to_bytes(skill).size());
    }

    const sim::MotionFrame first = m.at(0), last = m.at(m.duration());
    const double speed = m.duration() > 0 ? (last.root_position - first.root_position).x() / m.duration() : 0;
    std::printf("motion from %s: %zu frames of %.4f s (%.3f s), %d joints, root speed %.3f m/s%s%s%s%s\n", source.c_str(),
                m.frames.size(), m.frame_duration, m.duration(), m.num_joints(), speed, a.has("out") ? ", json: " : "",
                a.str("out").c_str(), a.has("export-skill") ? ", skill: " : "", a.str("export-skill").c_str());
    if (a.json()) {
      JsonObject j;
      j.add("ok", true)
          .add("source", source)
          .add("frames", static_cast<int>(m.frames.size()))
          .add("frame_duration_s", m.frame_duration)
          .add("duration_s", m.duration())
          .add("num_joints", m.num_joints())
          .add("root_speed_mps", speed);
      if (a.has("out")) j.add("out", a.str("out"));
      if (a.has("export-skill")) j.add("skill", a.str("export-skill")).add("skill_bytes", skill_bytes);
      print_json(j);
    }
    return kOk;
  });
}

}  // namespace tinywalk::cli
