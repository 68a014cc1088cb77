// Scenarios of `tinywalk check`: strict parsing, the shipped defaults, the
// threshold comparison, and the JUnit XML / Markdown reports.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <tinyxml.h>
#include <unistd.h>

#include <fstream>

#include "pipeline/scenario.h"
#include "tests/test_util.h"

using namespace tinywalk;
using namespace tinywalk::pipeline;

namespace {
const std::string kSrc = TINYWALK_SOURCE_DIR;
const std::string kCollect = "collect: " + kSrc + "/configs/collect/bittle_trot.yaml\n";

std::string folder(const std::string& name) {
  const std::string d = ::testing::TempDir() + "/" + std::to_string(::getpid()) + "_" + name;
  ::mkdir(d.c_str(), 0755);
  return d;
}
std::string write(const std::string& dir, const std::string& file, const std::string& text) {
  const std::string p = dir + "/" + file;
  std::ofstream(p) << text;
  return p;
}

ScenarioResult result(const std::string& name, int falls, double ratio, const ScenarioPass& pass) {
  ScenarioResult r;
  r.name = name;
  r.description = "a test";
  r.mode = CheckMode::Int8;
  r.episodes = 10;
  r.falls = falls;
  r.mean_speed_mps = 0.1 * ratio;
  r.expert_mean_speed_mps = 0.1;
  r.speed_ratio = ratio;
  r.max_abs_heading_drift_deg = 12;
  r.seconds = 1.5;
  apply_thresholds(pass, r);
  return r;
}
}  // namespace

TEST(Scenario, DefaultsAndTheCollectSetupItDerives) {
  const std::string d = folder("defaults");
  const Scenario s = load_scenario(write(d, "my_case.yaml", kCollect + "pass:\n  max_falls: 0\n"));
  EXPECT_EQ(s.config.name, "my_case");  // from the file name
  EXPECT_EQ(s.config.episodes, 10);
  EXPECT_EQ(s.config.seed, 3000000u);
  EXPECT_EQ(s.config.seconds, 8);
  EXPECT_TRUE(s.config.conditions.randomize);
  EXPECT_TRUE(s.config.conditions.sim == sim::Conditions{});
  EXPECT_EQ(s.config.pass.max_falls, 0);
  EXPECT_LT(s.config.pass.min_speed_ratio, 0);  // not checked
  EXPECT_EQ(s.setup.config.episode_seconds, 8);
  EXPECT_TRUE(s.setup.config.sim.randomize);
  EXPECT_EQ(s.setup.robot.config.name, "bittle");

  const Scenario t = load_scenario(write(d, "b.yaml", kCollect +
                                                          "name: icy\nepisodes: 3\nseconds: 2\nconditions:\n  randomize: false\n"
                                                          "  ground_friction: 0.1\n  slope_deg: 2\npass: {min_speed_ratio: 0.5}\n"));
  EXPECT_EQ(t.config.name, "icy");
  EXPECT_FALSE(t.setup.config.sim.randomize);
  EXPECT_EQ(t.setup.config.sim.conditions.ground_friction, 0.1);
  EXPECT_EQ(t.setup.config.sim.conditions.slope_deg, 2);
  EXPECT_EQ(t.setup.config.episode_seconds, 2);
  // The default collect path is relative to the scenario file (configs/scenarios -> configs/collect).
  EXPECT_EQ(load_scenarios(kSrc + "/configs/scenarios").front().setup.robot.config.name, "bittle");
}

TEST(Scenario, StrictParsingNamesTheFileAndTheKey) {
  const std::string d = folder("strict");
  const std::string unknown = write(d, "unknown.yaml", kCollect + "conditions:\n  slop_deg: 3\npass: {max_falls: 0}\n");
  std::string err = test::error_of([&] { load_scenario(unknown); });
  EXPECT_HAS(err, unknown);
  EXPECT_HAS(err, "conditions.slop_deg");
  const std::string top = write(d, "top.yaml", kCollect + "episode: 3\npass: {max_falls: 0}\n");
  EXPECT_HAS(test::error_of([&] { load_scenario(top); }), "episode");
  const std::string type = write(d, "type.yaml", kCollect + "pass:\n  max_falls: many\n");
  err = test::error_of([&] { load_scenario(type); });
  EXPECT_HAS(err, type);
  EXPECT_HAS(err, "pass.max_falls");
  const std::string ratio = write(d, "ratio.yaml", kCollect + "pass:\n  min_speed_ratio: [1, 2]\n");
  EXPECT_HAS(test::error_of([&] { load_scenario(ratio); }), "pass.min_speed_ratio");
  const std::string none = write(d, "none.yaml", kCollect + "episodes: 2\n");
  err = test::error_of([&] { load_scenario(none); });
  EXPECT_HAS(err, none);
  EXPECT_HAS(err, "pass");
  const std::string range = write(d, "range.yaml", kCollect + "conditions: {slope_deg: 60}\npass: {max_falls: 0}\n");
  EXPECT_HAS(test::error_of([&] { load_scenario(range); }), "conditions.slope_deg");
  const std::string collect = write(d, "collect.yaml", "collect: nowhere.yaml\npass: {max_falls: 0}\n");
  err = test::error_of([&] { load_scenario(collect); });
  EXPECT_HAS(err, collect);
  EXPECT_HAS(err, "collect");
  const std::string malformed = write(d, "malformed.yaml", "pass: {max_falls: 0\n");
  EXPECT_HAS(test::error_of([&] { load_scenario(malformed); }), malformed);
}

TEST(Scenario, FolderIsSortedByFileNameAndNamesAreUnique) {
  const std::string d = folder("sorted");
  write(d, "b.yaml", kCollect + "pass: {max_falls: 0}\n");
  write(d, "a.yaml", kCollect + "name: zeta\npass: {max_falls: 0}\n");
  write(d, "notes.txt", "not a scenario");
  const std::vector<Scenario> s = load_scenarios(d);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].config.name, "zeta");
  EXPECT_EQ(s[1].config.name, "b");
  write(d, "c.yaml", kCollect + "name: b\npass: {max_falls: 0}\n");
  EXPECT_HAS(test::error_of([&] { load_scenarios(d); }), "c.yaml");
  EXPECT_HAS(test::error_of([&] { load_scenarios(d + "/missing"); }), "missing");
  EXPECT_HAS(test::error_of([&] { load_scenarios(folder("empty")); }), "no scenario files");
}

TEST(Scenario, ShippedDefaultsLoad) {
  const std::vector<Scenario> s = load_scenarios(kSrc + "/configs/scenarios");
  std::vector<std::string> names;
  for (const Scenario& x : s) names.push_back(x.config.name);
  EXPECT_EQ(names, (std::vector<std::string>{"flat_ground", "low_friction", "high_latency", "pushes", "payload", "slope", "imu_noise"}));
  for (const Scenario& x : s) {
    EXPECT_FALSE(x.config.description.empty()) << x.path;
    EXPECT_TRUE(x.config.pass.any()) << x.path;
  }
}

TEST(Scenario, ThresholdsAndModes) {
  ScenarioPass p;
  p.max_falls = 1;
  p.min_speed_ratio = 0.6;
  ScenarioResult ok = result("ok", 1, 0.6, p);  // both at the threshold: pass
  EXPECT_TRUE(ok.passed);
  EXPECT_EQ(ok.checks.size(), 2u);
  EXPECT_EQ(ok.failure_message(), "");
  ScenarioResult bad = result("bad", 2, 0.42, p);
  EXPECT_FALSE(bad.passed);
  EXPECT_EQ(bad.failure_message(), "falls 2 > max_falls 1; speed_ratio 0.42 < min_speed_ratio 0.6");
  EXPECT_EQ(parse_check_mode("int8"), CheckMode::Int8);
  EXPECT_HAS(test::error_of([] { parse_check_mode("fast"); }), "--mode");
  EXPECT_HAS(summary_line(bad), "bad  FAIL");
  EXPECT_HAS(summary_line(ok), "ok  PASS");
}

TEST(Scenario, JunitXmlParsesBackWithOneTestcasePerScenario) {
  ScenarioPass p;
  p.max_falls = 0;
  p.min_speed_ratio = 0.8;
  const std::vector<ScenarioResult> rs = {result("flat", 0, 0.9, p), result("slope <5> & \"steep\"", 3, 0.5, p)};
  const std::string xml = junit_xml(rs);
  TiXmlDocument doc;
  doc.Parse(xml.c_str());
  ASSERT_FALSE(doc.Error()) << doc.ErrorDesc() << "\n" << xml;
  const TiXmlElement* suites = doc.RootElement();
  ASSERT_NE(suites, nullptr);
  EXPECT_STREQ(suites->Value(), "testsuites");
  const TiXmlElement* suite = suites->FirstChildElement("testsuite");
  ASSERT_NE(suite, nullptr);
  EXPECT_STREQ(suite->Attribute("name"), "tinywalk-check");
  EXPECT_STREQ(suite->Attribute("tests"), "2");
  EXPECT_STREQ(suite->Attribute("failures"), "1");
  EXPECT_STREQ(suite->Attribute("time"), "3.000");
  std::vector<const TiXmlElement*> cases;
  for (const TiXmlElement* c = suite->FirstChildElement("testcase"); c; c = c->NextSiblingElement("testcase")) cases.push_back(c);
  ASSERT_EQ(cases.size(), 2u);
  for (const TiXmlElement* c : cases) {
    EXPECT_STREQ(c->Attribute("classname"), "tinywalk.check");
    EXPECT_STREQ(c->Attribute("time"), "1.500");
  }
  EXPECT_STREQ(cases[0]->Attribute("name"), "flat");
  EXPECT_EQ(cases[0]->FirstChildElement("failure"), nullptr);
  EXPECT_STREQ(cases[1]->Attribute("name"), "slope <5> & \"steep\"");  // escaped and read back
  const TiXmlElement* f = cases[1]->FirstChildElement("failure");
  ASSERT_NE(f, nullptr);
  EXPECT_STREQ(f->Attribute("message"), "falls 3 > max_falls 0; speed_ratio 0.5 < min_speed_ratio 0.8");
}

TEST(Scenario, MarkdownHasATableRowPerScenario) {
  ScenarioPass p;
  p.max_falls = 0;
  const std::string md = markdown({result("flat", 0, 0.9, p), result("a|b", 2, 0.9, p)});
  EXPECT_HAS(md, "1 of 2 scenarios passed");
  EXPECT_HAS(md, "| scenario | result |");
  EXPECT_HAS(md, "| flat | PASS | 0/10 |");
  EXPECT_HAS(md, "| a\\|b | **FAIL** | 2/10 |");
  EXPECT_HAS(md, "**falls 2 > max_falls 0**");
}

TEST(Scenario, ModelFileMustBeAPolicy) {
  EXPECT_HAS(test::error_of([] { load_check_model(kSrc + "/configs/collect/bittle_trot.yaml", CheckMode::Int8); }), "bittle_trot.yaml");
}
