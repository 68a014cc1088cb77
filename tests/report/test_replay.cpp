// The HTML replay: geometry from the robot model (checked against the sim's
// leg kinematics), input checks, deterministic bytes, and the page really
// rendering the robot in headless Chromium (DOM hooks + a screenshot). Also
// the `tinywalk replay` and `tinywalk plot` commands.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <regex>
#include <string>

#include "common/atomic_file.h"
#include "dataset/dataset.h"
#include "report/replay.h"
#include "sim/leg_kinematics.h"
#include "sim/robot_config.h"
#include "tests/test_util.h"

namespace tinywalk::report {
namespace {

const std::string kSrc = TINYWALK_SOURCE_DIR;
const std::string kCli = TINYWALK_CLI;

std::string temp_dir(const std::string& name) {
  const std::string d = ::testing::TempDir() + "/" + name + "_" + std::to_string(::getpid());
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  return d;
}

struct Shell {
  int code = -1;
  std::string out;
};
Shell shell(const std::string& cmd) {
  Shell r;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int status = pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}
std::string last_line(std::string s) {
  while (!s.empty() && s.back() == '\n') s.pop_back();
  const size_t k = s.find_last_of('\n');
  return k == std::string::npos ? s : s.substr(k + 1);
}

const sim::Robot& bittle() {
  static const sim::Robot r = sim::load_robot(sim::default_robot_path());
  return r;
}

// A synthetic trot: the base moves forward at 0.2 m/s at standing height,
// diagonal leg pairs swing in antiphase at 2 Hz.
data::Dataset synthetic_dataset(int frames, double dt) {
  const sim::Robot& robot = bittle();
  const ReplayGeometry g = replay_geometry(robot);
  std::vector<Eigen::Vector3d> origins, tips;
  replay_forward(g, robot.config.standing_pose, &origins, &tips);
  double lowest = 0;
  for (const auto& t : tips) lowest = std::min(lowest, t.z());
  data::Dataset d;
  d.info.robot = robot.config.name;
  d.info.config_yaml = "sim:\n  control_dt: " + std::to_string(dt) + "\n";
  data::EpisodeData e;
  auto& pos = e.privileged["base_position"];
  auto& rot = e.privileged["base_orientation"];
  auto& q = e.privileged["q"];
  auto& act = e.privileged["executed_action"];
  pos.dim = 3, rot.dim = 4, q.dim = act.dim = e.actions.dim = robot.num_joints();
  for (int k = 0; k < frames; ++k) {
    const double t = k * dt, phase = 2 * M_PI * 2 * t;
    const double yaw = 0.15 * std::sin(0.5 * t), pitch = 0.03 * std::sin(phase);
    const Eigen::Quaterniond o = Eigen::AngleAxisd(yaw, Eigen::Vector3d::UnitZ()) * Eigen::AngleAxisd(pitch, Eigen::Vector3d::UnitY());
    const double p[3] = {0.2 * t, 0.05 * std::sin(0.5 * t), -lowest + 0.004 * std::sin(2 * phase)};
    const double r[4] = {o.x(), o.y(), o.z(), o.w()};
    std::vector<double> qq(robot.num_joints());
    for (int j = 0; j < robot.num_joints(); ++j) {
      const int leg = j / 2;
      const double s = (leg == 0 || leg == 3) ? 1 : -1;  // FR+RL vs FL+RR
      qq[j] = robot.config.standing_pose[j] + (j % 2 == 0 ? 0.35 * s * std::sin(phase) : 0.3 * std::max(0.0, s * std::cos(phase)));
    }
    pos.push(p), rot.push(r), q.push(qq.data()), act.push(qq.data()), e.actions.push(qq.data());
    e.rewards.push_back(1), e.dones.push_back(k == frames - 1);
  }
  e.attrs["fell"] = 0;
  d.episodes.push_back(e);
  return d;
}

TEST(ReplayGeometry, MatchesTheSimulatorsLegKinematics) {
  const sim::Robot& robot = bittle();
  const ReplayGeometry g = replay_geometry(robot);
  ASSERT_EQ(g.bodies.size(), robot.model.bodies.size());
  ASSERT_EQ(g.joint_names, robot.config.joints);
  EXPECT_GE(g.boxes.size(), 1u);  // the torso (plus merged battery and head)
  EXPECT_NEAR(g.boxes[0].size.x(), 0.105, 1e-9);
  const sim::LegKinematics legs(robot);
  std::vector<Eigen::Vector3d> origins, tips;
  for (double delta : {0.0, 0.4, -0.3}) {
    std::vector<double> q = robot.config.standing_pose;
    for (size_t j = 0; j < q.size(); ++j) q[j] += delta * (j % 2 ? -1 : 1);
    replay_forward(g, q, &origins, &tips);
    for (int l = 0; l < legs.num_legs(); ++l) {
      const sim::LegChain& leg = legs.leg(l);
      int knee_body = -1;
      for (size_t b = 0; b < g.bodies.size(); ++b)
        if (g.bodies[b].joint == leg.knee) knee_body = static_cast<int>(b);
      ASSERT_GE(knee_body, 0);
      ASSERT_TRUE(g.bodies[knee_body].has_tip);
      // The drawn foot is the far side of the same foot sphere (radius 5 mm) the sim uses.
      const Eigen::Vector3d sim_foot = legs.foot(l, q[leg.hip], q[leg.knee]);
      EXPECT_LT((tips[knee_body] - sim_foot).norm(), 0.0101) << leg.name << " delta " << delta;
    }
  }
  // Hand check of one leg at q = 0: FR hip at (0.055, -0.05, 0), knee 46 mm below, foot 50 mm further
  // along the lower link, which at q = 0 points to -x.
  replay_forward(g, std::vector<double>(8, 0.0), &origins, &tips);
  int fr_lower = -1;
  for (size_t b = 0; b < g.bodies.size(); ++b)
    if (g.bodies[b].name == "FR_lower") fr_lower = static_cast<int>(b);
  ASSERT_GE(fr_lower, 0);
  EXPECT_LT((origins[fr_lower] - Eigen::Vector3d(0.055, -0.05, -0.046)).norm(), 1e-9);
  EXPECT_LT((tips[fr_lower] - Eigen::Vector3d(0.055 - 0.05, -0.05, -0.046)).norm(), 1e-6);  // the knee frame is pitched 90 deg
  EXPECT_EQ(g.bodies[fr_lower].side, -1);
}

TEST(ReplayInput, ChecksTheEpisode) {
  data::Dataset d = synthetic_dataset(20, 0.02);
  EXPECT_NEAR(dataset_control_dt(d.info), 0.02, 1e-12);
  EXPECT_NEAR(dataset_control_dt(data::DatasetInfo{}, 0.05), 0.05, 1e-12);
  const ReplayInput in = replay_input(d.episodes[0], bittle(), 0.02, "t");
  EXPECT_EQ(in.frames(), 20);
  data::EpisodeData e = d.episodes[0];
  e.privileged.erase("base_orientation");
  EXPECT_HAS(test::error_of([&] { replay_input(e, bittle(), 0.02, "t", "run.h5 /data/demo_0"); }), "privileged/base_orientation");
  e = d.episodes[0];
  e.privileged["q"].dim = 4;
  EXPECT_HAS(test::error_of([&] { replay_input(e, bittle(), 0.02, "t", "run.h5"); }), "privileged/q");
}

TEST(ReplayHtml, SelfContainedAndDeterministic) {
  data::Dataset d = synthetic_dataset(100, 0.033);
  d.episodes[0].privileged["base_position"].values[30] = NAN;  // a bad frame is held, never written as NaN
  const ReplayInput in = replay_input(d.episodes[0], bittle(), 0.033, "Bittle </script><b>&");
  const std::string html = replay_html(in);
  EXPECT_EQ(html, replay_html(in));
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_EQ(html.find("http://"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_EQ(html.find(" src="), std::string::npos);
  EXPECT_EQ(html.find("NaN"), std::string::npos);
  EXPECT_EQ(html.find("nan"), std::string::npos);
  EXPECT_EQ(html.find("</script><b>"), std::string::npos);  // the title cannot close the script
  EXPECT_HAS(html, "<canvas");
  EXPECT_HAS(html, "\"frames\":100");
  EXPECT_HAS(html, "FR_shoulder");
}

// --- headless Chromium

std::string chromium() {
  const Shell r = shell("command -v chromium 2>/dev/null || command -v chromium-browser 2>/dev/null");
  std::string p = r.out;
  while (!p.empty() && (p.back() == '\n' || p.back() == ' ')) p.pop_back();
  return p;
}

std::string chromium_flags(const std::string& profile) {
  return " --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking"
         " --disable-component-update --disable-sync --disable-dev-shm-usage --user-data-dir=" +
         profile;
}

long data_attr(const std::string& dom, const std::string& name) {
  const std::regex re(name + "=\"([0-9]+)\"");
  std::smatch m;
  return std::regex_search(dom, m, re) ? std::stol(m[1]) : -1;
}

TEST(ReplayHtml, RendersTheRobotInHeadlessChromium) {
  const std::string browser = chromium();
  ASSERT_FALSE(browser.empty()) << "chromium is not on PATH: run scripts/install-deps.sh (installs the Debian package 'chromium')";
  const auto start = std::chrono::steady_clock::now();
  const std::string dir = temp_dir("replay_browser");
  data::Dataset d = synthetic_dataset(300, 0.033);
  const std::string html_path = dir + "/replay.html";
  write_file_atomic(html_path, replay_html(replay_input(d.episodes[0], bittle(), 0.033, "synthetic trot")));

  // DOM after ~3 s of virtual time.
  const Shell dom = shell("timeout 60 " + browser + chromium_flags(dir + "/profile1") +
                        " --virtual-time-budget=3000 --dump-dom file://" + html_path + " 2>/dev/null");
  ASSERT_EQ(dom.code, 0) << dom.out.substr(0, 2000);
  const long frames = data_attr(dom.out, "data-frames-drawn"), pixels = data_attr(dom.out, "data-robot-pixels");
  EXPECT_GT(frames, 10) << "the page drew too few animation frames";
  EXPECT_GT(pixels, 400) << "the robot covers too few pixels";
  std::printf("frames drawn %ld, robot pixels %ld\n", frames, pixels);

  // Screenshot (look at it: a quadruped on a grid, with its trail).
  const std::string png = dir + "/replay.png";
  const Shell shot = shell("timeout 60 " + browser + chromium_flags(dir + "/profile2") + " --virtual-time-budget=2000 --screenshot=" + png +
                         " --window-size=1000,700 file://" + html_path + " 2>&1");
  EXPECT_EQ(shot.code, 0) << shot.out;
  ASSERT_TRUE(std::filesystem::exists(png)) << shot.out;
  EXPECT_GT(std::filesystem::file_size(png), 15000u);
  const std::string bytes = read_file(png);
  EXPECT_EQ(bytes.substr(1, 3), "PNG");
  const std::string keep = std::getenv("TINYWALK_KEEP_SCREENSHOT") ? std::getenv("TINYWALK_KEEP_SCREENSHOT") : "";
  if (!keep.empty()) std::filesystem::copy_file(png, keep, std::filesystem::copy_options::overwrite_existing);
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 60.0);
  std::filesystem::remove_all(dir);
}

// --- the CLI commands

TEST(ReplayCli, WritesTheReplayAndPlots) {
  const std::string dir = temp_dir("replay_cli");
  data::Dataset d = synthetic_dataset(120, 0.02);
  d.episodes.push_back(d.episodes[0]);
  const std::string h5 = dir + "/data.h5";
  data::write_dataset(h5, d);

  Shell r = shell(kCli + " replay --data " + h5 + " --episode 1 --out " + dir + "/r.html --json 2>&1");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_HAS(last_line(r.out), "\"ok\":true");
  EXPECT_HAS(last_line(r.out), "\"frames\":120");
  EXPECT_HAS(last_line(r.out), "\"control_dt\":0.02");
  EXPECT_TRUE(std::filesystem::exists(dir + "/r.html"));
  r = shell(kCli + " replay --data " + h5 + " --episode 5 --out " + dir + "/bad.html --json 2>&1");
  EXPECT_EQ(r.code, 2);
  EXPECT_HAS(r.out, "--episode");
  EXPECT_HAS(r.out, "2 episodes");
  EXPECT_FALSE(std::filesystem::exists(dir + "/bad.html"));
  r = shell(kCli + " replay --data " + dir + "/missing.h5 --out " + dir + "/bad.html 2>&1");
  EXPECT_EQ(r.code, 2);
  EXPECT_HAS(r.out, "missing.h5");
  EXPECT_EQ(shell(kCli + " replay --help").code, 0);

  const std::string csv = dir + "/learning_curve.csv";
  write_file_atomic(csv, "round,epoch,train_loss,val_loss,samples,best\n0,0,2.0,1.8,605,1\n0,1,1.5,1.4,605,1\n");
  r = shell(kCli + " plot --data " + h5 + " --label float --label \"int8 + firmware\" --joints FR_shoulder,3 --curve " + csv + " --out " +
            dir + "/plots --json 2>&1");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_HAS(last_line(r.out), "\"ok\":true");
  EXPECT_HAS(last_line(r.out), "int8 + firmware");
  for (const char* f : {"joint_commands.svg", "trajectory.svg", "forward_speed.svg", "learning_curve.svg"})
    EXPECT_TRUE(std::filesystem::exists(dir + "/plots/" + f)) << f;
  EXPECT_HAS(read_file(dir + "/plots/joint_commands.svg"), "FL_knee");
  r = shell(kCli + " plot --data " + h5 + " --data " + h5 + " --label a --out " + dir + "/p2 2>&1");
  EXPECT_EQ(r.code, 2);
  EXPECT_HAS(r.out, "--label");
  r = shell(kCli + " plot --data " + h5 + " --joints nope --out " + dir + "/p3 2>&1");
  EXPECT_EQ(r.code, 2);
  EXPECT_HAS(r.out, "--joints");
  r = shell(kCli + " plot --out " + dir + "/p4 2>&1");
  EXPECT_EQ(r.code, 2);
  EXPECT_HAS(r.out, "--data");
  EXPECT_EQ(shell(kCli + " plot --help").code, 0);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace tinywalk::report
