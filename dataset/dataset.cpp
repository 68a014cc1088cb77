#include "dataset/dataset.h"

#include <hdf5.h>
#include <unistd.h>

#include <cstdio>
#include <functional>

#include "common/atomic_file.h"
#include "common/error.h"

namespace tinywalk::data {

namespace {

// An HDF5 handle closed by its own close function.
class H {
 public:
  H(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {}
  ~H() {
    if (id_ >= 0) close_(id_);
  }
  H(const H&) = delete;
  H& operator=(const H&) = delete;
  operator hid_t() const { return id_; }
  bool ok() const { return id_ >= 0; }

 private:
  hid_t id_;
  herr_t (*close_)(hid_t);
};

void quiet_hdf5() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

// ---- writing ----

struct Writer {
  std::string path;  // the final name, for messages
  H gcpl{H5Pcreate(H5P_GROUP_CREATE), H5Pclose};
  H dcpl{H5Pcreate(H5P_DATASET_CREATE), H5Pclose};

  Writer(std::string p) : path(std::move(p)) {
    // No object timestamps: the same data gives the same bytes.
    H5Pset_obj_track_times(gcpl, 0);
    H5Pset_obj_track_times(dcpl, 0);
  }
  void check(bool ok, const std::string& object) const {
    if (!ok) throw InputError(path, object, "HDF5 write failed (disk full or not writable?)");
  }
  hid_t group(hid_t parent, const std::string& name, const std::string& object) const {
    hid_t g = H5Gcreate2(parent, name.c_str(), H5P_DEFAULT, gcpl, H5P_DEFAULT);
    check(g >= 0, object);
    return g;
  }
  void array(hid_t parent, const std::string& name, const std::string& object, int rank, const hsize_t* dims,
             hid_t file_type, hid_t mem_type, const void* data) const {
    H space(H5Screate_simple(rank, dims, nullptr), H5Sclose);
    H d(H5Dcreate2(parent, name.c_str(), file_type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT), H5Dclose);
    check(d.ok(), object);
    hsize_t n = 1;
    for (int i = 0; i < rank; ++i) n *= dims[i];
    if (n) check(H5Dwrite(d, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0, object);
  }
  void signal(hid_t parent, const std::string& name, const std::string& object, const Signal& s) const {
    const hsize_t dims[2] = {static_cast<hsize_t>(s.rows()), static_cast<hsize_t>(s.dim)};
    array(parent, name, object, 2, dims, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, s.values.data());
  }
  void attr(hid_t obj, const char* name, const std::string& object, hid_t file_type, hid_t mem_type, const void* v) const {
    H space(H5Screate(H5S_SCALAR), H5Sclose);
    H a(H5Acreate2(obj, name, file_type, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
    check(a.ok() && H5Awrite(a, mem_type, v) >= 0, object + "@" + name);
  }
  void attr(hid_t obj, const char* name, const std::string& object, const std::string& value) const {
    H type(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(type, value.empty() ? 1 : value.size());
    H5Tset_strpad(type, H5T_STR_NULLPAD);
    const std::string padded = value.empty() ? std::string(1, '\0') : value;
    attr(obj, name, object, type, type, padded.data());
  }
  void attr(hid_t obj, const char* name, const std::string& object, double v) const {
    attr(obj, name, object, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &v);
  }
  void attr(hid_t obj, const char* name, const std::string& object, uint64_t v) const {
    attr(obj, name, object, H5T_STD_U64LE, H5T_NATIVE_UINT64, &v);
  }
  void signals(hid_t demo, const char* group_name, const std::string& object, const SignalMap& m) const {
    H g(group(demo, group_name, object + "/" + group_name), H5Gclose);
    for (const auto& [name, s] : m) signal(g, name, object + "/" + group_name + "/" + name, s);
  }
};

// ---- reading ----

struct Reader {
  std::string path;
  [[noreturn]] void fail(const std::string& object, const std::string& what) const { throw InputError(path, object, what); }

  hid_t group(hid_t parent, const std::string& name, const std::string& object) const {
    if (H5Lexists(parent, name.c_str(), H5P_DEFAULT) <= 0) fail(object, "missing group (not a tinywalk dataset, or damaged)");
    hid_t g = H5Gopen2(parent, name.c_str(), H5P_DEFAULT);
    if (g < 0) fail(object, "cannot open group (corrupt file?)");
    return g;
  }
  std::vector<std::string> names(hid_t g, const std::string& object) const {
    H5G_info_t info;
    if (H5Gget_info(g, &info) < 0) fail(object, "cannot list group (corrupt file?)");
    std::vector<std::string> out;
    for (hsize_t i = 0; i < info.nlinks; ++i) {
      char buf[256];
      ssize_t n = H5Lget_name_by_idx(g, ".", H5_INDEX_NAME, H5_ITER_INC, i, buf, sizeof buf, H5P_DEFAULT);
      if (n < 0 || n >= static_cast<ssize_t>(sizeof buf)) fail(object, "cannot read member names (corrupt file?)");
      out.emplace_back(buf, n);
    }
    return out;
  }
  // Reads a float64-convertible array of the given rank; returns dims.
  std::vector<hsize_t> array(hid_t parent, const std::string& name, const std::string& object, int rank, hid_t mem_type,
                             std::function<void*(size_t)> alloc) const {
    if (H5Lexists(parent, name.c_str(), H5P_DEFAULT) <= 0) fail(object, "missing dataset");
    H d(H5Dopen2(parent, name.c_str(), H5P_DEFAULT), H5Dclose);
    if (!d.ok()) fail(object, "cannot open dataset (corrupt file?)");
    H space(H5Dget_space(d), H5Sclose);
    if (H5Sget_simple_extent_ndims(space) != rank)
      fail(object, "expected a " + std::to_string(rank) + "-dimensional array, got " + std::to_string(H5Sget_simple_extent_ndims(space)));
    std::vector<hsize_t> dims(rank);
    H5Sget_simple_extent_dims(space, dims.data(), nullptr);
    size_t n = 1;
    for (hsize_t x : dims) n *= x;
    void* buf = alloc(n);
    if (n && H5Dread(d, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0)
      fail(object, "cannot read data (truncated or corrupt file)");
    return dims;
  }
  Signal signal(hid_t parent, const std::string& name, const std::string& object) const {
    Signal s;
    auto dims = array(parent, name, object, 2, H5T_NATIVE_DOUBLE, [&](size_t n) {
      s.values.resize(n);
      return static_cast<void*>(s.values.data());
    });
    s.dim = static_cast<int>(dims[1]);
    return s;
  }
  SignalMap signals(hid_t demo, const char* group_name, const std::string& object) const {
    H g(group(demo, group_name, object + "/" + group_name), H5Gclose);
    SignalMap m;
    for (const auto& name : names(g, object + "/" + group_name)) m[name] = signal(g, name, object + "/" + group_name + "/" + name);
    return m;
  }
  bool has_attr(hid_t obj, const char* name) const { return H5Aexists(obj, name) > 0; }
  double attr_double(hid_t obj, const char* name, const std::string& object) const {
    double v = 0;
    H a(H5Aopen(obj, name, H5P_DEFAULT), H5Aclose);
    if (!a.ok() || H5Aread(a, H5T_NATIVE_DOUBLE, &v) < 0) fail(object + "@" + name, "missing or unreadable attribute");
    return v;
  }
  uint64_t attr_u64(hid_t obj, const char* name, const std::string& object) const {
    uint64_t v = 0;
    H a(H5Aopen(obj, name, H5P_DEFAULT), H5Aclose);
    if (!a.ok() || H5Aread(a, H5T_NATIVE_UINT64, &v) < 0) fail(object + "@" + name, "missing or unreadable attribute");
    return v;
  }
  std::string attr_string(hid_t obj, const char* name, const std::string& object) const {
    H a(H5Aopen(obj, name, H5P_DEFAULT), H5Aclose);
    if (!a.ok()) fail(object + "@" + name, "missing attribute");
    H type(H5Aget_type(a), H5Tclose);
    if (H5Tget_class(type) != H5T_STRING || H5Tis_variable_str(type) > 0) fail(object + "@" + name, "expected a fixed-length string");
    std::string s(H5Tget_size(type), '\0');
    if (H5Aread(a, type, s.data()) < 0) fail(object + "@" + name, "unreadable attribute");
    while (!s.empty() && s.back() == '\0') s.pop_back();
    return s;
  }
};

}  // namespace

int64_t Dataset::total_steps() const {
  int64_t n = 0;
  for (const auto& e : episodes) n += e.steps();
  return n;
}

void validate(const EpisodeData& e, int index) {
  const std::string where = "episode " + std::to_string(index);
  const int64_t T = e.steps();
  auto rows = [&](const Signal& s, const std::string& name) {
    if (s.dim <= 0 || static_cast<int64_t>(s.values.size()) != T * s.dim)
      throw InputError("", where, "signal '" + name + "' has " + std::to_string(s.values.size()) + " values; expected " +
                                      std::to_string(T) + " rows of " + std::to_string(s.dim));
  };
  rows(e.actions, "actions");
  if (static_cast<int64_t>(e.dones.size()) != T) throw InputError("", where, "dones must have one entry per step");
  for (const auto* m : {&e.obs, &e.privileged, &e.reference, &e.reward_terms})
    for (const auto& [name, s] : *m) rows(s, name);
}

void write_dataset(const std::string& path, const Dataset& d) {
  quiet_hdf5();
  for (size_t k = 0; k < d.episodes.size(); ++k) validate(d.episodes[k], static_cast<int>(k));
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  try {
    Writer w(path);
    {
      H file(H5Fcreate(tmp.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose);
      if (!file.ok()) throw InputError(path, "", "cannot create (is the directory writable?)");
      H data(w.group(file, "data", "/data"), H5Gclose);
      w.attr(data, "format", "/data", std::string("tinywalk-dataset"));
      w.attr(data, "format_version", "/data", static_cast<uint64_t>(kFormatVersion));
      w.attr(data, "robot", "/data", d.info.robot);
      w.attr(data, "seed", "/data", d.info.seed);
      w.attr(data, "project_version", "/data", d.info.project_version);
      w.attr(data, "config", "/data", d.info.config_yaml);
      w.attr(data, "num_episodes", "/data", static_cast<uint64_t>(d.episodes.size()));
      w.attr(data, "total", "/data", static_cast<uint64_t>(d.total_steps()));
      for (size_t k = 0; k < d.episodes.size(); ++k) {
        const EpisodeData& e = d.episodes[k];
        const std::string name = "demo_" + std::to_string(k), object = "/data/" + name;
        H demo(w.group(data, name, object), H5Gclose);
        w.attr(demo, "num_samples", object, static_cast<uint64_t>(e.steps()));
        w.attr(demo, "seed", object, e.seed);
        for (const auto& [key, v] : e.attrs) w.attr(demo, key.c_str(), object, v);
        w.signals(demo, "obs", object, e.obs);
        w.signals(demo, "privileged", object, e.privileged);
        w.signals(demo, "reference", object, e.reference);
        w.signals(demo, "reward_terms", object, e.reward_terms);
        w.signal(demo, "actions", object + "/actions", e.actions);
        const hsize_t T = static_cast<hsize_t>(e.steps());
        w.array(demo, "rewards", object + "/rewards", 1, &T, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, e.rewards.data());
        w.array(demo, "dones", object + "/dones", 1, &T, H5T_STD_U8LE, H5T_NATIVE_UINT8, e.dones.data());
      }
      w.check(H5Fflush(file, H5F_SCOPE_GLOBAL) >= 0, "");
    }
    rename_into_place(tmp, path);
  } catch (...) {
    std::remove(tmp.c_str());
    throw;
  }
}

Dataset read_dataset(const std::string& path) {
  quiet_hdf5();
  Reader r{path};
  if (::access(path.c_str(), R_OK) != 0) r.fail("", "cannot open (does it exist?)");
  if (H5Fis_hdf5(path.c_str()) <= 0) r.fail("", "not an HDF5 file (or its header is damaged)");
  H file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  if (!file.ok()) r.fail("", "cannot open as HDF5: truncated or corrupt file");
  H data(r.group(file, "data", "/data"), H5Gclose);
  if (!r.has_attr(data, "format") || r.attr_string(data, "format", "/data") != "tinywalk-dataset")
    r.fail("/data@format", "expected 'tinywalk-dataset' (this HDF5 file is not a tinywalk dataset)");
  const uint64_t version = r.attr_u64(data, "format_version", "/data");
  if (version > static_cast<uint64_t>(kFormatVersion))
    r.fail("/data@format_version", "version " + std::to_string(version) + " is newer than this tinywalk reads (" +
                                       std::to_string(kFormatVersion) + ")");
  Dataset d;
  d.info.robot = r.attr_string(data, "robot", "/data");
  d.info.seed = r.attr_u64(data, "seed", "/data");
  d.info.project_version = r.attr_string(data, "project_version", "/data");
  d.info.config_yaml = r.attr_string(data, "config", "/data");
  const uint64_t n = r.attr_u64(data, "num_episodes", "/data");
  for (uint64_t k = 0; k < n; ++k) {
    const std::string name = "demo_" + std::to_string(k), object = "/data/" + name;
    H demo(r.group(data, name, object), H5Gclose);
    EpisodeData e;
    e.seed = r.attr_u64(demo, "seed", object);
    const uint64_t T = r.attr_u64(demo, "num_samples", object);
    // Scalar attributes other than the fixed ones are episode facts.
    H5O_info_t oinfo;
    if (H5Oget_info2(demo, &oinfo, H5O_INFO_NUM_ATTRS) < 0) r.fail(object, "cannot read attributes (corrupt file?)");
    for (hsize_t i = 0; i < oinfo.num_attrs; ++i) {
      char buf[256];
      ssize_t len = H5Aget_name_by_idx(demo, ".", H5_INDEX_NAME, H5_ITER_INC, i, buf, sizeof buf, H5P_DEFAULT);
      if (len < 0 || len >= static_cast<ssize_t>(sizeof buf)) r.fail(object, "cannot read attribute names");
      const std::string key(buf, len);
      if (key != "seed" && key != "num_samples") e.attrs[key] = r.attr_double(demo, key.c_str(), object);
    }
    e.obs = r.signals(demo, "obs", object);
    e.privileged = r.signals(demo, "privileged", object);
    e.reference = r.signals(demo, "reference", object);
    e.reward_terms = r.signals(demo, "reward_terms", object);
    e.actions = r.signal(demo, "actions", object + "/actions");
    r.array(demo, "rewards", object + "/rewards", 1, H5T_NATIVE_DOUBLE, [&](size_t m) {
      e.rewards.resize(m);
      return static_cast<void*>(e.rewards.data());
    });
    r.array(demo, "dones", object + "/dones", 1, H5T_NATIVE_UINT8, [&](size_t m) {
      e.dones.resize(m);
      return static_cast<void*>(e.dones.data());
    });
    if (static_cast<uint64_t>(e.steps()) != T)
      r.fail(object + "/rewards", "has " + std::to_string(e.steps()) + " rows, but num_samples says " + std::to_string(T));
    try {
      validate(e, static_cast<int>(k));
    } catch (const InputError& err) {
      r.fail(object, err.detail());
    }
    d.episodes.push_back(std::move(e));
  }
  return d;
}

}  // namespace tinywalk::data
