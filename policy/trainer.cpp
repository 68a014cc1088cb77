#include "policy/trainer.h"

#include <sys/stat.h>

#include <cmath>
#include <cstdio>
#include <limits>

#include "common/atomic_file.h"
#include "common/error.h"
#include "common/json.h"
#include "common/random.h"

namespace tinywalk::policy {

namespace {

bool exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

// Everything needed to continue training exactly where it stopped.
struct State {
  int round = 0, epoch = 0, bad_epochs = 0;
  double best_val = std::numeric_limits<double>::infinity();
  Eigen::VectorXd params, best_params;
  Adam adam;
  Normalizer norm;
  std::vector<CurveRow> curve;
  std::vector<RoundRow> rounds;
};

std::string curve_csv(const std::vector<CurveRow>& rows) {
  std::string s = "round,epoch,train_loss,val_loss,samples,best\n";
  for (const auto& r : rows)
    s += std::to_string(r.round) + "," + std::to_string(r.epoch) + "," + json_number(r.train_loss) + "," + json_number(r.val_loss) +
         "," + std::to_string(r.samples) + "," + (r.best ? "1" : "0") + "\n";
  return s;
}

Checkpoint to_checkpoint(const State& s) {
  Checkpoint c;
  c.texts["kind"] = "tinywalk-train-state";
  c.arrays["scalars"] = Eigen::Vector4d(s.round, s.epoch, s.bad_epochs, static_cast<double>(s.adam.t));
  c.arrays["best_val"] = Eigen::VectorXd::Constant(1, s.best_val);
  c.arrays["params"] = s.params;
  c.arrays["best_params"] = s.best_params;
  c.arrays["adam_m"] = s.adam.m;
  c.arrays["adam_v"] = s.adam.v;
  c.arrays["obs_mean"] = s.norm.mean;
  c.arrays["obs_std"] = s.norm.std;
  Eigen::VectorXd curve(6 * s.curve.size()), rounds(7 * s.rounds.size());
  for (size_t i = 0; i < s.curve.size(); ++i) {
    const CurveRow& r = s.curve[i];
    curve.segment<6>(6 * i) << r.round, r.epoch, r.train_loss, r.val_loss, static_cast<double>(r.samples), r.best;
  }
  for (size_t i = 0; i < s.rounds.size(); ++i) {
    const RoundRow& r = s.rounds[i];
    rounds.segment<7>(7 * i) << r.round, r.expert_mix, r.stats.episodes, r.stats.falls, r.stats.mean_speed_mps, r.stats.mean_reward,
        r.stats.mean_abs_heading_drift_deg;
  }
  c.arrays["curve"] = curve;
  c.arrays["rounds"] = rounds;
  return c;
}

State from_checkpoint(const Checkpoint& c, const std::string& source) {
  if (c.text("kind", source) != "tinywalk-train-state") throw InputError(source, "kind", "expected a training checkpoint");
  State s;
  const Eigen::VectorXd& sc = c.array("scalars", source);
  if (sc.size() != 4) throw InputError(source, "scalars", "expected 4 values");
  s.round = static_cast<int>(sc[0]);
  s.epoch = static_cast<int>(sc[1]);
  s.bad_epochs = static_cast<int>(sc[2]);
  s.adam.t = static_cast<int64_t>(sc[3]);
  s.best_val = c.array("best_val", source)[0];
  s.params = c.array("params", source);
  s.best_params = c.array("best_params", source);
  s.adam.m = c.array("adam_m", source);
  s.adam.v = c.array("adam_v", source);
  s.norm.mean = c.array("obs_mean", source);
  s.norm.std = c.array("obs_std", source);
  const Eigen::VectorXd& curve = c.array("curve", source);
  for (Eigen::Index i = 0; i + 6 <= curve.size(); i += 6)
    s.curve.push_back({static_cast<int>(curve[i]), static_cast<int>(curve[i + 1]), curve[i + 2], curve[i + 3],
                       static_cast<int64_t>(curve[i + 4]), curve[i + 5] != 0});
  const Eigen::VectorXd& rounds = c.array("rounds", source);
  for (Eigen::Index i = 0; i + 7 <= rounds.size(); i += 7) {
    RoundRow r;
    r.round = static_cast<int>(rounds[i]);
    r.expert_mix = rounds[i + 1];
    r.stats = {static_cast<int>(rounds[i + 2]), static_cast<int>(rounds[i + 3]), rounds[i + 4], rounds[i + 5], rounds[i + 6]};
    s.rounds.push_back(r);
  }
  return s;
}

// Columns of X / Y selected by idx.
void gather(const Eigen::MatrixXd& M, const std::vector<int>& idx, size_t from, size_t n, Eigen::MatrixXd& out) {
  out.resize(M.rows(), static_cast<Eigen::Index>(n));
  for (size_t k = 0; k < n; ++k) out.col(static_cast<Eigen::Index>(k)) = M.col(idx[from + k]);
}

}  // namespace

TrainResult train(const TrainConfig& cfg, const std::string& config_path, const std::string& robot, const std::vector<std::string>& joints,
                  const std::vector<double>& standing_pose, const Collector& collector, const TrainOptions& opt) {
  const int J = static_cast<int>(joints.size());
  const ObservationSpec obs = resolve_observation(cfg.observation, config_path);
  ActionSpec action{standing_pose, std::vector<double>(J, cfg.action_scale)};
  MlpSpec spec = cfg.model;
  spec.inputs = feature_dim(obs, J);
  spec.outputs = J;
  Mlp mlp(spec);
  auto log = [&](const std::string& line) {
    if (opt.progress) opt.progress(line);
  };
  auto model_with = [&](const State& s, const Eigen::VectorXd& params) {
    PolicyModel m;
    m.robot = robot;
    m.joints = joints;
    m.observation = obs;
    m.normalizer = s.norm;
    m.action = action;
    m.mlp = Mlp(spec);
    m.mlp.params() = params;
    return m;
  };
  const std::string ckpt = opt.run_dir + "/checkpoint.twck";
  auto data_path = [&](int r) { return opt.run_dir + "/data_round" + std::to_string(r) + ".h5"; };

  State st;
  if (opt.resume && exists(ckpt)) {
    st = from_checkpoint(load_checkpoint(ckpt), ckpt);
    const Eigen::Index n = spec.num_params();
    if (st.params.size() != n || st.best_params.size() != n || (st.adam.t > 0 && (st.adam.m.size() != n || st.adam.v.size() != n)))
      throw InputError(ckpt, "params", "does not match the network in " + config_path + " (was the config changed?)");
    log("resuming at round " + std::to_string(st.round) + ", epoch " + std::to_string(st.epoch));
  }
  const int K = std::max(2, static_cast<int>(std::lround(1.0 / cfg.training.validation_fraction)));

  for (; st.round <= cfg.dagger.rounds;) {
    const int r = st.round;
    // Data of this round: the expert first, then the current policy driving.
    if (!exists(data_path(r))) {
      RolloutStats stats;
      data::Dataset d;
      if (r == 0) {
        log("round 0: collecting " + std::to_string(cfg.episodes) + " expert episodes");
        d = collector(nullptr, 0.0, cfg.seed, cfg.episodes, &stats);
      } else {
        const double mix = cfg.dagger.expert_mix * std::pow(cfg.dagger.mix_decay, r - 1);
        const PolicyModel current = model_with(st, st.params);
        log("round " + std::to_string(r) + ": policy drives " + std::to_string(cfg.dagger.episodes) + " episodes (expert mix " +
            json_number(mix) + "), expert labels");
        d = collector(&current, mix, cfg.seed + 100000ull * r, cfg.dagger.episodes, &stats);
        RoundRow row{r, mix, stats};
        bool replaced = false;
        for (auto& x : st.rounds)
          if (x.round == r) x = row, replaced = true;
        if (!replaced) st.rounds.push_back(row);
        log("  closed loop: " + std::to_string(stats.falls) + "/" + std::to_string(stats.episodes) + " falls, " +
            json_number(std::round(stats.mean_speed_mps * 1000) / 1000) + " m/s");
      }
      data::write_dataset(data_path(r), d);
    }
    // Aggregate rounds 0..r; hold out every K-th episode for validation.
    Eigen::MatrixXd X, Y;
    std::vector<int> train_idx, val_idx;
    int episode_counter = 0;
    for (int k = 0; k <= r; ++k) {
      const TrainingSet ts = build_training_set(data::read_dataset(data_path(k)), obs, action, data_path(k));
      const Eigen::Index base = X.cols();
      X.conservativeResize(ts.X.rows(), base + ts.X.cols());
      Y.conservativeResize(ts.Y.rows(), base + ts.Y.cols());
      X.rightCols(ts.X.cols()) = ts.X;
      Y.rightCols(ts.Y.cols()) = ts.Y;
      for (Eigen::Index c = 0; c < ts.X.cols(); ++c)
        ((episode_counter + ts.episode[c]) % K == K - 1 ? val_idx : train_idx).push_back(static_cast<int>(base + c));
      episode_counter += ts.episode.empty() ? 0 : ts.episode.back() + 1;
    }
    if (train_idx.empty() || val_idx.empty()) throw InputError(config_path, "episodes", "too few episodes for a validation split");
    // Fresh start: normalisation from the expert data, weights from the seed.
    if (st.params.size() == 0) {
      Eigen::MatrixXd Xt;
      gather(X, train_idx, 0, train_idx.size(), Xt);
      st.norm.fit(Xt);
      mlp.init(cfg.seed);
      st.params = st.best_params = mlp.params();
    }
    st.norm.apply(X);
    Eigen::MatrixXd Xv, Yv, Xb, Yb;
    gather(X, val_idx, 0, val_idx.size(), Xv);
    gather(Y, val_idx, 0, val_idx.size(), Yv);

    // Epochs: shuffled minibatches with Adam, validation, early stopping.
    const int max_epochs = r == 0 ? cfg.training.max_epochs : cfg.dagger.max_epochs;
    st.adam.lr = cfg.training.learning_rate;
    Eigen::VectorXd grad;
    while (st.epoch < max_epochs && st.bad_epochs < cfg.training.patience) {
      mlp.params() = st.params;
      std::vector<int> order = train_idx;
      Rng rng(Rng::derive(cfg.seed, 1000003ull * r + st.epoch));
      for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng.next() % i]);
      double train_loss = 0;
      const size_t B = static_cast<size_t>(cfg.training.batch_size);
      for (size_t from = 0; from < order.size(); from += B) {
        const size_t n = std::min(B, order.size() - from);
        gather(X, order, from, n, Xb);
        gather(Y, order, from, n, Yb);
        train_loss += mlp.loss_and_gradient(Xb, Yb, &grad) * n;
        st.adam.step(mlp.params(), grad);
      }
      train_loss /= order.size();
      st.params = mlp.params();
      const double val = mlp.loss(Xv, Yv);
      const bool best = val < st.best_val;
      if (best) {
        st.best_val = val;
        st.best_params = st.params;
        st.bad_epochs = 0;
      } else {
        ++st.bad_epochs;
      }
      st.curve.push_back({r, st.epoch, train_loss, val, static_cast<int64_t>(train_idx.size()), best});
      ++st.epoch;
      save_checkpoint(ckpt, to_checkpoint(st));
      log("round " + std::to_string(r) + " epoch " + std::to_string(st.epoch) + "/" + std::to_string(max_epochs) + ": train " +
          json_number(train_loss) + ", validation " + json_number(val) + (best ? " (best)" : ""));
      if (opt.after_checkpoint) opt.after_checkpoint(r, st.epoch);
    }
    // Next round continues from this round's best weights.
    st.params = st.best_params;
    st.round = r + 1;
    st.epoch = 0;
    st.bad_epochs = 0;
    st.best_val = std::numeric_limits<double>::infinity();
    save_checkpoint(ckpt, to_checkpoint(st));
    if (opt.after_checkpoint) opt.after_checkpoint(r + 1, 0);
  }

  TrainResult res;
  res.model = model_with(st, st.params);
  res.curve = st.curve;
  res.rounds = st.rounds;
  for (const auto& c : st.curve) res.samples = c.samples;
  res.model.save(opt.run_dir + "/policy.twck");
  write_file_atomic(opt.run_dir + "/learning_curve.csv", curve_csv(st.curve));
  return res;
}

}  // namespace tinywalk::policy
