// Small, dependency-free SVG plots: line plots with named series, equal-aspect
// XY plots (a trajectory seen from above), grouped bar charts with thresholds.
//
// Contract
// - Output is one standalone <svg> element (UTF-8, no XML declaration), the
//   same bytes for the same input: pixel coordinates are printed with %.2f,
//   tick labels with a fixed number of decimals derived from the tick step,
//   data values nowhere else.
// - Non-finite values (NaN, inf) are skipped: a line is broken at them, a bar
//   is not drawn. Empty series are listed in the legend but draw nothing; a
//   plot with no finite data draws its frame and "no data".
// - Every text (title, labels, series names, categories) is XML-escaped.
// - The plot area is the element <rect class="plot-area" x= y= width= height=>;
//   data map linearly onto it (y up), from the axis range [min, max]
//   (Axis::min/max if finite, else the data range widened to nice ticks).
#pragma once

#include <cmath>
#include <string>
#include <vector>

namespace tinywalk::report {

struct Axis {
  std::string label;  // e.g. "time"
  std::string unit;   // e.g. "s"; shown as "time (s)"
  double min = NAN, max = NAN;  // fixed range; NaN: from the data
};

struct Series {
  std::string name;              // legend entry
  std::vector<double> x, y;      // same length (the shorter length is used)
  std::string color;             // CSS colour; empty: the palette colour of the series index
  bool dashed = false;
};

struct LinePlot {
  std::string title;
  Axis x, y;
  std::vector<Series> series;
  int width = 760, height = 420;  // px
};

// Line plot, one polyline per series.
std::string line_plot_svg(const LinePlot& p);

// Equal-aspect XY plot (one data unit is the same number of pixels on both
// axes): each series as a path with a circle at its first finite point
// (start) and a square at its last (end). Axis min/max are ignored.
std::string xy_plot_svg(const LinePlot& p);

struct BarSeries {
  std::string name;            // legend entry (e.g. a variant: "float", "int8")
  std::vector<double> values;  // one per category; NaN: no bar
  std::string color;           // empty: palette colour (ignored when bars are coloured by threshold)
};

struct BarChart {
  std::string title;
  std::vector<std::string> categories;  // groups along x (e.g. scenarios)
  std::vector<BarSeries> series;        // bars within a group
  Axis y;                               // x is categorical
  // Threshold per category (size 1: the same for all; empty: none; NaN: none
  // for that category), drawn as a dashed line; with thresholds every bar is
  // coloured pass (green) or fail (red) and series differ by shade.
  std::vector<double> thresholds;
  bool higher_is_better = true;         // pass: value >= threshold (else value <= threshold)
  std::string threshold_label = "threshold";
  // Per category: 1 passed, 0 failed, -1 unknown; shown as a coloured mark under the label.
  std::vector<int> category_passed;
  int width = 760, height = 420;
};

std::string bar_chart_svg(const BarChart& c);

// Several SVGs stacked vertically into one (each nested at its own offset).
std::string stack_svgs(const std::vector<std::string>& svgs, int width, const std::vector<int>& heights);

// "Nice" tick values (steps of 1, 2 or 5 x 10^k) covering [lo, hi] with
// about `target` intervals; the first tick <= lo and the last >= hi.
std::vector<double> nice_ticks(double lo, double hi, int target = 6);

// & < > " ' as entities.
std::string xml_escape(const std::string& s);

// Palette colour for series i (cycles through 10 colours).
const char* palette(int i);

}  // namespace tinywalk::report
