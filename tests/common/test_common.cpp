#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <fstream>

#include "common/atomic_file.h"
#include "common/error.h"
#include "common/json.h"
#include "common/random.h"
#include "common/yaml_config.h"

using namespace tinywalk;

namespace {
struct Inner {
  double gain = 1.0;
  template <class V>
  void visit(V& v) {
    v.field("gain", gain, "N m/rad", config::positive());
  }
};
struct Cfg {
  double dt = 0.001;
  int n = 3;
  bool on = false;
  std::string name = "x";
  config::Interval range{0, 1};
  std::vector<double> xs{1, 2};
  Inner inner;
  template <class V>
  void visit(V& v) {
    v.field("dt", dt, "s", config::positive());
    v.field("n", n, "count", config::between(0, 10));
    v.field("on", on, "flag");
    v.field("name", name, "name");
    v.field("range", range, "range", config::non_negative());
    v.field("xs", xs, "two numbers", config::any(), 2);
    v.section("inner", inner, "inner");
  }
};

std::string temp_yaml(const std::string& text) {
  static int k = 0;
  std::string path = ::testing::TempDir() + "/cfg_" + std::to_string(::getpid()) + "_" + std::to_string(k++) + ".yaml";
  std::ofstream(path) << text;
  return path;
}

// Reads text as a Cfg and returns the error message ("" if it loaded).
std::string error_of(const std::string& text) {
  try {
    config::read_file<Cfg>(temp_yaml(text));
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST(Json, WritesArraysOfObjects) {
  std::vector<JsonObject> rows{JsonObject().add("name", "a").add("n", 1), JsonObject().add("name", "b\"").add("n", 2)};
  EXPECT_EQ(JsonObject().add("ok", true).add("rows", rows).add("none", std::vector<JsonObject>{}).str(),
            "{\"ok\":true,\"rows\":[{\"name\":\"a\",\"n\":1},{\"name\":\"b\\\"\",\"n\":2}],\"none\":[]}");
}

TEST(Json, WritesOrderedOneLineObjectAndNullForNonFinite) {
  JsonObject o;
  o.add("a", 1.5).add("b", true).add("s", "q\"\n").add("nan", std::nan("")).add("v", std::vector<double>{1, 0.25});
  EXPECT_EQ(o.str(), R"({"a":1.5,"b":true,"s":"q\"\n","nan":null,"v":[1,0.25]})");
  EXPECT_EQ(json_number(0.1), "0.1");  // shortest round trip
}

TEST(YamlConfig, ReadsEveryFieldKindAndKeepsDefaults) {
  Cfg c = config::read_file<Cfg>(temp_yaml("dt: 0.002\nname: bob\nrange: [0.5, 0.75]\ninner:\n  gain: 3\n"));
  EXPECT_DOUBLE_EQ(c.dt, 0.002);
  EXPECT_EQ(c.name, "bob");
  EXPECT_EQ(c.range, (config::Interval{0.5, 0.75}));
  EXPECT_DOUBLE_EQ(c.inner.gain, 3);
  EXPECT_EQ(c.n, 3);  // default kept
}

TEST(YamlConfig, WriterOutputReadsBackToTheSameValues) {
  Cfg c;
  c.dt = 0.0125;
  c.xs = {3, -4.5};
  c.inner.gain = 7;
  Cfg d = config::read_file<Cfg>(temp_yaml(config::to_yaml(c)));
  EXPECT_EQ(d.dt, c.dt);
  EXPECT_EQ(d.xs, c.xs);
  EXPECT_EQ(d.inner.gain, c.inner.gain);
}

TEST(YamlConfig, MalformedYamlNamesFileAndLine) {
  std::string e = error_of("dt: 0.001\nn: [1, 2\n");
  EXPECT_NE(e.find("cfg_"), std::string::npos) << e;
  EXPECT_NE(e.find("line"), std::string::npos) << e;
  EXPECT_NE(e.find("malformed YAML"), std::string::npos) << e;
}

TEST(YamlConfig, UnknownKeyIsAnErrorWithItsPathAndLine) {
  std::string e = error_of("dt: 0.001\ninner:\n  gain: 1\n  gian: 2\n");
  EXPECT_NE(e.find("line 4"), std::string::npos) << e;
  EXPECT_NE(e.find("inner.gian"), std::string::npos) << e;
  EXPECT_NE(e.find("unknown key"), std::string::npos) << e;
}

TEST(YamlConfig, WrongTypesRangesNanAndLengthsAreErrors) {
  EXPECT_NE(error_of("dt: fast\n").find("dt: expected a number, got 'fast'"), std::string::npos);
  EXPECT_NE(error_of("dt: -1\n").find("expected a number > 0, got -1"), std::string::npos);
  EXPECT_NE(error_of("dt: 0\n").find("> 0"), std::string::npos);
  EXPECT_NE(error_of("dt: .nan\n").find("finite"), std::string::npos);
  EXPECT_NE(error_of("n: 2.5\n").find("whole number"), std::string::npos);
  EXPECT_NE(error_of("n: 11\n").find("in [0, 10]"), std::string::npos);
  EXPECT_NE(error_of("on: maybe\n").find("true or false"), std::string::npos);
  EXPECT_NE(error_of("range: [2, 1]\n").find("low <= high"), std::string::npos);
  EXPECT_NE(error_of("xs: [1, 2, 3]\n").find("expected 2 numbers, got 3"), std::string::npos);
  EXPECT_NE(error_of("inner: 5\n").find("expected a mapping"), std::string::npos);
  EXPECT_NE(error_of("dt:\n").find("has no value"), std::string::npos);
  EXPECT_NE(error_of("- a\n- b\n").find("mapping"), std::string::npos);
  EXPECT_NE(error_of("").find("empty"), std::string::npos);
}

TEST(YamlConfig, MissingFileIsAnError) {
  try {
    config::read_file<Cfg>("/nonexistent/x.yaml");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/x.yaml"), std::string::npos);
  }
}

TEST(AtomicFile, UncommittedWriteLeavesTheOldFileIntact) {
  const std::string path = ::testing::TempDir() + "/atomic_" + std::to_string(::getpid()) + ".txt";
  write_file_atomic(path, "old");
  {
    AtomicFile f(path);
    f.stream() << "new but never committed";
  }
  EXPECT_EQ(read_file(path), "old");
  AtomicFile g(path);
  g.stream() << "new";
  g.commit();
  EXPECT_EQ(read_file(path), "new");
}

TEST(Rng, SameSeedSameStreamAndSaneMoments) {
  Rng a(42), b(42), c(43);
  EXPECT_EQ(a.next(), b.next());
  EXPECT_NE(a.next(), c.next());
  Rng r(7);
  double sum = 0, sum2 = 0;
  const int n = 200000;
  for (int i = 0; i < n; ++i) {
    double x = r.normal();
    sum += x;
    sum2 += x * x;
  }
  EXPECT_NEAR(sum / n, 0.0, 0.01);
  EXPECT_NEAR(sum2 / n, 1.0, 0.02);
}
