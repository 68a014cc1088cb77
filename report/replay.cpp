// Replay page.
//
// Outline
// - replay_geometry(): the URDF tree as bodies (origin, axis, joint index, tip) and base boxes.
// - replay_forward(): the same forward kinematics the page's script runs.
// - replay_input(): dataset signals -> frames; dataset_control_dt(): sim.control_dt from the config.
// - replay_html(): compact JSON of geometry and frames + the page (style, markup, script).
#include "report/replay.h"

#include <yaml-cpp/yaml.h>

#include <cmath>
#include <cstdio>

#include "common/error.h"
#include "common/json.h"

namespace tinywalk::report {

namespace {

// Farthest point of a shape from the body origin (body frame).
Eigen::Vector3d far_point(const sim::Shape& s) {
  const Eigen::Vector3d c = s.pose.translation();
  const Eigen::Vector3d dir = c.norm() > 1e-12 ? Eigen::Vector3d(c.normalized()) : Eigen::Vector3d(-Eigen::Vector3d::UnitZ());
  const Eigen::Vector3d d = s.pose.linear().transpose() * dir;  // in the shape frame
  Eigen::Vector3d local = Eigen::Vector3d::Zero();
  switch (s.kind) {
    case sim::Shape::Kind::Sphere: local = s.size[0] * d; break;
    case sim::Shape::Kind::Box:
      for (int k = 0; k < 3; ++k) local[k] = (d[k] > 1e-9 ? 0.5 : d[k] < -1e-9 ? -0.5 : 0.0) * s.size[k];
      break;
    case sim::Shape::Kind::Cylinder: {
      const Eigen::Vector3d radial(d.x(), d.y(), 0);
      local = Eigen::Vector3d(0, 0, (d.z() > 1e-9 ? 0.5 : d.z() < -1e-9 ? -0.5 : 0.0) * s.size[1]);
      if (radial.norm() > 1e-9) local += s.size[0] * radial.normalized();
      break;
    }
  }
  return s.pose * local;
}

Eigen::Vector3d bounding_size(const sim::Shape& s) {
  switch (s.kind) {
    case sim::Shape::Kind::Box: return s.size;
    case sim::Shape::Kind::Cylinder: return {2 * s.size[0], 2 * s.size[0], s.size[1]};
    case sim::Shape::Kind::Sphere: return Eigen::Vector3d::Constant(2 * s.size[0]);
  }
  return s.size;
}

// Fixed decimals, trailing zeros trimmed: compact and deterministic.
std::string num(double v, int decimals) {
  if (!std::isfinite(v)) v = 0;
  char b[48];
  std::snprintf(b, sizeof b, "%.*f", decimals, v);
  std::string s = b;
  if (s.find('.') != std::string::npos) {
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
  }
  if (s == "-0") s = "0";
  return s;
}

std::string vec(const double* v, int n, int decimals) {
  std::string s = "[";
  for (int i = 0; i < n; ++i) s += (i ? "," : "") + num(v[i], decimals);
  return s + "]";
}
std::string vec(const Eigen::Vector3d& v, int d) { return vec(v.data(), 3, d); }
std::string quat(const Eigen::Quaterniond& q, int d) {
  const double v[4] = {q.x(), q.y(), q.z(), q.w()};
  return vec(v, 4, d);
}

// Frames as one flat array; a non-finite value repeats the previous frame's (or `init`).
std::string frames_array(const std::vector<double>& a, int dim, int decimals, const std::vector<double>& init) {
  std::string s = "[";
  std::vector<double> last = init;
  const size_t rows = dim ? a.size() / dim : 0;
  for (size_t r = 0; r < rows; ++r)
    for (int k = 0; k < dim; ++k) {
      double v = a[r * dim + k];
      if (std::isfinite(v)) last[k] = v;
      else v = last[k];
      s += (r || k ? "," : "") + num(v, decimals);
    }
  return s + "]";
}

// JSON string safe inside <script>: no "</" sequence.
std::string script_safe(std::string s) {
  for (size_t p = 0; (p = s.find("</", p)) != std::string::npos; p += 3) s.replace(p, 2, "<\\/");
  return s;
}

std::string html_escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '&') o += "&amp;";
    else if (c == '<') o += "&lt;";
    else if (c == '>') o += "&gt;";
    else if (c == '"') o += "&quot;";
    else o += c;
  }
  return o;
}

extern const char* const kPageHead;
extern const char* const kPageScript;

}  // namespace

ReplayGeometry replay_geometry(const sim::Robot& robot) {
  const sim::RobotModel& m = robot.model;
  ReplayGeometry g;
  g.joint_names = robot.config.joints;
  std::vector<int> children(m.bodies.size(), 0);
  for (const sim::Body& b : m.bodies)
    if (b.parent >= 0) ++children[b.parent];
  std::vector<Eigen::Isometry3d> in_base(m.bodies.size(), Eigen::Isometry3d::Identity());
  for (size_t b = 0; b < m.bodies.size(); ++b) {
    const sim::Body& body = m.bodies[b];
    ReplayBody rb;
    rb.name = body.name;
    rb.parent = body.parent;
    for (int i = 0; i < robot.num_joints(); ++i)
      if (m.joint_body[robot.joint_to_model[i]] == static_cast<int>(b)) rb.joint = i;
    if (b > 0) {
      rb.origin_position = body.joint.origin.translation();
      rb.origin_rotation = Eigen::Quaterniond(body.joint.origin.linear()).normalized();
      rb.axis = body.joint.axis.normalized();
      in_base[b] = in_base[body.parent] * body.joint.origin;
      const double y = in_base[b].translation().y();
      rb.side = y > 1e-6 ? 1 : y < -1e-6 ? -1 : 0;
      if (children[b] == 0 && !body.shapes.empty()) {
        double best = -1;
        for (const sim::Shape& s : body.shapes) {
          const Eigen::Vector3d p = far_point(s);
          if (p.norm() > best + 1e-12) best = p.norm(), rb.tip = p;
        }
        rb.has_tip = best > 1e-6;
      }
    } else {
      for (const sim::Shape& s : body.shapes)
        g.boxes.push_back({0, s.pose.translation(), Eigen::Quaterniond(s.pose.linear()).normalized(), bounding_size(s)});
    }
    g.bodies.push_back(rb);
  }
  return g;
}

void replay_forward(const ReplayGeometry& g, const std::vector<double>& q, std::vector<Eigen::Vector3d>* origins,
                    std::vector<Eigen::Vector3d>* tips) {
  std::vector<Eigen::Isometry3d> T(g.bodies.size(), Eigen::Isometry3d::Identity());
  origins->assign(g.bodies.size(), Eigen::Vector3d::Zero());
  tips->assign(g.bodies.size(), Eigen::Vector3d::Zero());
  for (size_t b = 0; b < g.bodies.size(); ++b) {
    const ReplayBody& rb = g.bodies[b];
    if (rb.parent >= 0) {
      const double angle = rb.joint >= 0 && rb.joint < static_cast<int>(q.size()) ? q[rb.joint] : 0.0;
      Eigen::Isometry3d o = Eigen::Isometry3d::Identity();
      o.linear() = rb.origin_rotation.toRotationMatrix();
      o.translation() = rb.origin_position;
      T[b] = T[rb.parent] * o * Eigen::AngleAxisd(angle, rb.axis);
    }
    (*origins)[b] = T[b].translation();
    (*tips)[b] = rb.has_tip ? T[b] * rb.tip : T[b].translation();
  }
}

double dataset_control_dt(const data::DatasetInfo& info, double fallback) {
  try {
    const YAML::Node root = YAML::Load(info.config_yaml);
    if (root.IsMap() && root["sim"] && root["sim"].IsMap() && root["sim"]["control_dt"]) {
      const double dt = root["sim"]["control_dt"].as<double>();
      if (dt > 0 && std::isfinite(dt)) return dt;
    }
  } catch (const YAML::Exception&) {
  }
  return fallback;
}

ReplayInput replay_input(const data::EpisodeData& e, const sim::Robot& robot, double control_dt, const std::string& title,
                         const std::string& source) {
  auto signal = [&](const std::string& name, int dim) -> const data::Signal& {
    auto it = e.privileged.find(name);
    if (it == e.privileged.end())
      throw InputError(source, "privileged/" + name, "missing: a replay needs base_position [3], base_orientation [4] and q [joints]");
    if (it->second.dim != dim)
      throw InputError(source, "privileged/" + name, "has width " + std::to_string(it->second.dim) + ", expected " + std::to_string(dim));
    return it->second;
  };
  const data::Signal& pos = signal("base_position", 3);
  const data::Signal& rot = signal("base_orientation", 4);
  const data::Signal& q = signal("q", robot.num_joints());
  if (pos.rows() == 0) throw InputError(source, "privileged/base_position", "has no rows: the episode is empty");
  if (rot.rows() != pos.rows() || q.rows() != pos.rows())
    throw InputError(source, "privileged", "base_position, base_orientation and q have different numbers of rows");
  if (!(control_dt > 0)) throw InputError(source, "control_dt", "expected a positive number of seconds");
  ReplayInput in;
  in.title = title;
  in.geometry = replay_geometry(robot);
  in.control_dt = control_dt;
  in.base_position = pos.values;
  in.base_orientation = rot.values;
  in.q = q.values;
  return in;
}

std::string replay_html(const ReplayInput& in) {
  const ReplayGeometry& g = in.geometry;
  const int nj = static_cast<int>(g.joint_names.size()), n = in.frames();
  TW_CHECK(in.base_position.size() == static_cast<size_t>(3 * n) && in.base_orientation.size() == static_cast<size_t>(4 * n) &&
               in.q.size() == static_cast<size_t>(nj * n),
           "replay arrays disagree on the number of frames");
  // Compact JSON: geometry to 1 um, frames to 0.1 mm / 1e-4 rad.
  std::string j = "{\"title\":" + script_safe(json_quote(in.title)) + ",\"dt\":" + num(in.control_dt, 6) + ",\"joints\":[";
  for (int i = 0; i < nj; ++i) j += (i ? "," : "") + script_safe(json_quote(g.joint_names[i]));
  j += "],\"bodies\":[";
  for (size_t b = 0; b < g.bodies.size(); ++b) {
    const ReplayBody& r = g.bodies[b];
    j += std::string(b ? "," : "") + "{\"name\":" + script_safe(json_quote(r.name)) + ",\"parent\":" + std::to_string(r.parent) +
         ",\"joint\":" + std::to_string(r.joint) + ",\"o\":" + vec(r.origin_position, 6) + ",\"r\":" + quat(r.origin_rotation, 6) +
         ",\"axis\":" + vec(r.axis, 6) + ",\"tip\":" + (r.has_tip ? vec(r.tip, 6) : "null") + ",\"side\":" + std::to_string(r.side) + "}";
  }
  j += "],\"boxes\":[";
  for (size_t b = 0; b < g.boxes.size(); ++b) {
    const ReplayBox& x = g.boxes[b];
    j += std::string(b ? "," : "") + "{\"body\":" + std::to_string(x.body) + ",\"c\":" + vec(x.center, 6) + ",\"r\":" + quat(x.rotation, 6) +
         ",\"s\":" + vec(x.size, 6) + "}";
  }
  j += "],\"frames\":" + std::to_string(n);
  j += ",\"pos\":" + frames_array(in.base_position, 3, 4, {0, 0, 0});
  j += ",\"quat\":" + frames_array(in.base_orientation, 4, 4, {0, 0, 0, 1});
  j += ",\"q\":" + frames_array(in.q, nj, 4, std::vector<double>(nj, 0.0)) + "}";

  std::string page = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>" + html_escape(in.title) + "</title>\n";
  page += kPageHead;
  page += "<script id=\"replay-data\" type=\"application/json\">" + j + "</script>\n<script>\n";
  page += kPageScript;
  page += "</script>\n</body>\n</html>\n";
  return page;
}

namespace {

const char* const kPageHead = R"HTML(<style>
html, body { margin: 0; height: 100%; background: #eef1f5; font: 13px/1.4 "DejaVu Sans", Arial, sans-serif; color: #222; overflow: hidden; }
#bar { position: absolute; left: 0; right: 0; top: 0; height: 40px; display: flex; align-items: center; gap: 10px; padding: 0 10px;
       background: #ffffffe0; border-bottom: 1px solid #ccd; box-sizing: border-box; }
#bar button { width: 64px; }
#slider { flex: 1; min-width: 120px; }
#info { font: 12px "DejaVu Sans Mono", monospace; white-space: pre; overflow: hidden; }
#title { font-weight: bold; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; max-width: 22%; }
#help { position: absolute; right: 10px; bottom: 8px; color: #667; font-size: 12px; }
canvas { position: absolute; left: 0; top: 40px; cursor: grab; }
</style>
</head>
<body>
<div id="bar"><span id="title"></span><button id="play">Pause</button>
<input id="slider" type="range" min="0" max="0" step="1" value="0">
<select id="speed"><option value="0.25">0.25x</option><option value="0.5">0.5x</option><option value="1" selected>1x</option>
<option value="2">2x</option><option value="4">4x</option></select><span id="info"></span></div>
<canvas id="view"></canvas>
<div id="help">drag: orbit &middot; wheel: zoom &middot; space: play/pause</div>
)HTML";

const char* const kPageScript = R"JS("use strict";
// Data from the recorded episode (see report/replay.h).
const D = JSON.parse(document.getElementById("replay-data").textContent);
const NJ = D.joints.length, N = D.frames, DT = D.dt, T_END = Math.max(0, (N - 1) * DT);

// --- small linear algebra: 3-vectors as arrays, rotations as row-major 3x3 arrays
const add = (a, b) => [a[0] + b[0], a[1] + b[1], a[2] + b[2]];
const sub = (a, b) => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
const mul = (a, s) => [a[0] * s, a[1] * s, a[2] * s];
const dot = (a, b) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const cross = (a, b) => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
const norm = (a) => { const l = Math.hypot(a[0], a[1], a[2]) || 1; return [a[0] / l, a[1] / l, a[2] / l]; };
function quatMat(q) {  // x, y, z, w
  const [x, y, z, w] = q, n = Math.hypot(x, y, z, w) || 1, X = x / n, Y = y / n, Z = z / n, W = w / n;
  return [1 - 2 * (Y * Y + Z * Z), 2 * (X * Y - Z * W), 2 * (X * Z + Y * W),
          2 * (X * Y + Z * W), 1 - 2 * (X * X + Z * Z), 2 * (Y * Z - X * W),
          2 * (X * Z - Y * W), 2 * (Y * Z + X * W), 1 - 2 * (X * X + Y * Y)];
}
function axisMat(a, t) {  // rotation by t about unit axis a
  const c = Math.cos(t), s = Math.sin(t), C = 1 - c, [x, y, z] = a;
  return [c + x * x * C, x * y * C - z * s, x * z * C + y * s,
          y * x * C + z * s, c + y * y * C, y * z * C - x * s,
          z * x * C - y * s, z * y * C + x * s, c + z * z * C];
}
function mm(A, B) {
  const R = new Array(9);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++)
    R[3 * i + j] = A[3 * i] * B[j] + A[3 * i + 1] * B[3 + j] + A[3 * i + 2] * B[6 + j];
  return R;
}
const mv = (R, v) => [R[0] * v[0] + R[1] * v[1] + R[2] * v[2], R[3] * v[0] + R[4] * v[1] + R[5] * v[2], R[6] * v[0] + R[7] * v[1] + R[8] * v[2]];
// Rigid transforms {R, p}: compose(A, B) maps B's frame into A's parent frame.
const compose = (A, B) => ({ R: mm(A.R, B.R), p: add(mv(A.R, B.p), A.p) });
const apply = (T, v) => add(mv(T.R, v), T.p);

// --- the robot at one (interpolated) instant
const BODY_ORIGIN = D.bodies.map((b) => ({ R: quatMat(b.r), p: b.o }));
function frameState(t) {
  const f = Math.max(0, Math.min(N - 1, t / DT)), i = Math.min(N - 1, Math.floor(f)), k = Math.min(N - 1, i + 1), u = f - i;
  const lerp = (arr, dim, c) => arr[i * dim + c] * (1 - u) + arr[k * dim + c] * u;
  const pos = [lerp(D.pos, 3, 0), lerp(D.pos, 3, 1), lerp(D.pos, 3, 2)];
  const q0 = [0, 1, 2, 3].map((c) => D.quat[i * 4 + c]), q1 = [0, 1, 2, 3].map((c) => D.quat[k * 4 + c]);
  const sgn = q0[0] * q1[0] + q0[1] * q1[1] + q0[2] * q1[2] + q0[3] * q1[3] < 0 ? -1 : 1;
  const quat = q0.map((v, c) => v * (1 - u) + sgn * q1[c] * u);
  const q = []; for (let j = 0; j < NJ; j++) q.push(lerp(D.q, NJ, j));
  return { t: t, index: i, pos: pos, quat: quat, q: q };
}
// Forward kinematics: world transform of every body (the twin of replay_forward() in C++).
function bodyTransforms(s) {
  const T = [];
  const base = { R: quatMat(s.quat), p: s.pos };
  D.bodies.forEach((b, i) => {
    if (b.parent < 0) { T.push(base); return; }
    const angle = b.joint >= 0 ? s.q[b.joint] : 0;
    T.push(compose(compose(T[b.parent], BODY_ORIGIN[i]), { R: axisMat(norm(b.axis), angle), p: [0, 0, 0] }));
  });
  return T;
}
function rollPitch(q) {
  const [x, y, z, w] = q;
  const roll = Math.atan2(2 * (w * x + y * z), 1 - 2 * (x * x + y * y));
  const pitch = Math.asin(Math.max(-1, Math.min(1, 2 * (w * y - z * x))));
  return [roll, pitch];
}
function speedAt(i) {  // horizontal speed over a 0.5 s window, m/s
  const h = Math.max(1, Math.round(0.25 / DT)), a = Math.max(0, i - h), b = Math.min(N - 1, i + h);
  if (b <= a) return 0;
  return Math.hypot(D.pos[3 * b] - D.pos[3 * a], D.pos[3 * b + 1] - D.pos[3 * a + 1]) / ((b - a) * DT);
}

// Size of the robot (for the camera distance and the grid spacing).
let SIZE = 0.05;
D.boxes.forEach((b) => { SIZE = Math.max(SIZE, Math.hypot(b.c[0], b.c[1], b.c[2]) + 0.5 * Math.hypot(b.s[0], b.s[1], b.s[2])); });
D.bodies.forEach((b) => { SIZE = Math.max(SIZE, Math.hypot(b.o[0], b.o[1], b.o[2])); });
const GRID = (() => { const raw = SIZE / 2.5, m = Math.pow(10, Math.floor(Math.log10(raw))), f = raw / m; return (f < 2 ? 1 : f < 5 ? 2 : 5) * m; })();

// --- camera: orbit around the robot, perspective projection
const cam = { yaw: -2.2, pitch: 0.42, dist: 4.2 * SIZE, fov: 45 * Math.PI / 180, target: null };
const canvas = document.getElementById("view"), ctx = canvas.getContext("2d", { willReadFrequently: true });
let W = 0, H = 0, F = 1, eye = [0, 0, 1], right = [1, 0, 0], up = [0, 0, 1], fwd = [0, 1, 0];
const NEAR = 0.01;
function setupCamera(target) {
  const cp = Math.cos(cam.pitch);
  eye = add(target, mul([cp * Math.cos(cam.yaw), cp * Math.sin(cam.yaw), Math.sin(cam.pitch)], cam.dist));
  fwd = norm(sub(target, eye));
  right = norm(cross(fwd, [0, 0, 1]));
  up = cross(right, fwd);
  F = 0.5 * H / Math.tan(cam.fov / 2);
}
const toCam = (p) => { const d = sub(p, eye); return [dot(d, right), dot(d, up), dot(d, fwd)]; };
const toScreen = (c) => [W / 2 + F * c[0] / c[2], H / 2 - F * c[1] / c[2]];
function segment(a, b) {  // clip a world segment to the near plane; screen points or null
  let ca = toCam(a), cb = toCam(b);
  if (ca[2] < NEAR && cb[2] < NEAR) return null;
  if (ca[2] < NEAR) { const u = (NEAR - ca[2]) / (cb[2] - ca[2]); ca = add(ca, mul(sub(cb, ca), u)); }
  if (cb[2] < NEAR) { const u = (NEAR - cb[2]) / (ca[2] - cb[2]); cb = add(cb, mul(sub(ca, cb), u)); }
  return [toScreen(ca), toScreen(cb), 0.5 * (ca[2] + cb[2])];
}

// --- drawing
const BG = "#eef1f5", LIGHT = norm([0.35, 0.25, 1]);
const TORSO = [232, 131, 58], LEG = { 1: [43, 108, 176], [-1]: [197, 48, 48], 0: [90, 90, 90] };
const rgb = (c, s) => "rgb(" + c.map((v) => Math.round(Math.min(255, v * s))).join(",") + ")";
function drawGround(target) {
  const n = 14, cx = Math.round(target[0] / GRID), cy = Math.round(target[1] / GRID);
  ctx.lineWidth = 1;
  for (let k = -n; k <= n; k++) {
    const major = ((k + cx) % 5 + 5) % 5 === 0, major2 = ((k + cy) % 5 + 5) % 5 === 0;
    const lines = [[[(cx + k) * GRID, (cy - n) * GRID, 0], [(cx + k) * GRID, (cy + n) * GRID, 0], major],
                   [[(cx - n) * GRID, (cy + k) * GRID, 0], [(cx + n) * GRID, (cy + k) * GRID, 0], major2]];
    for (const [a, b, m] of lines) {
      const s = segment(a, b);
      if (!s) continue;
      ctx.strokeStyle = m ? "#b4bcc8" : "#d4d9e0";
      ctx.beginPath(); ctx.moveTo(s[0][0], s[0][1]); ctx.lineTo(s[1][0], s[1][1]); ctx.stroke();
    }
  }
}
function drawTrail(upto) {
  ctx.strokeStyle = "rgba(120, 90, 220, 0.85)"; ctx.lineWidth = 2.5; ctx.lineJoin = "round";
  ctx.beginPath();
  let open = false;
  const stride = Math.max(1, Math.floor(N / 2000));
  for (let i = stride; i <= upto; i += stride) {
    const a = [D.pos[3 * (i - stride)], D.pos[3 * (i - stride) + 1], 0.0005], b = [D.pos[3 * i], D.pos[3 * i + 1], 0.0005];
    const s = segment(a, b);
    if (!s) { open = false; continue; }
    if (!open) ctx.moveTo(s[0][0], s[0][1]);
    ctx.lineTo(s[1][0], s[1][1]); open = true;
  }
  ctx.stroke();
}
function hull(pts) {  // convex hull of 2D points (monotone chain)
  pts = pts.slice().sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const c = (o, a, b) => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  const lo = [], hi = [];
  for (const p of pts) { while (lo.length >= 2 && c(lo[lo.length - 2], lo[lo.length - 1], p) <= 0) lo.pop(); lo.push(p); }
  for (const p of pts.slice().reverse()) { while (hi.length >= 2 && c(hi[hi.length - 2], hi[hi.length - 1], p) <= 0) hi.pop(); hi.push(p); }
  return lo.slice(0, -1).concat(hi.slice(0, -1));
}
// Box corners (world) for a box on body transform T.
function boxCorners(T, b) {
  const R = quatMat(b.r), out = [];
  for (const sx of [-0.5, 0.5]) for (const sy of [-0.5, 0.5]) for (const sz of [-0.5, 0.5])
    out.push(apply(T, add(b.c, mv(R, [sx * b.s[0], sy * b.s[1], sz * b.s[2]]))));
  return out;  // index = 4 ix + 2 iy + iz
}
const FACES = [[0, 1, 3, 2], [4, 6, 7, 5], [0, 4, 5, 1], [2, 3, 7, 6], [0, 2, 6, 4], [1, 5, 7, 3]];
function robotPrimitives(T) {
  const prims = [], pts = [], shadow = [];
  for (const b of D.boxes) {
    const c = boxCorners(T[b.body], b);
    c.forEach((p) => { pts.push(p); shadow.push([p[0], p[1]]); });
    const center = mul(c.reduce((a, p) => add(a, p), [0, 0, 0]), 1 / 8);
    for (const f of FACES) {
      const fc = mul(add(add(c[f[0]], c[f[1]]), add(c[f[2]], c[f[3]])), 0.25);
      const nrm = norm(sub(fc, center));
      if (dot(nrm, sub(eye, fc)) <= 0) continue;  // back face
      const cs = f.map((k) => toCam(c[k]));
      if (cs.some((v) => v[2] < NEAR)) continue;
      prims.push({ kind: "face", depth: cs.reduce((a, v) => a + v[2], 0) / 4, pts: cs.map(toScreen),
                   color: rgb(TORSO, 0.5 + 0.55 * Math.max(0, dot(nrm, LIGHT))) });
    }
  }
  D.bodies.forEach((b, i) => {
    if (b.parent < 0) return;
    const a = T[i].p, col = LEG[b.side] || LEG[0];
    const ends = [];
    D.bodies.forEach((c, k) => { if (c.parent === i) ends.push(T[k].p); });
    if (b.tip) ends.push(apply(T[i], b.tip));
    pts.push(a);
    for (const e of ends) {
      pts.push(e);
      const s = segment(a, e);
      if (!s) continue;
      prims.push({ kind: "seg", depth: s[2], a: s[0], b: s[1], width: Math.max(2, 0.008 * F / s[2]), color: rgb(col, 1) });
      if (b.tip && e === ends[ends.length - 1]) shadow.push([e[0], e[1], "foot"]);
    }
    const ca = toCam(a);
    if (ca[2] > NEAR) prims.push({ kind: "dot", depth: ca[2] - 1e-4, at: toScreen(ca), r: Math.max(2.5, 0.006 * F / ca[2]), color: "#333" });
  });
  return { prims: prims, pts: pts, shadow: shadow };
}
function drawShadow(shadow) {
  const torso = hull(shadow.filter((p) => p.length === 2));
  ctx.fillStyle = "rgba(30, 40, 60, 0.16)";
  if (torso.length >= 3) {
    const sp = torso.map((p) => toCam([p[0], p[1], 0]));
    if (sp.every((c) => c[2] > NEAR)) {
      ctx.beginPath(); sp.map(toScreen).forEach((p, k) => (k ? ctx.lineTo(p[0], p[1]) : ctx.moveTo(p[0], p[1]))); ctx.closePath(); ctx.fill();
    }
  }
  for (const p of shadow.filter((p) => p.length === 3)) {
    const c = toCam([p[0], p[1], 0]);
    if (c[2] <= NEAR) continue;
    const s = toScreen(c), r = Math.max(1.5, 0.008 * F / c[2]);
    ctx.beginPath(); ctx.ellipse(s[0], s[1], r, r * 0.5, 0, 0, 2 * Math.PI); ctx.fill();
  }
}
function drawPrimitives(prims) {
  prims.sort((a, b) => b.depth - a.depth);
  for (const p of prims) {
    if (p.kind === "face") {
      ctx.fillStyle = p.color; ctx.strokeStyle = "rgba(60, 30, 10, 0.55)"; ctx.lineWidth = 1;
      ctx.beginPath(); p.pts.forEach((q, k) => (k ? ctx.lineTo(q[0], q[1]) : ctx.moveTo(q[0], q[1]))); ctx.closePath();
      ctx.fill(); ctx.stroke();
    } else if (p.kind === "seg") {
      ctx.strokeStyle = p.color; ctx.lineWidth = p.width; ctx.lineCap = "round";
      ctx.beginPath(); ctx.moveTo(p.a[0], p.a[1]); ctx.lineTo(p.b[0], p.b[1]); ctx.stroke();
    } else {
      ctx.fillStyle = p.color; ctx.beginPath(); ctx.arc(p.at[0], p.at[1], p.r, 0, 2 * Math.PI); ctx.fill();
    }
  }
}

// --- one animation frame
let framesDrawn = 0;
function countChanged(before, after) {
  let n = 0;
  for (let k = 0; k < before.length; k += 4)
    if (Math.abs(before[k] - after[k]) + Math.abs(before[k + 1] - after[k + 1]) + Math.abs(before[k + 2] - after[k + 2]) > 24) n++;
  return n;
}
function render(t) {
  const s = frameState(t), T = bodyTransforms(s);
  const target = [s.pos[0], s.pos[1], Math.max(0, s.pos[2] * 0.6)];
  cam.target = cam.target ? add(cam.target, mul(sub(target, cam.target), 0.25)) : target;
  setupCamera(cam.target);
  ctx.fillStyle = BG; ctx.fillRect(0, 0, W, H);
  drawGround(cam.target);
  drawTrail(s.index);
  const r = robotPrimitives(T);
  drawShadow(r.shadow);
  // The robot's projected bounding box; measure what drawing the robot changes inside it.
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (const p of r.pts) {
    const c = toCam(p);
    if (c[2] <= NEAR) continue;
    const q = toScreen(c);
    x0 = Math.min(x0, q[0]); y0 = Math.min(y0, q[1]); x1 = Math.max(x1, q[0]); y1 = Math.max(y1, q[1]);
  }
  x0 = Math.max(0, Math.floor(x0 - 4)); y0 = Math.max(0, Math.floor(y0 - 4));
  x1 = Math.min(W, Math.ceil(x1 + 4)); y1 = Math.min(H, Math.ceil(y1 + 4));
  const measure = x1 > x0 && y1 > y0 && (framesDrawn < 5 || framesDrawn % 10 === 0);
  const before = measure ? ctx.getImageData(x0, y0, x1 - x0, y1 - y0).data : null;
  drawPrimitives(r.prims);
  framesDrawn++;
  if (measure) {
    const after = ctx.getImageData(x0, y0, x1 - x0, y1 - y0).data;
    document.body.dataset.robotPixels = String(countChanged(before, after));
    document.body.dataset.robotBox = [x0, y0, x1, y1].join(",");
  }
  document.body.dataset.framesDrawn = String(framesDrawn);
  const [roll, pitch] = rollPitch(s.quat), deg = 180 / Math.PI;
  info.textContent = "t " + s.t.toFixed(2).padStart(6) + " / " + T_END.toFixed(1) + " s   speed " + speedAt(s.index).toFixed(3) +
    " m/s   roll " + (roll * deg).toFixed(1).padStart(5) + "\u00b0  pitch " + (pitch * deg).toFixed(1).padStart(5) +
    "\u00b0  height " + s.pos[2].toFixed(3) + " m";
  slider.value = String(s.index);
}

// --- controls
const play = document.getElementById("play"), slider = document.getElementById("slider");
const speed = document.getElementById("speed"), info = document.getElementById("info");
document.getElementById("title").textContent = D.title;
slider.max = String(Math.max(0, N - 1));
let playing = true, t = 0, last = null;
function resize() { W = canvas.width = window.innerWidth; H = canvas.height = Math.max(50, window.innerHeight - 40); }
window.addEventListener("resize", resize);
resize();
function toggle() { playing = !playing; play.textContent = playing ? "Pause" : "Play"; if (playing && t >= T_END) t = 0; }
play.addEventListener("click", toggle);
window.addEventListener("keydown", (e) => { if (e.code === "Space") { toggle(); e.preventDefault(); } });
slider.addEventListener("input", () => { t = Number(slider.value) * DT; });
let drag = null;
canvas.addEventListener("mousedown", (e) => { drag = [e.clientX, e.clientY]; canvas.style.cursor = "grabbing"; });
window.addEventListener("mouseup", () => { drag = null; canvas.style.cursor = "grab"; });
window.addEventListener("mousemove", (e) => {
  if (!drag) return;
  cam.yaw -= (e.clientX - drag[0]) * 0.008;
  cam.pitch = Math.max(-0.05, Math.min(1.5, cam.pitch + (e.clientY - drag[1]) * 0.008));
  drag = [e.clientX, e.clientY];
});
canvas.addEventListener("wheel", (e) => {
  cam.dist = Math.max(0.5 * SIZE, Math.min(200 * SIZE, cam.dist * Math.exp(e.deltaY * 0.001)));
  e.preventDefault();
}, { passive: false });
// Advance the playback clock and draw. requestAnimationFrame drives it; a
// timer takes over where animation frames are not delivered (headless
// browsers, some background tabs).
function step(now) {
  if (last !== null && playing) {
    t += Math.min(0.1, Math.max(0, now - last) / 1000) * Number(speed.value);
    if (t > T_END) t = 0;  // loop
  }
  last = now;
  render(t);
}
function tick(now) { step(performance.now()); requestAnimationFrame(tick); }
requestAnimationFrame(tick);
setInterval(() => { const now = performance.now(); if (last === null || now - last > 50) step(now); }, 20);
)JS";

}  // namespace

}  // namespace tinywalk::report
