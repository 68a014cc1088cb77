// tinywalk check: exit codes (0 all pass, 1 a threshold missed, 2 bad input),
// the JUnit and Markdown files, and the JSON summary as the last stdout line.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <tinyxml.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "common/atomic_file.h"
#include "tests/cli_runner.h"
#include "common/random.h"
#include "quantize/ptq.h"
#include "sim/robot_config.h"

using namespace tinywalk;

namespace {
const std::string kCli = TINYWALK_CLI;
const std::string kSrc = TINYWALK_SOURCE_DIR;

using Result = tinywalk::test::CliResult;
Result run(const std::string& args) { return tinywalk::test::run_cli(args); }

std::string dir(const std::string& name) {
  const std::string d = ::testing::TempDir() + "/" + std::to_string(::getpid()) + "_check_" + name;
  ::mkdir(d.c_str(), 0755);
  return d;
}

// A small int8 policy for the Bittle's joints: random weights, quantized in a
// millisecond. It does not walk well; the thresholds below do not ask it to.
const std::string& toy_model() {
  static const std::string path = [] {
    const sim::Robot robot = sim::load_robot(kSrc + "/configs/robots/bittle.yaml");
    policy::PolicyModel m;
    m.robot = robot.config.name;
    m.joints = robot.config.joints;
    policy::ObservationSpec spec;
    spec.signals = {"imu_rpy", "last_action", "gait_clock"};
    spec.history = {1, 1, 1};
    m.observation = policy::resolve_observation(spec, "test");
    const int n = static_cast<int>(m.joints.size());
    policy::MlpSpec s;
    s.inputs = policy::feature_dim(m.observation, n);
    s.hidden = {16};
    s.outputs = n;
    m.mlp = policy::Mlp(s);
    m.mlp.init(3);
    m.normalizer.mean = Eigen::VectorXd::Zero(s.inputs);
    m.normalizer.std = Eigen::VectorXd::Ones(s.inputs);
    m.action = {robot.config.standing_pose, std::vector<double>(n, 0.05)};  // small moves about the standing pose
    Rng rng(5);
    Eigen::MatrixXd cal(s.inputs, 200);
    for (int c = 0; c < cal.cols(); ++c)
      for (int r = 0; r < cal.rows(); ++r) cal(r, c) = rng.normal();
    const quant::TfliteModel q = quant::quantize(m, cal, quant::CalibrationParams{}, quant::metadata_for(m));
    const std::string p = dir("model") + "/toy_int8.tflite";
    write_file_atomic(p, quant::write_tflite(q));
    return p;
  }();
  return path;
}

const std::string kCollect = "collect: " + kSrc + "/configs/collect/bittle_trot.yaml\n";
std::string scenario(const std::string& folder, const std::string& file, const std::string& body) {
  std::ofstream(folder + "/" + file) << kCollect << "episodes: 1\nseconds: 2\nseed: 4\n" << body;
  return folder + "/" + file;
}
}  // namespace

TEST(Check, HelpListsTheOptions) {
  const Result r = run("check --help");
  EXPECT_EQ(r.code, 0);
  for (const char* opt : {"usage: tinywalk check", "--model", "--scenarios", "--junit", "--markdown", "--mode", "--episodes", "--json"})
    EXPECT_NE(r.out.find(opt), std::string::npos) << opt;
  EXPECT_NE(run("--help").out.find("check"), std::string::npos);
}

TEST(Check, PassingScenariosExitZeroAndWriteReports) {
  const std::string d = dir("pass");
  scenario(d, "a_stand.yaml", "name: stand\ndescription: a toy stands\nconditions: {randomize: false}\npass: {max_falls: 1}\n");
  scenario(d, "b_slope.yaml", "conditions: {randomize: false, slope_deg: 2}\npass: {max_falls: 1}\n");
  const std::string junit = d + "/out/report.xml", md = d + "/out/report.md";
  ::mkdir((d + "/out").c_str(), 0755);
  const Result r = run("check --model " + toy_model() + " --scenarios " + d + " --mode int8 --junit " + junit + " --markdown " + md +
                       " --threads 1 --json");
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("stand  PASS"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("b_slope  PASS"), std::string::npos) << r.out;
  const std::string last = r.last_line();
  for (const char* key : {"{\"ok\":true", "\"mode\":\"int8\"", "\"scenarios\":[{\"name\":\"stand\",\"passed\":true", "\"falls\":",
                          "\"episodes\":1", "\"speed_ratio\":", "\"mean_speed_mps\":", "{\"name\":\"b_slope\""})
    EXPECT_NE(last.find(key), std::string::npos) << key << " in " << last;
  TiXmlDocument doc;
  doc.Parse(read_file(junit).c_str());
  ASSERT_FALSE(doc.Error()) << doc.ErrorDesc();
  const TiXmlElement* suite = doc.RootElement()->FirstChildElement("testsuite");
  ASSERT_NE(suite, nullptr);
  EXPECT_STREQ(suite->Attribute("tests"), "2");
  EXPECT_STREQ(suite->Attribute("failures"), "0");
  EXPECT_NE(read_file(md).find("| stand | PASS |"), std::string::npos);
  // The default mode: the int8 model inside the firmware core, with its counters.
  const Result fw = run("check --model " + toy_model() + " --scenarios " + d + " --threads 1 --json");
  ASSERT_EQ(fw.code, 0) << fw.out << fw.err;
  EXPECT_NE(fw.last_line().find("\"mode\":\"firmware\""), std::string::npos) << fw.last_line();
  EXPECT_NE(fw.last_line().find("\"firmware\":{\"steps\":"), std::string::npos) << fw.last_line();
}

TEST(Check, AnImpossibleThresholdExitsOneAndNamesTheMetric) {
  const std::string d = dir("fail");
  scenario(d, "a.yaml", "name: fine\nconditions: {randomize: false}\npass: {max_falls: 1}\n");
  scenario(d, "b.yaml", "name: impossible\nconditions: {randomize: false}\npass: {min_speed_mps: 50}\n");
  const std::string junit = d + "/report.xml";
  const Result r = run("check --model " + toy_model() + " --scenarios " + d + " --mode int8 --junit " + junit + " --plots " + d + "/plots --json");
  ASSERT_EQ(r.code, 1) << r.out << r.err;
  // The per-scenario chart marks the failed scenario.
  const std::string svg = read_file(d + "/plots/scenario_speed_ratio.svg");
  EXPECT_NE(svg.find("impossible"), std::string::npos);
  EXPECT_NE(svg.find("FAIL"), std::string::npos);
  EXPECT_NO_THROW(read_file(d + "/plots/scenario_falls.svg"));
  EXPECT_NE(r.out.find("impossible  FAIL"), std::string::npos) << r.out;
  EXPECT_NE(r.last_line().find("{\"ok\":false"), std::string::npos) << r.last_line();
  TiXmlDocument doc;
  doc.Parse(read_file(junit).c_str());
  ASSERT_FALSE(doc.Error()) << doc.ErrorDesc();
  const TiXmlElement* suite = doc.RootElement()->FirstChildElement("testsuite");
  EXPECT_STREQ(suite->Attribute("failures"), "1");
  const TiXmlElement* tc = suite->FirstChildElement("testcase");
  ASSERT_NE(tc, nullptr);
  EXPECT_EQ(tc->FirstChildElement("failure"), nullptr);  // "fine" passed
  tc = tc->NextSiblingElement("testcase");
  ASSERT_NE(tc, nullptr);
  EXPECT_STREQ(tc->Attribute("name"), "impossible");
  const TiXmlElement* f = tc->FirstChildElement("failure");
  ASSERT_NE(f, nullptr);
  const std::string msg = f->Attribute("message");
  EXPECT_NE(msg.find("mean_speed_mps"), std::string::npos) << msg;
  EXPECT_NE(msg.find("< min_speed_mps 50"), std::string::npos) << msg;
}

TEST(Check, BadInputExitsTwoNamingTheFileAndKey) {
  const std::string missing = run("check --model " + toy_model() + " --scenarios /nonexistent/scenarios --mode int8 --json").err;
  const Result m = run("check --model " + toy_model() + " --scenarios /nonexistent/scenarios --mode int8");
  EXPECT_EQ(m.code, 2);
  EXPECT_NE(missing.find("/nonexistent/scenarios"), std::string::npos) << missing;

  const std::string d = dir("bad");
  const std::string bad = scenario(d, "typo.yaml", "conditions: {frction: 0.1}\npass: {max_falls: 0}\n");
  const Result r = run("check --model " + toy_model() + " --scenarios " + d + " --mode int8 --json");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find(bad), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("conditions.frction"), std::string::npos) << r.err;
  EXPECT_NE(r.last_line().find("\"ok\":false"), std::string::npos);

  const std::string d2 = dir("malformed");
  const std::string broken = d2 + "/broken.yaml";
  std::ofstream(broken) << "pass: {max_falls: 0\n";
  const Result y = run("check --model " + toy_model() + " --scenarios " + d2 + " --mode int8");
  EXPECT_EQ(y.code, 2);
  EXPECT_NE(y.err.find(broken), std::string::npos) << y.err;

  EXPECT_EQ(run("check --scenarios " + d2).code, 2);                                  // no --model
  EXPECT_EQ(run("check --model " + toy_model() + " --mode turbo").code, 2);           // unknown mode
  EXPECT_EQ(run("check --model " + toy_model() + " --mode float").code, 2);           // an int8 file in float mode
  EXPECT_EQ(run("check --model " + toy_model() + " --junit /nonexistent/r.xml").code, 2);  // checked before the run
}
