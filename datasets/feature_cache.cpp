#include "datasets/feature_cache.hpp"

#include <omp.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>

#include "common/atomic_file.hpp"
#include "common/npy.hpp"
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

FeatureCache::FeatureCache(std::string dir, dsp::FeatureSpec spec) : spec_(std::move(spec)) {
  spec_.validate();
  folder_ = (fs::path(dir) / hex(spec_.hash())).string();
  try {
    fs::create_directories(folder_);
    const std::string settings = (fs::path(folder_) / "settings.txt").string();
    if (!fs::exists(settings)) write_file_atomically(settings, spec_.canonical() + "\n");
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

FeatureCache::Result FeatureCache::extract(const Corpus& corpus, int threads, const Progress& progress) const {
  remove_stale_temporaries(folder_);
  const auto start = std::chrono::steady_clock::now();
  const dsp::FeatureExtractor extractor(spec_);
  const auto n = static_cast<int64_t>(corpus.samples.size());
  Result r;
  r.features.resize(static_cast<size_t>(n));
  std::vector<std::string> errors(static_cast<size_t>(n));
  std::vector<char> reused(static_cast<size_t>(n), 0);
  std::atomic<int64_t> done{0};
  // A cache that cannot be written (a full disk) stops the extraction: it is
  // the machine's problem, not the file's, and must not thin the data set.
  std::atomic<bool> stop{false};
  std::string write_error;
  threads = thread_count(threads);
#pragma omp parallel for schedule(dynamic, 4) num_threads(threads)
  for (int64_t i = 0; i < n; ++i) {
    const auto k = static_cast<size_t>(i);
    const Sample& sample = corpus.samples[k];
    const std::string& path = sample.path;
    if (stop.load(std::memory_order_relaxed)) continue;
    const std::string entry = entry_path(path, sample.augmentation);
    try {
      if (auto cached = read_entry(entry, spec_.rows())) {
        r.features[k] = std::move(*cached);
        reused[k] = 1;
      } else {
        dsp::Matrix m;
        if (sample.augmentation.empty()) {
          m = as_cached(extractor.from_file(path));
        } else {
          const dsp::Audio a = load_sample_audio(sample, spec_.load);
          m = as_cached(extractor(a.samples, a.sample_rate));
        }
        try {
          // Atomic but not fsynced: a cache entry lost to a power cut is just recomputed.
          write_npy(entry, {m.rows, m.cols}, std::vector<float>(m.data.begin(), m.data.end()), /*durable=*/false);
        } catch (const std::exception& e) {
#pragma omp critical(ser_cache_write_error)
          if (write_error.empty()) write_error = e.what();
          stop = true;
        }
        r.features[k] = std::move(m);
      }
    } catch (const std::exception& e) {
      errors[k] = e.what();
    }
    const int64_t d = ++done;
    if (progress && omp_get_thread_num() == 0) progress(d, n);
  }
  if (stop)
    throw CacheError("cannot write the feature cache in '" + folder_ + "': " + write_error +
                     ". Free space there or give another cache folder (--cache); nothing was trained");
  for (int64_t i = 0; i < n; ++i) {
    const auto k = static_cast<size_t>(i);
    if (!errors[k].empty()) {
      r.failed.push_back({corpus.samples[k].path, errors[k]});
      ++r.stats.failed;
    } else if (reused[k]) {
      ++r.stats.reused;
    } else {
      ++r.stats.computed;
    }
  }
  if (progress) progress(n, n);
  r.stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

}  // namespace ser::datasets
