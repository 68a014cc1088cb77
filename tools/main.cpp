// tinywalk: one CLI with a subcommand per pipeline stage.
#include <cstdio>
#include <cstring>
#include <string>

#include "tools/cli.h"

namespace tinywalk::cli {
int cmd_sim(int argc, char** argv);
int cmd_robot(int argc, char** argv);
int cmd_motion(int argc, char** argv);
int cmd_collect(int argc, char** argv);
int cmd_train(int argc, char** argv);
int cmd_eval(int argc, char** argv);
int cmd_quantize(int argc, char** argv);
int cmd_export(int argc, char** argv);
int cmd_pipeline(int argc, char** argv);
int cmd_replay(int argc, char** argv);
int cmd_plot(int argc, char** argv);
int cmd_check(int argc, char** argv);
int cmd_golden(int argc, char** argv);
int cmd_datasheet(int argc, char** argv);
}  // namespace tinywalk::cli

namespace {
struct Command {
  const char* name;
  int (*fn)(int, char**);
  const char* summary;
};
const Command kCommands[] = {
    {"pipeline", tinywalk::cli::cmd_pipeline, "every stage on the default robot: data, training, int8, evaluation, firmware export"},
    {"sim", tinywalk::cli::cmd_sim, "run the simulated robot headless: hold a pose or play an open-loop gait"},
    {"collect", tinywalk::cli::cmd_collect, "roll out the privileged expert and record an imitation dataset (HDF5)"},
    {"train", tinywalk::cli::cmd_train, "fit a gait policy by imitation (behaviour cloning + DAgger)"},
    {"check", tinywalk::cli::cmd_check, "policy checks for CI: named scenarios with pass thresholds; JUnit XML and Markdown reports"},
    {"datasheet", tinywalk::cli::cmd_datasheet, "a Markdown + HTML datasheet for a deployed int8 policy: model, data, results, footprint, limits"},
    {"eval", tinywalk::cli::cmd_eval, "closed-loop rollouts of a policy and of the expert on the same seeds"},
    {"quantize", tinywalk::cli::cmd_quantize, "int8 post-training quantization of a policy into .tflite, with the error report"},
    {"export", tinywalk::cli::cmd_export, "C++ sources holding an int8 model for a firmware build (host, cortex-m, avr)"},
    {"motion", tinywalk::cli::cmd_motion, "make, convert and export reference motions (gaits, motion JSON, OpenCat skills, retargeting)"},
    {"replay", tinywalk::cli::cmd_replay, "one recorded episode as a self-contained 3D HTML replay (offline, any browser)"},
    {"plot", tinywalk::cli::cmd_plot, "SVG pictures of a run: joint commands, trajectory, speed, learning curve"},
    {"golden", tinywalk::cli::cmd_golden, "golden vectors of the firmware core (simulator sensors -> host firmware) for the MCU tests"},
    {"robot", tinywalk::cli::cmd_robot, "load and check a robot description (YAML + URDF); print its model or defaults"},
};

void usage() {
  std::printf("usage: tinywalk <command> [options]   (tinywalk <command> --help for its options)\n\ncommands:\n");
  for (const auto& c : kCommands) std::printf("  %-10s %s\n", c.name, c.summary);
  std::printf("  %-10s %s\n", "version", "print the version");
  std::printf("\nevery command takes --json: one JSON summary object as the last line of stdout.\n");
  std::printf("exit codes: 0 success, 1 a check failed, 2 bad input or usage\n");
}
}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h") || !std::strcmp(argv[1], "help")) {
    usage();
    return argc < 2 ? tinywalk::cli::kBadInput : tinywalk::cli::kOk;
  }
  const std::string name = argv[1];
  if (name == "version" || name == "--version") {
    bool json = false;
    for (int i = 2; i < argc; ++i) json |= !std::strcmp(argv[i], "--json");
    if (json) tinywalk::cli::print_json(tinywalk::JsonObject().add("ok", true).add("version", TINYWALK_VERSION));
    else std::printf("tinywalk %s\n", TINYWALK_VERSION);
    return 0;
  }
  for (const auto& c : kCommands)
    if (name == c.name) return c.fn(argc - 2, argv + 2);
  std::fprintf(stderr, "tinywalk: unknown command '%s'\n\n", name.c_str());
  usage();
  return tinywalk::cli::kBadInput;
}
