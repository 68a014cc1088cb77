// The pipeline command as a user runs it: every subcommand's --help and --json contract for the
// new commands, and a run killed with SIGKILL mid-way that resumes to the same result.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>

#include "common/atomic_file.h"
#include "tests/cli_runner.h"

namespace {
const std::string kSrc = TINYWALK_SOURCE_DIR;
bool exists(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0;
}
std::string tmp(const std::string& name) { return ::testing::TempDir() + "/" + std::to_string(::getpid()) + "_" + name; }
}  // namespace

TEST(PipelineCli, NewCommandsTakeHelp) {
  for (const char* cmd : {"pipeline", "check", "datasheet", "replay", "plot", "golden", "eval"}) {
    const tinywalk::test::CliResult r = tinywalk::test::run_cli(std::string(cmd) + " --help");
    EXPECT_EQ(r.code, 0) << cmd;
    EXPECT_NE(r.out.find("--json"), std::string::npos) << cmd;
  }
}

TEST(PipelineCli, AKilledRunResumesToTheSameResult) {
  const std::string out = tmp("killed_pipe"), cfg = tmp("killed_pipe_train.yaml");
  std::ofstream(cfg) << "collect: " << kSrc << "/configs/collect/bittle_trot.yaml\n"
                     << "episodes: 6\nepisode_seconds: 2\nseed: 5\n"
                     << "training: {max_epochs: 40, patience: 40, validation_fraction: 0.5}\n"
                     << "dagger: {rounds: 1, episodes: 4}\n";
  const std::string args = "pipeline --config " + cfg + " --out " + out + " --eval-episodes 1 --scenarios '' --no-mcu --threads 1 --json";
  // Start the run and kill it with SIGKILL once training has written something.
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const std::string cmd = std::string(TINYWALK_CLI) + " " + args + " > /dev/null 2>&1";
    execl("/bin/sh", "sh", "-c", ("exec " + cmd).c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  bool killed = false;
  for (int k = 0; k < 600 && !killed; ++k) {  // up to 60 s
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) break;  // finished before it could be killed
    if (exists(out + "/train/learning_curve.csv") || exists(out + "/train/checkpoint.twck")) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      killed = true;
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  if (!killed) {
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
  }
  // The rerun completes (every artifact is written under a temporary name and renamed, so
  // nothing half-written can be mistaken for an output), resuming training from its checkpoint.
  const tinywalk::test::CliResult r = tinywalk::test::run_cli(args);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.last_line().find("\"ok\":true"), std::string::npos) << r.last_line();
  ::testing::Test::RecordProperty("killed", killed ? "yes" : "no (the run ended first)");
  // Killed during training: the rerun runs the training stage again (from its checkpoint).
  if (killed) EXPECT_NE(r.last_line().find("\"stages_ran\":[\"train\""), std::string::npos) << r.last_line();
  for (const char* f : {"/policy_int8.tflite", "/eval.json", "/summary.json", "/replay.html", "/firmware/budget.json"})
    EXPECT_TRUE(exists(out + f)) << f;
  // A third run has nothing left to do and reports the same summary.
  const std::string summary = tinywalk::read_file(out + "/summary.json");
  const tinywalk::test::CliResult again = tinywalk::test::run_cli(args);
  ASSERT_EQ(again.code, 0);
  EXPECT_NE(again.last_line().find("\"stages_ran\":[]"), std::string::npos) << again.last_line();
  EXPECT_EQ(tinywalk::read_file(out + "/summary.json"), summary);
}
