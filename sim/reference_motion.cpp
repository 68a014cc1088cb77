// ReferenceMotion playback.
//
// Outline
// - interpolate(): the frame at a time inside [0, duration].
// - at(): Clamp holds the ends; Wrap folds t into one cycle and moves that
//   cycle by the planar cycle transform raised to the number of whole cycles.
// - velocity(): central differences of at().
//
// Cycle transform (Wrap with offsets): C maps the first frame's planar pose
// (x, y, heading) onto the last frame's, so cycle n starts where cycle n-1
// ended. Cycle n plays every frame through C^n:
//   xy  -> first.xy + (1 + R + ... + R^(n-1)) dp + R^n (xy - first.xy)
//   rot -> Rz(n dpsi) rot
// with dp = last.xy - first.xy (zero unless cycle_offset_position) and
// R = Rz(dpsi), dpsi the heading change over a cycle (zero unless
// cycle_offset_rotation). z is never offset. Valid for negative n too.
#include "sim/reference_motion.h"

#include <algorithm>
#include <cmath>
#include <complex>

#include "common/error.h"

namespace tinywalk::sim {

namespace {

using Planar = std::complex<double>;  // (x, y) as x + iy; rotation by psi = multiplication by e^(i psi)

Planar xy(const Eigen::Vector3d& p) { return {p.x(), p.y()}; }

// Heading of an orientation: angle of its x axis projected on the ground.
double heading(const Eigen::Quaterniond& q) {
  const Eigen::Vector3d x = q * Eigen::Vector3d::UnitX();
  return std::atan2(x.y(), x.x());
}

MotionFrame interpolate(const ReferenceMotion& m, double t) {
  const size_t last = m.frames.size() - 1;
  const double s = t / m.frame_duration;
  size_t i = s <= 0 ? 0 : static_cast<size_t>(std::floor(s));
  if (i >= last) i = last - 1;
  const double w = s - static_cast<double>(i);
  const MotionFrame& a = m.frames[i];
  const MotionFrame& b = m.frames[i + 1];
  MotionFrame f;
  f.root_position = (1 - w) * a.root_position + w * b.root_position;
  f.root_orientation = a.root_orientation.slerp(w, b.root_orientation).normalized();
  f.q.resize(a.q.size());
  for (size_t j = 0; j < f.q.size(); ++j) f.q[j] = (1 - w) * a.q[j] + w * b.q[j];
  return f;
}

}  // namespace

double ReferenceMotion::duration() const {
  return frames.size() < 2 ? 0.0 : static_cast<double>(frames.size() - 1) * frame_duration;
}

MotionFrame ReferenceMotion::at(double t) const {
  TW_CHECK(!frames.empty(), "ReferenceMotion::at on a motion without frames");
  TW_CHECK(frame_duration > 0, "ReferenceMotion::frame_duration must be positive");
  if (frames.size() == 1) return frames[0];
  const double T = duration();
  if (loop == Loop::Clamp) {
    if (t <= 0) return frames.front();
    if (t >= T) return frames.back();
    return interpolate(*this, t);
  }

  // Wrap: whole cycles n and the time tau inside the cycle.
  double n = std::floor(t / T);
  double tau = t - n * T;
  if (tau >= T) tau -= T, n += 1;  // rounding at a cycle boundary
  if (tau < 0) tau = 0;
  MotionFrame f = interpolate(*this, tau);
  if (n == 0 || !(cycle_offset_position || cycle_offset_rotation)) return f;

  const MotionFrame& first = frames.front();
  const MotionFrame& last = frames.back();
  const Planar dp = cycle_offset_position ? xy(last.root_position) - xy(first.root_position) : Planar(0, 0);
  double dpsi = 0;
  if (cycle_offset_rotation)
    dpsi = std::remainder(heading(last.root_orientation) - heading(first.root_orientation), 2 * M_PI);
  const Planar R = std::polar(1.0, dpsi);
  const Planar Rn = std::polar(1.0, n * dpsi);
  // 1 + R + ... + R^(n-1), also for n < 0 (then it is -(R^-1 + ... + R^n)).
  const Planar sum = std::abs(1.0 - R) < 1e-12 ? Planar(n, 0) : (1.0 - Rn) / (1.0 - R);
  const Planar p = xy(first.root_position) + sum * dp + Rn * (xy(f.root_position) - xy(first.root_position));
  f.root_position.x() = p.real();
  f.root_position.y() = p.imag();
  if (dpsi != 0)
    f.root_orientation = (Eigen::AngleAxisd(n * dpsi, Eigen::Vector3d::UnitZ()) * f.root_orientation).normalized();
  return f;
}

MotionVelocity ReferenceMotion::velocity(double t) const {
  const double h = std::min(1e-4, 0.25 * frame_duration);
  const MotionFrame a = at(t - h), b = at(t + h);
  MotionVelocity v;
  v.root_linear = (b.root_position - a.root_position) / (2 * h);
  // World-frame rotation from a to b: dq = b a^-1, angle-axis over 2h.
  Eigen::Quaterniond dq = b.root_orientation * a.root_orientation.conjugate();
  if (dq.w() < 0) dq.coeffs() = -dq.coeffs();
  const double s = dq.vec().norm();
  if (s > 0) v.root_angular = dq.vec() / s * (2 * std::atan2(s, dq.w()) / (2 * h));
  v.qd.resize(a.q.size());
  for (size_t j = 0; j < v.qd.size(); ++j) v.qd[j] = (b.q[j] - a.q[j]) / (2 * h);
  return v;
}

}  // namespace tinywalk::sim
