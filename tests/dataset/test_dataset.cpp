#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <fstream>

#include "common/atomic_file.h"
#include "common/error.h"
#include "dataset/dataset.h"

using namespace tinywalk;
using namespace tinywalk::data;

namespace {
std::string tmp(const std::string& name) { return ::testing::TempDir() + "/" + std::to_string(::getpid()) + "_" + name; }

Signal ramp(int64_t rows, int dim, double scale) {
  Signal s;
  s.dim = dim;
  for (int64_t r = 0; r < rows; ++r)
    for (int c = 0; c < dim; ++c) s.values.push_back(scale * std::sin(0.1 * r + c));
  return s;
}

Dataset sample(int episodes, int64_t steps) {
  Dataset d;
  d.info = {"bittle", 42, "0.1.0", "robot: bittle\nepisodes: 2\n"};
  for (int k = 0; k < episodes; ++k) {
    EpisodeData e;
    e.seed = 42 + k;
    e.attrs["fell"] = k % 2;
    e.attrs["mean_speed_mps"] = 0.11 + k;
    e.obs["imu_rpy"] = ramp(steps, 3, 1.0 + k);
    e.obs["last_action"] = ramp(steps, 8, 0.5);
    e.privileged["base_position"] = ramp(steps, 3, 2.0);
    e.reference["q"] = ramp(steps, 8, 0.3);
    e.reward_terms["pose"] = ramp(steps, 1, 0.6);
    e.actions = ramp(steps, 8, 0.7);
    for (int64_t t = 0; t < steps; ++t) {
      e.rewards.push_back(0.01 * t);
      e.dones.push_back(t + 1 == steps);
    }
    d.episodes.push_back(std::move(e));
  }
  return d;
}

std::string error_reading(const std::string& path) {
  try {
    read_dataset(path);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST(Dataset, RoundTripIsExact) {
  const Dataset d = sample(3, 50);
  const std::string path = tmp("rt.h5");
  write_dataset(path, d);
  const Dataset r = read_dataset(path);
  EXPECT_EQ(r.info.robot, "bittle");
  EXPECT_EQ(r.info.seed, 42u);
  EXPECT_EQ(r.info.config_yaml, d.info.config_yaml);
  ASSERT_EQ(r.episodes.size(), 3u);
  EXPECT_EQ(r.total_steps(), 150);
  for (size_t k = 0; k < 3; ++k) {
    const auto &a = d.episodes[k], &b = r.episodes[k];
    EXPECT_EQ(a.seed, b.seed);
    EXPECT_EQ(a.attrs, b.attrs);
    EXPECT_EQ(a.actions.values, b.actions.values);
    EXPECT_EQ(a.actions.dim, b.actions.dim);
    EXPECT_EQ(a.rewards, b.rewards);
    EXPECT_EQ(a.dones, b.dones);
    ASSERT_EQ(a.obs.size(), b.obs.size());
    for (const auto& [name, s] : a.obs) EXPECT_EQ(s.values, b.obs.at(name).values) << name;
    EXPECT_EQ(a.privileged.at("base_position").values, b.privileged.at("base_position").values);
    EXPECT_EQ(a.reward_terms.at("pose").values, b.reward_terms.at("pose").values);
  }
}

TEST(Dataset, SameDataSameBytes) {
  const Dataset d = sample(2, 40);
  write_dataset(tmp("a.h5"), d);
  sleep(1);  // HDF5 would otherwise differ only by object timestamps
  write_dataset(tmp("b.h5"), d);
  EXPECT_EQ(read_file(tmp("a.h5")), read_file(tmp("b.h5")));
}

TEST(Dataset, InconsistentEpisodeIsRejectedAndExistingFileKept) {
  const std::string path = tmp("keep.h5");
  write_dataset(path, sample(1, 10));
  const std::string before = read_file(path);
  Dataset bad = sample(1, 10);
  bad.episodes[0].obs["imu_rpy"].values.pop_back();
  try {
    write_dataset(path, bad);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("imu_rpy"), std::string::npos) << e.what();
  }
  EXPECT_EQ(read_file(path), before);
}

TEST(Dataset, KilledWriterNeverDamagesTheExistingFile) {
  const std::string path = tmp("killed.h5");
  write_dataset(path, sample(1, 10));
  const std::string before = read_file(path);
  const Dataset big = sample(40, 20000);  // ~90 MB: long enough to be killed mid-write
  pid_t child = fork();
  if (child == 0) {
    write_dataset(path, big);
    _exit(0);
  }
  usleep(30 * 1000);
  kill(child, SIGKILL);
  int status = 0;
  waitpid(child, &status, 0);
  // Killed mid-write (about 200 MB cannot be written in 30 ms): the old file is intact.
  ASSERT_TRUE(WIFSIGNALED(status)) << "the writer finished before it could be killed";
  EXPECT_EQ(read_file(path), before);
  EXPECT_EQ(read_dataset(path).episodes.size(), 1u);
  std::remove((path + ".tmp." + std::to_string(child)).c_str());
}

TEST(Dataset, TruncatedCorruptAndForeignFilesAreReportedClearly) {
  const std::string good = tmp("good.h5");
  write_dataset(good, sample(2, 200));
  const std::string bytes = read_file(good);
  write_file_atomic(tmp("trunc.h5"), bytes.substr(0, bytes.size() / 2));
  std::string e = error_reading(tmp("trunc.h5"));
  EXPECT_NE(e.find("trunc.h5"), std::string::npos) << e;
  EXPECT_NE(e.find("truncated"), std::string::npos) << e;

  std::string flipped = bytes;
  for (size_t i = 0; i < 8; ++i) flipped[i] = static_cast<char>(~flipped[i]);  // destroy the signature
  write_file_atomic(tmp("flip.h5"), flipped);
  EXPECT_NE(error_reading(tmp("flip.h5")).find("not an HDF5 file"), std::string::npos);

  write_file_atomic(tmp("text.h5"), "robot: bittle\n");
  EXPECT_NE(error_reading(tmp("text.h5")).find("not an HDF5 file"), std::string::npos);
  EXPECT_NE(error_reading(tmp("missing.h5")).find("cannot open"), std::string::npos);
}
