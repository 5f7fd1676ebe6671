#include "datasets/feature_cache.hpp"

#include <omp.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>

#include "common/atomic_file.hpp"
#include "common/bytes.hpp"
#include "common/npy.hpp"
#include "common/round_robin.hpp"
#include "common/text.hpp"
#include "common/thread_count.hpp"
#include "datasets/augmentation.hpp"

namespace ser::datasets {

namespace fs = std::filesystem;

namespace {
std::string hex(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

// A cached entry, if it is one this spec could have written: [rows, frames >= 1].
std::optional<dsp::Matrix> read_entry(const std::string& entry, int64_t rows) {
  std::error_code ec;
  if (!fs::exists(entry, ec)) return std::nullopt;
  try {
    const NpyArray a = read_npy(entry);
    if (a.shape.size() != 2 || a.shape[0] != rows || a.shape[1] < 1) return std::nullopt;
    dsp::Matrix m(a.shape[0], a.shape[1]);
    m.data = a.data;
    return m;
  } catch (const NpyError&) {
    return std::nullopt;  // an unreadable entry is recomputed and replaced
  }
}
}  // namespace

dsp::Matrix as_cached(dsp::Matrix m) {
  for (double& v : m.data) v = static_cast<float>(v);
  return m;
}

FeatureCache::FeatureCache(std::string dir, dsp::FeatureSpec spec, int revision) : spec_(std::move(spec)) {
  spec_.validate();
  const std::string described = spec_.canonical() + "\nextraction revision " + std::to_string(revision) + "\n";
  folder_ = (fs::path(dir) / hex(fnv1a(described))).string();
  try {
    fs::create_directories(folder_);
    const std::string settings = (fs::path(folder_) / "settings.txt").string();
    if (!fs::exists(settings)) write_file_atomically(settings, described);
  } catch (const std::exception& e) {
    throw CacheError("cannot use '" + dir + "' as the feature cache: " + e.what() + "; give another cache folder (--cache)");
  }
}

std::string FeatureCache::entry_path(const std::string& audio_path, const std::string& augmentation) const {
  std::error_code ec;
  const fs::path abs = fs::absolute(audio_path, ec);
  const auto size = fs::file_size(abs, ec);
  const auto mtime = fs::last_write_time(abs, ec).time_since_epoch().count();
  std::string key = abs.string() + "|" + std::to_string(size) + "|" + std::to_string(mtime);
  if (!augmentation.empty()) key += "|" + augmentation;
  return (fs::path(folder_) / (hex(fnv1a(key)) + ".npy")).string();
}

namespace {
// What a rank found for the samples it took: per sample its index, whether
// it was reused (1), computed (0) or failed (2), then the matrix or the reason.
std::string encode_share(const FeatureCache::Result& r, const std::vector<std::string>& errors,
                         const std::vector<char>& reused, const RoundRobin& share) {
  ByteWriter w;
  for (int64_t j = 0; j < share.count(); ++j) {
    const auto k = static_cast<size_t>(share.item(j));
    w.pod<uint64_t>(k);
    w.pod<uint8_t>(!errors[k].empty() ? 2 : reused[k]);
    if (!errors[k].empty()) {
      w.str(errors[k]);
      continue;
    }
    const dsp::Matrix& m = *r.features[k];
    w.pod<int64_t>(m.rows);
    w.pod<int64_t>(m.cols);
    const std::vector<float> values(m.data.begin(), m.data.end());  // exact: cached values are float32
    w.array<float>(values);
  }
  return w.bytes();
}

void decode_share(const std::string& bytes, int rank, FeatureCache::Result& r, std::vector<std::string>& errors,
                  std::vector<char>& reused) {
  ByteReader in(bytes, "the features of rank " + std::to_string(rank));
  while (!in.done()) {
    const auto k = static_cast<size_t>(in.pod<uint64_t>("sample"));
    if (k >= r.features.size()) in.fail("sample index out of range");
    const auto state = in.pod<uint8_t>("state");
    if (state == 2) {
      errors[k] = in.str("reason");
      continue;
    }
    reused[k] = static_cast<char>(state);
    const auto rows = in.pod<int64_t>("rows");  // read in order: a constructor's arguments may not be
    const auto cols = in.pod<int64_t>("cols");
    dsp::Matrix m(rows, cols);
    const auto values = in.array<float>("values");
    if (static_cast<int64_t>(values.size()) != m.rows * m.cols) in.fail("matrix size");
    m.data.assign(values.begin(), values.end());
    r.features[k] = std::move(m);
  }
}

// What failed, what was reused and what computed.
void tally(const Corpus& corpus, const std::vector<std::string>& errors, const std::vector<char>& reused,
           FeatureCache::Result& r) {
  for (size_t k = 0; k < errors.size(); ++k) {
    if (!errors[k].empty()) {
      r.failed.push_back({corpus.samples[k].path, errors[k]});
      ++r.stats.failed;
    } else if (reused[k]) {
      ++r.stats.reused;
    } else {
      ++r.stats.computed;
    }
  }
}
}  // namespace

dsp::Matrix FeatureCache::compute(const Sample& sample, const dsp::FeatureExtractor& extractor) const {
  if (sample.augmentation.empty()) return as_cached(extractor.from_file(sample.path));
  const dsp::Audio a = load_sample_audio(sample, spec_.load);
  return as_cached(extractor(a.samples, a.sample_rate));
}

dsp::Matrix FeatureCache::features_of(const Sample& sample, const dsp::FeatureExtractor& extractor, char& reused,
                                      std::string& write_failure) const {
  const std::string entry = entry_path(sample.path, sample.augmentation);
  if (auto cached = read_entry(entry, spec_.rows())) {
    reused = 1;
    return std::move(*cached);
  }
  dsp::Matrix m = compute(sample, extractor);
  try {
    // Atomic but not fsynced: a cache entry lost to a power cut is just recomputed.
    write_npy(entry, {m.rows, m.cols}, std::vector<float>(m.data.begin(), m.data.end()), /*durable=*/false);
  } catch (const std::exception& e) {
    write_failure = e.what();
  }
  return m;
}

FeatureCache::Result FeatureCache::extract(const Corpus& corpus, int threads, const Progress& progress,
                                           const Communicator& comm) const {
  remove_stale_temporaries(folder_);
  const auto start = std::chrono::steady_clock::now();
  const dsp::FeatureExtractor extractor(spec_);
  const auto n = static_cast<int64_t>(corpus.samples.size());
  Result r;
  r.features.resize(static_cast<size_t>(n));
  std::vector<std::string> errors(static_cast<size_t>(n));
  std::vector<char> reused(static_cast<size_t>(n), 0);
  // In a job of several ranks each takes every size()-th sample (neighbours
  // in a corpus folder are alike in length, so the shares are too).
  const RoundRobin share(n, comm);
  const int64_t mine = share.count();
  std::atomic<int64_t> done{0};
  // A cache that cannot be written (a full disk) stops the extraction: it is
  // the machine's problem, not the file's, and must not thin the data set.
  std::atomic<bool> stop{false};
  std::string write_error;
  threads = thread_count(threads);
#pragma omp parallel for schedule(dynamic, 4) num_threads(threads)
  for (int64_t j = 0; j < mine; ++j) {
    const auto k = static_cast<size_t>(share.item(j));
    if (stop.load(std::memory_order_relaxed)) continue;
    std::string write_failure;
    try {
      r.features[k] = features_of(corpus.samples[k], extractor, reused[k], write_failure);
    } catch (const std::exception& e) {
      errors[k] = e.what();
    }
    if (!write_failure.empty()) {
#pragma omp critical(ser_cache_write_error)
      if (write_error.empty()) write_error = write_failure;
      stop = true;
    }
    const int64_t d = ++done;
    if (progress && omp_get_thread_num() == 0) progress(d, mine);
  }
  if (stop)
    throw CacheError("cannot write the feature cache in '" + folder_ + "': " + write_error +
                     ". Free space there or give another cache folder (--cache); nothing was trained");
  if (comm.distributed()) {  // every rank ends with every sample's features, in order
    const auto shares = comm.all_gather(encode_share(r, errors, reused, share));
    for (int rank = 0; rank < comm.size(); ++rank)
      if (rank != comm.rank()) decode_share(shares[static_cast<size_t>(rank)], rank, r, errors, reused);
  }
  tally(corpus, errors, reused, r);
  if (progress) progress(n, n);
  r.stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

}  // namespace ser::datasets
