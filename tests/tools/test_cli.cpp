// The CLI contract: --help, --json as the last stdout line, exit codes,
// clear messages for bad input, no damage to existing outputs.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "common/atomic_file.h"
#include "tests/cli_runner.h"
#include "dataset/dataset.h"

namespace {
const std::string kCli = TINYWALK_CLI;
const std::string kSrc = TINYWALK_SOURCE_DIR;

using Result = tinywalk::test::CliResult;
Result run(const std::string& args) { return tinywalk::test::run_cli(args); }

std::string temp(const std::string& name, const std::string& text) {
  const std::string path = ::testing::TempDir() + "/" + std::to_string(::getpid()) + "_" + name;
  std::ofstream(path) << text;
  return path;
}
}  // namespace

TEST(Cli, EveryCommandHasHelp) {
  for (const char* cmd : {"sim", "robot", "motion", "collect"}) {
    Result r = run(std::string(cmd) + " --help");
    EXPECT_EQ(r.code, 0) << cmd;
    EXPECT_NE(r.out.find("usage: tinywalk " + std::string(cmd)), std::string::npos) << cmd;
    EXPECT_NE(r.out.find("--json"), std::string::npos) << cmd;
  }
  EXPECT_EQ(run("--help").code, 0);
  EXPECT_EQ(run("frobnicate").code, 2);
}

TEST(Cli, SimStandsAndPrintsJsonLast) {
  const std::string csv = ::testing::TempDir() + "/stand_" + std::to_string(::getpid()) + ".csv";
  Result r = run("sim --pose stand --seconds 2 --out " + csv + " --json");
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string j = r.last_line();
  EXPECT_EQ(j.front(), '{');
  EXPECT_NE(j.find("\"fell\":false"), std::string::npos) << j;
  for (const char* key : {"\"base_height_m\":", "\"distance_m\":", "\"physics_steps_per_s\":"})
    EXPECT_NE(j.find(key), std::string::npos) << key;
  const std::string log = tinywalk::read_file(csv);
  EXPECT_EQ(log.rfind("episode,t,base_x,base_y,base_z", 0), 0u);
  EXPECT_EQ(std::count(log.begin(), log.end(), '\n'), 1 + 61);  // header + 2 s / 33 ms
}

TEST(Cli, RobotSummary) {
  Result r = run("robot --json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.last_line().find("\"num_joints\":8"), std::string::npos);
  Result d = run("robot --dump-defaults");
  EXPECT_EQ(d.code, 0);
  EXPECT_NE(d.out.find("stall_torque:"), std::string::npos);
}

TEST(Cli, BadInputExitsTwoWithAClearMessage) {
  struct Case {
    std::string args, expect;
  } cases[] = {
      {"sim --robot /no/such/robot.yaml", "/no/such/robot.yaml: cannot open"},
      {"sim --seconds abc", "--seconds: expected a finite number"},
      {"sim --bogus 1", "--bogus: unknown option"},
      {"sim --control-dt 0.0335", "control_dt: expected a whole multiple of physics_dt"},
      {"sim --physics-dt -1", "--physics-dt: expected a number > 0"},
      {"sim --pose crouch --seconds 0.1", "--pose: expected 'stand' or 'zero'"},
      {"sim --config " + temp("bad_sim.yaml", "physics_dt: 0.001\nphysic_dt: 2\n"), "physic_dt: unknown key"},
      {"sim --gait " + temp("bad_gait.yaml", "frames:\n  - [1, 2, 3]\n"), "expected 8 angles per frame"},
      {"robot --robot " + temp("bad_robot.yaml", "name: x\nurdf: [1\n"), "malformed YAML"},
  };
  for (const auto& c : cases) {
    Result r = run(c.args + " --json");
    EXPECT_EQ(r.code, 2) << c.args << "\n" << r.err;
    EXPECT_NE(r.err.find(c.expect), std::string::npos) << c.args << "\n" << r.err;
    EXPECT_NE(r.last_line().find("\"ok\":false"), std::string::npos) << c.args;
  }
}

TEST(Cli, FailedRunLeavesAnExistingOutputUntouched) {
  const std::string csv = temp("keep.csv", "precious\n");
  Result r = run("sim --gait " + temp("bad_gait2.yaml", "frames: []\n") + " --out " + csv);
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(tinywalk::read_file(csv), "precious\n");
}

TEST(Cli, FallIsACheckFailure) {
  // A "gait" that folds every leg up backwards drops the torso to the ground.
  const std::string fold = temp("fold.yaml", "frame_duration: 0.1\nframes:\n  - [-85, -70, -85, -70, -85, -70, -85, -70]\n");
  Result r = run("sim --gait " + fold + " --settle 0.2 --seconds 3 --json");
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.last_line().find("\"fell\":true"), std::string::npos) << r.last_line();
}

TEST(Cli, MotionGaitToJsonToSkillAndBack) {
  const std::string json = ::testing::TempDir() + "/" + std::to_string(::getpid()) + "_trot.json";
  const std::string skill = ::testing::TempDir() + "/" + std::to_string(::getpid()) + "_trot.h";
  Result g = run("motion --gait " + kSrc + "/configs/gaits/bittle_trot_ref.yaml --out " + json + " --json");
  ASSERT_EQ(g.code, 0) << g.err;
  EXPECT_NE(g.last_line().find("\"root_speed_mps\":0.15"), std::string::npos) << g.last_line();
  Result m = run("motion --motion " + json + " --export-skill " + skill + " --export-name trot --export-frames 20 --json");
  ASSERT_EQ(m.code, 0) << m.err;
  EXPECT_NE(m.last_line().find("\"skill_bytes\":164"), std::string::npos) << m.last_line();  // 4 + 20 x 8
  EXPECT_EQ(tinywalk::read_file(skill).rfind("const int8_t trot[] PROGMEM = {", 0), 0u);
  Result s = run("motion --skill " + skill + " --json");
  ASSERT_EQ(s.code, 0) << s.err;
  EXPECT_NE(s.last_line().find("\"frames\":21"), std::string::npos) << s.last_line();  // 20 + the closing frame
}

TEST(Cli, MotionNeedsExactlyOneSource) {
  Result r = run("motion --json");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("expected exactly one motion source"), std::string::npos) << r.err;
  Result bad = run("motion --motion " + temp("bad_motion.json", "{\"LoopMode\": \"Wrap\"}") + " --json");
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("bad_motion.json"), std::string::npos) << bad.err;
}

TEST(Cli, CollectWritesADatasetAndSummarises) {
  const std::string out = ::testing::TempDir() + "/" + std::to_string(::getpid()) + "_collect.h5";
  Result r = run("collect --episodes 2 --seconds 1 --seed 5 --out " + out + " --json");
  ASSERT_EQ(r.code, 0) << r.err;
  for (const char* key : {"\"episodes\":2", "\"steps\":", "\"falls\":", "\"mean_speed_mps\":", "\"mean_reward\":"})
    EXPECT_NE(r.last_line().find(key), std::string::npos) << key << " in " << r.last_line();
  EXPECT_EQ(tinywalk::data::read_dataset(out).episodes.size(), 2u);
  Result bad = run("collect --config " + temp("c.yaml", "episode_seconds: -1\n") + " --out " + out + " --json");
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("episode_seconds"), std::string::npos) << bad.err;
  EXPECT_EQ(tinywalk::data::read_dataset(out).episodes.size(), 2u);  // the earlier dataset is untouched
}
