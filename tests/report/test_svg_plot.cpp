// SVG plots: well-formed XML, values at the right pixels, escaping, NaN
// skipped, empty input handled, same input -> same bytes; the plot writers.
#include <gtest/gtest.h>
#include <tinyxml.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "common/atomic_file.h"
#include "report/plots.h"
#include "report/svg_plot.h"
#include "tests/test_util.h"

namespace tinywalk::report {
namespace {

// Parses the SVG; fails the test if it is not well-formed XML.
struct Doc {
  TiXmlDocument doc;
  explicit Doc(const std::string& svg) {
    doc.Parse(svg.c_str());
    EXPECT_FALSE(doc.Error()) << doc.ErrorDesc() << " at row " << doc.ErrorRow() << ":\n" << svg.substr(0, 2000);
  }
  const TiXmlElement* root() const { return doc.RootElement(); }
};

void collect(const TiXmlElement* e, const std::string& tag, const std::string& cls, std::vector<const TiXmlElement*>* out) {
  for (; e; e = e->NextSiblingElement()) {
    const char* c = e->Attribute("class");
    if (e->ValueStr() == tag && (cls.empty() || (c && std::string(c).find(cls) != std::string::npos))) out->push_back(e);
    collect(e->FirstChildElement(), tag, cls, out);
  }
}
std::vector<const TiXmlElement*> find(const Doc& d, const std::string& tag, const std::string& cls = "") {
  std::vector<const TiXmlElement*> out;
  collect(d.root(), tag, cls, &out);
  return out;
}
double attr(const TiXmlElement* e, const char* name) {
  const char* v = e->Attribute(name);
  EXPECT_NE(v, nullptr) << name;
  return v ? std::stod(v) : NAN;
}
std::vector<std::pair<double, double>> points(const TiXmlElement* e) {
  std::vector<std::pair<double, double>> p;
  std::stringstream ss(e->Attribute("points"));
  for (std::string xy; ss >> xy;) p.emplace_back(std::stod(xy.substr(0, xy.find(','))), std::stod(xy.substr(xy.find(',') + 1)));
  return p;
}
std::string all_text(const TiXmlElement* e) {
  std::string s;
  for (; e; e = e->NextSiblingElement()) {
    if (e->GetText()) s += std::string(e->GetText()) + "\n";
    s += all_text(e->FirstChildElement());
  }
  return s;
}

struct Area {
  double x, y, w, h;
};
Area plot_area(const Doc& d, size_t i = 0) {
  const auto r = find(d, "rect", "plot-area");
  EXPECT_GT(r.size(), i);
  return {attr(r[i], "x"), attr(r[i], "y"), attr(r[i], "width"), attr(r[i], "height")};
}

TEST(NiceTicks, StepsOfOneTwoFive) {
  EXPECT_EQ(nice_ticks(0, 10, 5), (std::vector<double>{0, 2, 4, 6, 8, 10}));
  EXPECT_EQ(nice_ticks(0, 100, 5), (std::vector<double>{0, 20, 40, 60, 80, 100}));
  const auto t = nice_ticks(-0.13, 0.42, 6);
  EXPECT_LE(t.front(), -0.13);
  EXPECT_GE(t.back(), 0.42);
  EXPECT_NEAR(t[1] - t[0], 0.1, 1e-12);
  const auto flat = nice_ticks(3, 3);
  EXPECT_LT(flat.front(), 3);
  EXPECT_GT(flat.back(), 3);
}

TEST(LinePlot, ValuesMapToPixelsAndTicksAreNice) {
  LinePlot p;
  p.title = "speed";
  p.x = {"time", "s"};
  p.y = {"speed", "m/s"};
  p.series = {{"a", {0, 5, 10}, {0, 50, 100}, "", false}, {"b", {0, 10}, {100, 0}, "#123456", true}};
  const std::string svg = line_plot_svg(p);
  Doc d(svg);
  ASSERT_EQ(d.root()->ValueStr(), "svg");
  const Area a = plot_area(d);
  const auto lines = find(d, "polyline", "series");
  ASSERT_EQ(lines.size(), 2u);
  const auto pa = points(lines[0]);
  ASSERT_EQ(pa.size(), 3u);
  // Data range [0, 10] x [0, 100] is exactly the nice-tick range: corners and centre.
  EXPECT_NEAR(pa[0].first, a.x, 0.01);
  EXPECT_NEAR(pa[0].second, a.y + a.h, 0.01);
  EXPECT_NEAR(pa[1].first, a.x + a.w / 2, 0.01);
  EXPECT_NEAR(pa[1].second, a.y + a.h / 2, 0.01);
  EXPECT_NEAR(pa[2].first, a.x + a.w, 0.01);
  EXPECT_NEAR(pa[2].second, a.y, 0.01);
  EXPECT_STREQ(lines[0]->Attribute("stroke"), palette(0));
  EXPECT_STREQ(lines[1]->Attribute("stroke"), "#123456");
  EXPECT_NE(lines[1]->Attribute("stroke-dasharray"), nullptr);
  // Axis labels with units, legend entries, nice tick labels.
  const std::string text = all_text(d.root());
  EXPECT_HAS(text, "time (s)");
  EXPECT_HAS(text, "speed (m/s)");
  EXPECT_HAS(text, "\na\n");
  for (const char* tick : {"\n0\n", "\n20\n", "\n100\n", "\n4\n", "\n10\n"}) EXPECT_HAS(text, tick);
  EXPECT_EQ(find(d, "text", "tick").size(), 6u + 6u);
}

TEST(LinePlot, FixedAxisRangeIsUsed) {
  LinePlot p;
  p.x = {"t", "s", 0, 4};
  p.y = {"v", "", -1, 1};
  p.series = {{"s", {1}, {0.5}, "", false}, {"t", {0, 4}, {-1, 1}, "", false}};
  Doc d(line_plot_svg(p));
  const Area a = plot_area(d);
  const auto pts = points(find(d, "polyline")[0]);
  EXPECT_NEAR(pts[0].first, a.x + a.w / 4, 0.01);
  EXPECT_NEAR(pts[0].second, a.y + a.h / 4, 0.01);
}

TEST(LinePlot, NonFiniteValuesAreSkipped) {
  LinePlot p;
  const double nan = NAN, inf = INFINITY;
  p.series = {{"gappy", {0, 1, 2, 3, 4, 5}, {1, nan, 2, 3, inf, 4}, "", false}, {"empty", {}, {}, "", false}};
  const std::string svg = line_plot_svg(p);
  Doc d(svg);
  EXPECT_EQ(svg.find("nan"), std::string::npos);
  EXPECT_EQ(svg.find("inf"), std::string::npos);
  const auto lines = find(d, "polyline", "series");
  ASSERT_EQ(lines.size(), 3u);  // runs {0}, {2, 3}, {5}
  EXPECT_EQ(points(lines[0]).size(), 1u);
  EXPECT_EQ(points(lines[1]).size(), 2u);
  EXPECT_EQ(points(lines[2]).size(), 1u);
  EXPECT_HAS(all_text(d.root()), "empty");  // still in the legend
}

TEST(LinePlot, NoDataAtAll) {
  LinePlot p;
  p.title = "nothing";
  p.series = {{"x", {NAN}, {1}, "", false}};
  Doc d(line_plot_svg(p));
  EXPECT_EQ(find(d, "text", "no-data").size(), 1u);
  EXPECT_TRUE(find(d, "polyline").empty());
  Doc d2(line_plot_svg(LinePlot{}));
  EXPECT_EQ(find(d2, "text", "no-data").size(), 1u);
  Doc d3(xy_plot_svg(LinePlot{}));
  EXPECT_EQ(find(d3, "text", "no-data").size(), 1u);
  Doc d4(bar_chart_svg(BarChart{}));
  EXPECT_EQ(find(d4, "text", "no-data").size(), 1u);
}

TEST(Svg, TextIsEscaped) {
  EXPECT_EQ(xml_escape("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&apos;");
  LinePlot p;
  p.title = "<script>alert('x')</script> & co";
  p.x = {"x<1", "m&s"};
  p.series = {{"int8 + \"firmware\" <fw>", {0, 1}, {0, 1}, "", false}};
  const std::string svg = line_plot_svg(p);
  EXPECT_EQ(svg.find("<script>"), std::string::npos);
  Doc d(svg);
  const std::string text = all_text(d.root());
  EXPECT_HAS(text, "<script>alert('x')</script> & co");  // round-trips through the parser
  EXPECT_HAS(text, "x<1 (m&s)");
  EXPECT_HAS(text, "int8 + \"firmware\" <fw>");
  BarChart c;
  c.categories = {"low <friction> & push"};
  c.series = {{"a&b", {1}, ""}};
  Doc b(bar_chart_svg(c));
  EXPECT_HAS(all_text(b.root()), "low <friction> & push");
}

TEST(Svg, Deterministic) {
  LinePlot p;
  p.title = "same";
  for (int i = 0; i < 200; ++i) {
    p.series.resize(2);
    p.series[0].x.push_back(i * 0.033), p.series[0].y.push_back(std::sin(i * 0.1));
    p.series[1].x.push_back(i * 0.033), p.series[1].y.push_back(std::cos(i * 0.1) / 3);
  }
  EXPECT_EQ(line_plot_svg(p), line_plot_svg(p));
  EXPECT_EQ(xy_plot_svg(p), xy_plot_svg(p));
  LinePlot q = p;
  q.series[0].y[5] += 0.5;
  EXPECT_NE(line_plot_svg(p), line_plot_svg(q));
}

TEST(XyPlot, EqualAspectAndStartEndMarkers) {
  LinePlot p;
  p.width = 800, p.height = 400;
  p.series = {{"walk", {0, 1, 2}, {0, 0.1, 0.2}, "", false}};
  Doc d(xy_plot_svg(p));
  const auto pts = points(find(d, "polyline")[0]);
  ASSERT_EQ(pts.size(), 3u);
  // Pixels per metre equal in x and y (y flipped).
  const double sx = (pts[2].first - pts[0].first) / 2.0, sy = (pts[0].second - pts[2].second) / 0.2;
  EXPECT_NEAR(sx, sy, 0.02 * sx);
  const Area a = plot_area(d);
  for (const auto& [x, y] : pts) {
    EXPECT_GE(x, a.x);
    EXPECT_LE(x, a.x + a.w);
    EXPECT_GE(y, a.y);
    EXPECT_LE(y, a.y + a.h);
  }
  const auto start = find(d, "circle", "start"), end = find(d, "rect", "end");
  ASSERT_EQ(start.size(), 1u);
  ASSERT_EQ(end.size(), 1u);
  EXPECT_NEAR(attr(start[0], "cx"), pts[0].first, 0.01);
  EXPECT_NEAR(attr(end[0], "x") + 4.5, pts[2].first, 0.01);
}

TEST(BarChart, BarsThresholdAndPassFail) {
  BarChart c;
  c.title = "speed ratio";
  c.categories = {"flat", "slope", "push"};
  c.series = {{"int8", {1.0, 0.4, NAN}, ""}};
  c.y = {"speed ratio", "", 0, 1};
  c.thresholds = {0.5};
  c.category_passed = {1, 0, -1};
  const std::string svg = bar_chart_svg(c);
  Doc d(svg);
  const Area a = plot_area(d);
  const auto bars = find(d, "rect", "bar");
  ASSERT_EQ(bars.size(), 2u);  // NaN: no bar
  // Bar heights map values in [0, 1] onto the plot height; bar 0 reaches the top.
  EXPECT_NEAR(attr(bars[0], "y"), a.y, 0.01);
  EXPECT_NEAR(attr(bars[0], "height"), a.h, 0.01);
  EXPECT_NEAR(attr(bars[1], "height"), 0.4 * a.h, 0.01);
  EXPECT_HAS(std::string(bars[0]->Attribute("class")), "pass");
  EXPECT_HAS(std::string(bars[1]->Attribute("class")), "fail");
  EXPECT_NE(std::string(bars[0]->Attribute("fill")), std::string(bars[1]->Attribute("fill")));
  const auto thr = find(d, "line", "threshold");
  ASSERT_EQ(thr.size(), 1u);
  EXPECT_NEAR(attr(thr[0], "y1"), a.y + 0.5 * a.h, 0.01);
  const std::string text = all_text(d.root());
  EXPECT_HAS(text, "PASS");
  EXPECT_HAS(text, "FAIL");
  // Lower is better flips the verdict.
  c.higher_is_better = false;
  Doc d2(bar_chart_svg(c));
  EXPECT_HAS(std::string(find(d2, "rect", "bar")[0]->Attribute("class")), "fail");
}

TEST(BarChart, GroupedSeriesAndPerCategoryThresholds) {
  BarChart c;
  c.categories = {"a", "b"};
  c.series = {{"float", {1, 2}, ""}, {"int8", {3, 4}, ""}, {"fw", {5, 6}, ""}};
  c.thresholds = {2.5, NAN};
  Doc d(bar_chart_svg(c));
  EXPECT_EQ(find(d, "rect", "bar").size(), 6u);
  EXPECT_EQ(find(d, "line", "threshold").size(), 1u);
  // Without thresholds bars take their series colours.
  c.thresholds.clear();
  Doc d2(bar_chart_svg(c));
  const auto bars = find(d2, "rect", "bar");
  EXPECT_STREQ(bars[0]->Attribute("fill"), palette(0));
  EXPECT_STREQ(bars[1]->Attribute("fill"), palette(1));
}

TEST(StackSvgs, NestsPanels) {
  LinePlot p;
  p.series = {{"s", {0, 1}, {0, 1}, "", false}};
  p.height = 200;
  const std::string one = line_plot_svg(p);
  Doc d(stack_svgs({one, one}, 760, {200, 200}));
  EXPECT_EQ(find(d, "svg").size(), 3u);
  EXPECT_EQ(find(d, "polyline").size(), 2u);
}

// --- plots.h

data::EpisodeData walk_episode(double speed, int steps, double dt) {
  data::EpisodeData e;
  auto& pos = e.privileged["base_position"];
  auto& rot = e.privileged["base_orientation"];
  auto& act = e.privileged["executed_action"];
  pos.dim = 3, rot.dim = 4, act.dim = 8;
  for (int k = 0; k < steps; ++k) {
    const double t = k * dt;
    const double p[3] = {speed * t, 0.01 * std::sin(t), 0.08};
    const double q[4] = {0, 0, 0, 1};
    double a[8];
    for (int j = 0; j < 8; ++j) a[j] = 0.5236 + 0.3 * std::sin(2 * M_PI * 2 * t + j);
    pos.push(p), rot.push(q), act.push(a);
    e.rewards.push_back(0), e.dones.push_back(k == steps - 1);
  }
  return e;
}

TEST(Plots, ForwardSpeedFromPositions) {
  const data::EpisodeData e = walk_episode(0.2, 300, 0.033);
  const std::vector<double> v = forward_speed(e, 0.033, 0.5);
  ASSERT_EQ(v.size(), 300u);
  for (double s : v) EXPECT_NEAR(s, 0.2, 1e-9);
  // Heading of row 0 turned by 90 degrees: forward is +y, whose speed is 0.01 cos(t).
  data::EpisodeData turned = e;
  auto& rot = turned.privileged["base_orientation"].values;
  for (size_t r = 0; r < rot.size(); r += 4) rot[r + 2] = std::sqrt(0.5), rot[r + 3] = std::sqrt(0.5);
  const std::vector<double> side = forward_speed(turned, 0.033, 0.5);
  for (size_t k = 10; k + 10 < side.size(); ++k) EXPECT_NEAR(side[k], 0.01 * std::cos(k * 0.033), 2e-4);
}

TEST(Plots, WritesEpisodeAndCurvePictures) {
  const std::string dir = ::testing::TempDir() + "/plots_" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  const data::EpisodeData f = walk_episode(0.2, 200, 0.033), q = walk_episode(0.18, 200, 0.033);
  EpisodePlotOptions o;
  o.joints = {0, 1, 4};
  o.joint_names = {"FR_shoulder", "FR_knee", "FL_shoulder", "FL_knee", "RR_shoulder", "RR_knee", "RL_shoulder", "RL_knee"};
  const auto files = write_episode_plots(dir, {{"float", &f}, {"int8", &q}, {"int8 + firmware", &q}}, o);
  ASSERT_EQ(files.size(), 3u);
  for (const std::string& path : files) {
    const std::string svg = read_file(path);
    Doc d(svg);
    EXPECT_HAS(svg, "int8 + firmware");
  }
  Doc joints(read_file(files[0]));
  EXPECT_EQ(find(joints, "svg").size(), 4u);  // three panels
  EXPECT_EQ(find(joints, "polyline", "series").size(), 9u);
  EXPECT_HAS(all_text(joints.root()), "RR_shoulder");
  EXPECT_HAS(all_text(joints.root()), "executed command (deg)");

  const std::string csv_path = dir + "/learning_curve.csv";
  write_file_atomic(csv_path, "round,epoch,train_loss,val_loss,samples,best\n0,0,2.0,1.8,605,1\n0,1,1.5,1.4,605,1\n1,2,1.0,1.1,1210,1\n");
  const std::string svg_path = write_learning_curve_plot(dir, csv_path);
  Doc curve(read_file(svg_path));
  EXPECT_EQ(find(curve, "polyline", "series").size(), 3u);  // train, validation, round marker
  // Bad input names the file and line; a missing signal names the variant and signal.
  write_file_atomic(csv_path, "round,epoch,train_loss,val_loss,samples,best\n0,0,x,1.8,605,1\n");
  const std::string err = test::error_of([&] { write_learning_curve_plot(dir, csv_path); });
  EXPECT_HAS(err, "learning_curve.csv");
  EXPECT_HAS(err, "line 2");
  data::EpisodeData bare;
  const std::string err2 = test::error_of([&] { write_episode_plots(dir, {{"broken", &bare}}, o); });
  EXPECT_HAS(err2, "broken");
  EXPECT_HAS(err2, "executed_action");
  std::filesystem::remove_all(dir);
}

TEST(Plots, ScenarioCharts) {
  std::vector<ScenarioResult> r = {
      {"flat", "int8", true, {{"speed_ratio", "", 0.95, 0.8, true}, {"falls", "episodes", 0, 1, false}}},
      {"low friction", "int8", false, {{"speed_ratio", "", 0.6, 0.8, true}, {"falls", "episodes", 3, 1, false}}},
      {"flat", "float", true, {{"speed_ratio", "", 1.0, 0.8, true}, {"falls", "episodes", 0, 1, false}}},
  };
  const auto charts = scenario_svgs(r);
  ASSERT_EQ(charts.size(), 2u);
  EXPECT_EQ(charts[0].first, "speed_ratio");
  Doc d(charts[0].second);
  EXPECT_EQ(find(d, "rect", "bar").size(), 3u);  // low friction has no float entry
  EXPECT_EQ(find(d, "rect", "fail").size(), 1u);
  EXPECT_EQ(find(d, "line", "threshold").size(), 1u);
  Doc falls(charts[1].second);
  EXPECT_EQ(find(falls, "rect", "fail").size(), 1u);
  EXPECT_HAS(all_text(falls.root()), "falls (episodes)");
  const std::string dir = ::testing::TempDir() + "/scen_" + std::to_string(::getpid());
  const auto files = write_scenario_plots(dir, r);
  ASSERT_EQ(files.size(), 2u);
  EXPECT_HAS(files[0], "scenario_speed_ratio.svg");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace tinywalk::report
