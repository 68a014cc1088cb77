// SVG plots.
//
// Outline
// - Formatting: fixed-precision numbers, XML escaping, tick labels.
// - Frame: title, legend rows, the plot area and the data-to-pixel mapping.
// - line_plot_svg / xy_plot_svg: axes with nice ticks, one polyline per finite run.
// - bar_chart_svg: categorical x, grouped bars, thresholds, pass/fail colours.
#include "report/svg_plot.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <limits>

namespace tinywalk::report {

namespace {

constexpr const char* kPass = "#2ca02c";
constexpr const char* kFail = "#d62728";
constexpr double kLeft = 74, kRight = 24, kBottom = 50, kTitle = 34, kLegendRow = 18;

std::string px(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.2f", v);
  std::string s = b;
  return s == "-0.00" ? "0.00" : s;
}

// Decimals that show every tick of this step exactly.
int decimals_for(double step) {
  if (!(step > 0)) return 0;
  return std::max(0, static_cast<int>(std::ceil(-std::log10(step) - 1e-9)));
}

std::string tick_label(double v, int decimals) {
  char b[48];
  if (std::fabs(v) >= 1e7) std::snprintf(b, sizeof b, "%.4g", v);
  else std::snprintf(b, sizeof b, "%.*f", decimals, v);
  std::string s = b;
  if (s.find_first_not_of("-0.") == std::string::npos) s = decimals ? "0." + std::string(decimals, '0') : "0";
  return s;
}

std::string value_label(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.3g", v);
  return b;
}

std::string axis_title(const Axis& a) { return a.unit.empty() ? a.label : a.label + " (" + a.unit + ")"; }

// Deterministic id for clip paths (unique enough across stacked plots).
std::string make_id(const std::string& seed) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : seed) h = (h ^ c) * 1099511628211ull;
  char b[24];
  std::snprintf(b, sizeof b, "c%08llx", static_cast<unsigned long long>(h & 0xffffffffull));
  return b;
}

struct Range {
  double lo = std::numeric_limits<double>::infinity(), hi = -std::numeric_limits<double>::infinity();
  void add(double v) {
    if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
  }
  bool empty() const { return !(lo <= hi); }
};

struct LegendEntry {
  std::string name, color;
  bool dashed = false;
  double opacity = 1;
  bool box = false;  // swatch as a filled box (bars) instead of a line
};

// Title, legend and plot area of one figure.
struct Frame {
  double x0, y0, w, h;  // plot area, px
  std::string svg;
};

Frame begin(int width, int height, const std::string& title, const std::vector<LegendEntry>& legend) {
  Frame f;
  std::string& s = f.svg;
  s += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(width) + "\" height=\"" + std::to_string(height) +
       "\" viewBox=\"0 0 " + std::to_string(width) + " " + std::to_string(height) +
       "\" font-family=\"DejaVu Sans, Arial, sans-serif\" font-size=\"12\">\n";
  s += "<rect width=\"" + std::to_string(width) + "\" height=\"" + std::to_string(height) + "\" fill=\"#ffffff\"/>\n";
  s += "<text class=\"title\" x=\"" + px(width / 2.0) + "\" y=\"22\" text-anchor=\"middle\" font-size=\"15\" font-weight=\"bold\">" +
       xml_escape(title) + "</text>\n";
  // Legend rows under the title, entries left to right.
  double lx = kLeft, ly = kTitle + 4;
  int rows = legend.empty() ? 0 : 1;
  for (const LegendEntry& e : legend) {
    const double ew = 34 + 7.0 * static_cast<double>(e.name.size());
    if (lx + ew > width - kRight && lx > kLeft) lx = kLeft, ly += kLegendRow, ++rows;
    s += "<g class=\"legend\">";
    if (e.box)
      s += "<rect x=\"" + px(lx) + "\" y=\"" + px(ly - 9) + "\" width=\"18\" height=\"10\" fill=\"" + e.color + "\" fill-opacity=\"" +
           px(e.opacity) + "\"/>";
    else
      s += "<line x1=\"" + px(lx) + "\" y1=\"" + px(ly - 4) + "\" x2=\"" + px(lx + 18) + "\" y2=\"" + px(ly - 4) + "\" stroke=\"" + e.color +
           "\" stroke-width=\"2.5\"" + (e.dashed ? " stroke-dasharray=\"5,3\"" : "") + "/>";
    s += "<text x=\"" + px(lx + 24) + "\" y=\"" + px(ly) + "\">" + xml_escape(e.name) + "</text></g>\n";
    lx += ew;
  }
  f.x0 = kLeft;
  f.y0 = kTitle + rows * kLegendRow + 8;
  f.w = std::max(10.0, width - kLeft - kRight);
  f.h = std::max(10.0, height - f.y0 - kBottom);
  return f;
}

void plot_area_rect(Frame& f) {
  f.svg += "<rect class=\"plot-area\" x=\"" + px(f.x0) + "\" y=\"" + px(f.y0) + "\" width=\"" + px(f.w) + "\" height=\"" + px(f.h) +
           "\" fill=\"none\" stroke=\"#444444\"/>\n";
}

void axis_titles(Frame& f, const std::string& xt, const std::string& yt) {
  if (!xt.empty())
    f.svg += "<text class=\"x-label\" x=\"" + px(f.x0 + f.w / 2) + "\" y=\"" + px(f.y0 + f.h + 40) + "\" text-anchor=\"middle\">" +
             xml_escape(xt) + "</text>\n";
  if (!yt.empty()) {
    const std::string cx = px(16), cy = px(f.y0 + f.h / 2);
    f.svg += "<text class=\"y-label\" x=\"" + cx + "\" y=\"" + cy + "\" text-anchor=\"middle\" transform=\"rotate(-90 " + cx + " " + cy +
             ")\">" + xml_escape(yt) + "</text>\n";
  }
}

void no_data(Frame& f) {
  f.svg += "<text class=\"no-data\" x=\"" + px(f.x0 + f.w / 2) + "\" y=\"" + px(f.y0 + f.h / 2) +
           "\" text-anchor=\"middle\" fill=\"#888888\">no data</text>\n";
}

// Linear map of [lo, hi] onto [p0, p0 + len] (flip: y up).
struct Scale {
  double lo = 0, hi = 1, p0 = 0, len = 1;
  bool flip = false;
  double operator()(double v) const {
    const double t = (v - lo) / (hi - lo);
    return flip ? p0 + len - t * len : p0 + t * len;
  }
};

// Axis range and ticks: fixed limits if given, else the data widened to nice ticks.
void axis_range(const Axis& a, Range r, double* lo, double* hi, std::vector<double>* ticks) {
  if (std::isfinite(a.min)) r.lo = a.min;
  if (std::isfinite(a.max)) r.hi = a.max;
  if (r.empty()) r.lo = 0, r.hi = 1;
  *ticks = nice_ticks(r.lo, r.hi);
  if (std::isfinite(a.min) && std::isfinite(a.max) && a.max > a.min) {
    *lo = a.min, *hi = a.max;
    std::vector<double> inside;
    for (double t : *ticks)
      if (t >= *lo - 1e-9 * (*hi - *lo) && t <= *hi + 1e-9 * (*hi - *lo)) inside.push_back(t);
    *ticks = inside;
  } else {
    *lo = ticks->front(), *hi = ticks->back();
  }
}

void x_ticks(Frame& f, const Scale& sx, const std::vector<double>& ticks) {
  const int d = ticks.size() > 1 ? decimals_for(ticks[1] - ticks[0]) : 0;
  for (double t : ticks) {
    const std::string x = px(sx(t));
    f.svg += "<line class=\"grid\" x1=\"" + x + "\" y1=\"" + px(f.y0) + "\" x2=\"" + x + "\" y2=\"" + px(f.y0 + f.h) +
             "\" stroke=\"#e3e3e3\"/><text class=\"tick\" x=\"" + x + "\" y=\"" + px(f.y0 + f.h + 17) + "\" text-anchor=\"middle\">" +
             tick_label(t, d) + "</text>\n";
  }
}

void y_ticks(Frame& f, const Scale& sy, const std::vector<double>& ticks) {
  const int d = ticks.size() > 1 ? decimals_for(ticks[1] - ticks[0]) : 0;
  for (double t : ticks) {
    const std::string y = px(sy(t));
    f.svg += "<line class=\"grid\" x1=\"" + px(f.x0) + "\" y1=\"" + y + "\" x2=\"" + px(f.x0 + f.w) + "\" y2=\"" + y +
             "\" stroke=\"#e3e3e3\"/><text class=\"tick\" x=\"" + px(f.x0 - 6) + "\" y=\"" + px(sy(t) + 4) + "\" text-anchor=\"end\">" +
             tick_label(t, d) + "</text>\n";
  }
}

std::string color_of(const std::string& c, int i) { return c.empty() ? palette(i) : c; }

// The finite runs of a series as polylines (pixel coordinates).
std::vector<std::vector<std::pair<double, double>>> runs(const Series& s, const Scale& sx, const Scale& sy) {
  std::vector<std::vector<std::pair<double, double>>> out(1);
  const size_t n = std::min(s.x.size(), s.y.size());
  for (size_t i = 0; i < n; ++i) {
    if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) {
      if (!out.back().empty()) out.emplace_back();
      continue;
    }
    out.back().emplace_back(sx(s.x[i]), sy(s.y[i]));
  }
  if (out.back().empty()) out.pop_back();
  return out;
}

void draw_series(Frame& f, const std::vector<Series>& series, const Scale& sx, const Scale& sy, const std::string& clip, bool markers) {
  f.svg += "<defs><clipPath id=\"" + clip + "\"><rect x=\"" + px(f.x0) + "\" y=\"" + px(f.y0) + "\" width=\"" + px(f.w) + "\" height=\"" +
           px(f.h) + "\"/></clipPath></defs>\n<g clip-path=\"url(#" + clip + ")\">\n";
  for (size_t i = 0; i < series.size(); ++i) {
    const Series& s = series[i];
    const std::string c = color_of(s.color, static_cast<int>(i));
    const auto rs = runs(s, sx, sy);
    for (const auto& run : rs) {
      std::string pts;
      for (const auto& [x, y] : run) pts += (pts.empty() ? "" : " ") + px(x) + "," + px(y);
      f.svg += "<polyline class=\"series\" data-series=\"" + xml_escape(s.name) + "\" fill=\"none\" stroke=\"" + c +
               "\" stroke-width=\"1.8\" stroke-linejoin=\"round\"" + (s.dashed ? " stroke-dasharray=\"6,4\"" : "") + " points=\"" + pts +
               "\"/>\n";
    }
    if (markers && !rs.empty()) {
      const auto [x0, y0] = rs.front().front();
      const auto [x1, y1] = rs.back().back();
      f.svg += "<circle class=\"start\" cx=\"" + px(x0) + "\" cy=\"" + px(y0) + "\" r=\"5\" fill=\"#ffffff\" stroke=\"" + c +
               "\" stroke-width=\"2\"/>\n";
      f.svg += "<rect class=\"end\" x=\"" + px(x1 - 4.5) + "\" y=\"" + px(y1 - 4.5) + "\" width=\"9\" height=\"9\" fill=\"" + c + "\"/>\n";
    }
  }
  f.svg += "</g>\n";
}

std::vector<LegendEntry> line_legend(const std::vector<Series>& series) {
  std::vector<LegendEntry> l;
  for (size_t i = 0; i < series.size(); ++i)
    if (!series[i].name.empty()) l.push_back({series[i].name, color_of(series[i].color, static_cast<int>(i)), series[i].dashed, 1, false});
  return l;
}

}  // namespace

const char* palette(int i) {
  static const char* const kColors[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                        "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
  return kColors[((i % 10) + 10) % 10];
}

std::string xml_escape(const std::string& s) {
  std::string o;
  o.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      case '\'': o += "&apos;"; break;
      default:
        // Control characters other than tab/newline are not allowed in XML 1.0.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r') o += ' ';
        else o += c;
    }
  }
  return o;
}

std::vector<double> nice_ticks(double lo, double hi, int target) {
  if (!std::isfinite(lo) || !std::isfinite(hi)) lo = 0, hi = 1;
  if (lo > hi) std::swap(lo, hi);
  if (hi - lo < 1e-12 * std::max(1.0, std::fabs(lo))) {
    const double pad = lo == 0 ? 1 : 0.1 * std::fabs(lo);
    lo -= pad, hi += pad;
  }
  target = std::max(1, target);
  const double raw = (hi - lo) / target;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double f = raw / mag;
  const double step = (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
  const double k0 = std::floor(lo / step + 1e-9), k1 = std::ceil(hi / step - 1e-9);
  std::vector<double> t;
  for (double k = k0; k <= k1 + 0.5; k += 1) {
    const double v = k * step;
    t.push_back(std::fabs(v) < 1e-12 * step ? 0.0 : v);
  }
  if (t.size() < 2) t.push_back(t.back() + step);
  return t;
}

std::string line_plot_svg(const LinePlot& p) {
  Frame f = begin(p.width, p.height, p.title, line_legend(p.series));
  Range rx, ry;
  for (const Series& s : p.series)
    for (size_t i = 0; i < std::min(s.x.size(), s.y.size()); ++i)
      if (std::isfinite(s.x[i]) && std::isfinite(s.y[i])) rx.add(s.x[i]), ry.add(s.y[i]);
  std::vector<double> tx, ty;
  Scale sx, sy;
  axis_range(p.x, rx, &sx.lo, &sx.hi, &tx);
  axis_range(p.y, ry, &sy.lo, &sy.hi, &ty);
  sx.p0 = f.x0, sx.len = f.w;
  sy.p0 = f.y0, sy.len = f.h, sy.flip = true;
  x_ticks(f, sx, tx);
  y_ticks(f, sy, ty);
  if (rx.empty()) no_data(f);
  draw_series(f, p.series, sx, sy, make_id("line" + p.title + std::to_string(p.width) + std::to_string(p.height)), false);
  plot_area_rect(f);
  axis_titles(f, axis_title(p.x), axis_title(p.y));
  return f.svg + "</svg>\n";
}

std::string xy_plot_svg(const LinePlot& p) {
  Frame f = begin(p.width, p.height, p.title, line_legend(p.series));
  Range rx, ry;
  for (const Series& s : p.series)
    for (size_t i = 0; i < std::min(s.x.size(), s.y.size()); ++i)
      if (std::isfinite(s.x[i]) && std::isfinite(s.y[i])) rx.add(s.x[i]), ry.add(s.y[i]);
  if (rx.empty()) rx.lo = ry.lo = -0.5, rx.hi = ry.hi = 0.5;
  // Equal aspect: the same data units per pixel on both axes, centred on the data.
  const double span = std::max({rx.hi - rx.lo, ry.hi - ry.lo, 1e-6});
  const double upp = 1.1 * std::max((rx.hi - rx.lo + 0.05 * span) / f.w, (ry.hi - ry.lo + 0.05 * span) / f.h);
  const double cx = 0.5 * (rx.lo + rx.hi), cy = 0.5 * (ry.lo + ry.hi);
  Scale sx{cx - 0.5 * upp * f.w, cx + 0.5 * upp * f.w, f.x0, f.w, false};
  Scale sy{cy - 0.5 * upp * f.h, cy + 0.5 * upp * f.h, f.y0, f.h, true};
  // One tick step for both axes, ticks inside the range.
  const std::vector<double> big = nice_ticks(std::min(sx.lo, sy.lo), std::min(sx.lo, sy.lo) + upp * std::max(f.w, f.h), 8);
  const double step = big[1] - big[0];
  auto inside = [&](const Scale& s) {
    std::vector<double> t;
    for (double k = std::ceil(s.lo / step - 1e-9); k * step <= s.hi + 1e-9 * step; k += 1) t.push_back(k == 0 ? 0.0 : k * step);
    return t;
  };
  x_ticks(f, sx, inside(sx));
  y_ticks(f, sy, inside(sy));
  bool any = false;
  for (const Series& s : p.series) any |= !runs(s, sx, sy).empty();
  if (!any) no_data(f);
  draw_series(f, p.series, sx, sy, make_id("xy" + p.title + std::to_string(p.width) + std::to_string(p.height)), true);
  plot_area_rect(f);
  axis_titles(f, axis_title(p.x), axis_title(p.y));
  f.svg += "<text class=\"note\" x=\"" + px(f.x0 + f.w - 4) + "\" y=\"" + px(f.y0 + f.h - 6) +
           "\" text-anchor=\"end\" fill=\"#666666\" font-size=\"11\">circle: start, square: end</text>\n";
  return f.svg + "</svg>\n";
}

std::string bar_chart_svg(const BarChart& c) {
  const size_t ncat = c.categories.size(), nser = c.series.size();
  auto threshold = [&](size_t k) { return c.thresholds.empty() ? NAN : c.thresholds.size() == 1 ? c.thresholds[0] : k < c.thresholds.size() ? c.thresholds[k] : NAN; };
  bool any_threshold = false;
  for (size_t k = 0; k < std::max<size_t>(ncat, 1); ++k) any_threshold |= std::isfinite(threshold(k));
  auto shade = [&](size_t i) { return nser <= 1 ? 1.0 : 1.0 - 0.55 * static_cast<double>(i) / static_cast<double>(nser - 1); };

  std::vector<LegendEntry> legend;
  for (size_t i = 0; i < nser; ++i)
    legend.push_back({c.series[i].name, any_threshold ? "#555555" : color_of(c.series[i].color, static_cast<int>(i)), false,
                      any_threshold ? shade(i) : 1.0, true});
  if (any_threshold) {
    legend.push_back({"pass", kPass, false, 1, true});
    legend.push_back({"fail", kFail, false, 1, true});
    legend.push_back({c.threshold_label, "#333333", true, 1, false});
  }
  Frame f = begin(c.width, c.height, c.title, legend);

  Range ry;
  ry.add(0);
  for (const BarSeries& s : c.series)
    for (double v : s.values) ry.add(v);
  for (size_t k = 0; k < ncat; ++k) ry.add(threshold(k));
  std::vector<double> ty;
  Scale sy;
  axis_range(c.y, ry, &sy.lo, &sy.hi, &ty);
  sy.p0 = f.y0, sy.len = f.h, sy.flip = true;
  y_ticks(f, sy, ty);

  bool any_bar = false;
  const double gw = f.w / std::max<double>(1, static_cast<double>(ncat));
  const double bw = 0.8 * gw / std::max<double>(1, static_cast<double>(nser));
  const double zero = sy(std::clamp(0.0, sy.lo, sy.hi));
  for (size_t k = 0; k < ncat; ++k) {
    const double g0 = f.x0 + gw * static_cast<double>(k);
    const double thr = threshold(k);
    for (size_t i = 0; i < nser; ++i) {
      const BarSeries& s = c.series[i];
      if (k >= s.values.size() || !std::isfinite(s.values[k])) continue;
      const double v = s.values[k];
      any_bar = true;
      const double yv = sy(std::clamp(v, sy.lo, sy.hi));
      const double x = g0 + 0.1 * gw + bw * static_cast<double>(i);
      std::string fill = color_of(s.color, static_cast<int>(i)), cls = "bar";
      double opacity = 1;
      if (std::isfinite(thr)) {
        const bool pass = c.higher_is_better ? v >= thr : v <= thr;
        fill = pass ? kPass : kFail;
        cls += pass ? " pass" : " fail";
        opacity = shade(i);
      }
      f.svg += "<rect class=\"" + cls + "\" data-series=\"" + xml_escape(s.name) + "\" x=\"" + px(x + 1) + "\" y=\"" + px(std::min(yv, zero)) +
               "\" width=\"" + px(std::max(1.0, bw - 2)) + "\" height=\"" + px(std::fabs(zero - yv)) + "\" fill=\"" + fill +
               "\" fill-opacity=\"" + px(opacity) + "\"/>\n";
      f.svg += "<text class=\"value\" x=\"" + px(x + bw / 2) + "\" y=\"" + px(std::min(yv, zero) - 4) +
               "\" text-anchor=\"middle\" font-size=\"11\">" + value_label(v) + "</text>\n";
    }
    if (std::isfinite(thr) && c.thresholds.size() != 1) {
      const std::string y = px(sy(thr));
      f.svg += "<line class=\"threshold\" x1=\"" + px(g0 + 0.04 * gw) + "\" y1=\"" + y + "\" x2=\"" + px(g0 + 0.96 * gw) + "\" y2=\"" + y +
               "\" stroke=\"#333333\" stroke-width=\"1.5\" stroke-dasharray=\"6,4\"/>\n";
    }
    f.svg += "<text class=\"category\" x=\"" + px(g0 + gw / 2) + "\" y=\"" + px(f.y0 + f.h + 17) + "\" text-anchor=\"middle\">" +
             xml_escape(c.categories[k]) + "</text>\n";
    if (k < c.category_passed.size() && c.category_passed[k] >= 0) {
      const bool pass = c.category_passed[k] == 1;
      f.svg += std::string("<text class=\"verdict\" x=\"") + px(g0 + gw / 2) + "\" y=\"" + px(f.y0 + f.h + 33) +
               "\" text-anchor=\"middle\" font-weight=\"bold\" fill=\"" + (pass ? kPass : kFail) + "\">" + (pass ? "PASS" : "FAIL") +
               "</text>\n";
    }
  }
  if (c.thresholds.size() == 1 && std::isfinite(c.thresholds[0])) {
    const std::string y = px(sy(c.thresholds[0]));
    f.svg += "<line class=\"threshold\" x1=\"" + px(f.x0) + "\" y1=\"" + y + "\" x2=\"" + px(f.x0 + f.w) + "\" y2=\"" + y +
             "\" stroke=\"#333333\" stroke-width=\"1.5\" stroke-dasharray=\"6,4\"/>\n";
  }
  if (!any_bar) no_data(f);
  f.svg += "<line class=\"zero\" x1=\"" + px(f.x0) + "\" y1=\"" + px(zero) + "\" x2=\"" + px(f.x0 + f.w) + "\" y2=\"" + px(zero) +
           "\" stroke=\"#444444\"/>\n";
  plot_area_rect(f);
  axis_titles(f, "", axis_title(c.y));
  return f.svg + "</svg>\n";
}

std::string stack_svgs(const std::vector<std::string>& svgs, int width, const std::vector<int>& heights) {
  int total = 0;
  for (size_t i = 0; i < svgs.size(); ++i) total += i < heights.size() ? heights[i] : 0;
  std::string s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(width) + "\" height=\"" + std::to_string(total) +
                  "\" viewBox=\"0 0 " + std::to_string(width) + " " + std::to_string(total) + "\">\n";
  int y = 0;
  for (size_t i = 0; i < svgs.size(); ++i) {
    std::string inner = svgs[i];
    // Nest each plot at its offset: "<svg " -> "<svg x=.. y=.. ".
    if (inner.rfind("<svg ", 0) == 0) inner = "<svg x=\"0\" y=\"" + std::to_string(y) + "\" " + inner.substr(5);
    s += inner;
    y += i < heights.size() ? heights[i] : 0;
  }
  return s + "</svg>\n";
}

}  // namespace tinywalk::report
