#include "experiments/model_input.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "dsp/fixed_length.hpp"
#include "dsp/functionals.hpp"

namespace ser::experiments {

namespace {
constexpr char kFormat[] = "ser-model-input-1";
}  // namespace

void ModelInput::register_settings(Settings& s) {
  s.integer("frames", frames, 1, kMaxFrames, "pad or truncate every file to this many frames")
      .special(0, "every frame (pooled, mean and functionals layouts only)");
  s.choice("layout", layout, kLayouts, "how a file's features become the model's input");
  s.choice("scaling", scaling, kScalings, "how inputs are scaled");
}

void ModelInput::validate() const {
  if (sets.empty()) throw SettingError("kinds", "kinds must name at least one feature");
  ModelInput copy = *this;  // register_settings binds fields it may write; this only reads
  Settings settings;
  copy.register_settings(settings);
  settings.check();
  if (!pooled() && frames < 1)
    throw SettingError("frames", "frames must be between 1 and " + std::to_string(kMaxFrames) + " for the " +
                                     name_of(layout, kLayouts) + " layout (models need fixed sizes), got " +
                                     std::to_string(frames));
  if (scaling == Scaling::minmax_per_frame && layout != Layout::image)
    throw SettingError("scaling", "scaling minmax_per_frame scales the frames of an image; it needs layout: image");
  if (scaling == Scaling::per_file && pooled())
    throw SettingError("scaling", "scaling per_file normalises each feature over a file's frames; pooled, mean and "
                                  "functionals layouts have none");
  for (const auto& s : sets)
    if (dsp::kind_info(s.kind).columns == dsp::FrameColumns::whole_clip && layout != Layout::functionals)
      throw SettingError("layout", std::string("kind '") + s.kind_name() +
                                       "' summarises a whole clip in one column; it needs layout: functionals");
  if (layout == Layout::functionals && frames != 0)
    throw SettingError("frames", "the functionals layout summarises every frame of a file; leave frames at 0");
  if (mean.size() != scale.size())
    throw SettingError("mean", "mean and scale statistics have " + std::to_string(mean.size()) + " and " +
                                   std::to_string(scale.size()) + " values");
  if (!mean.empty() && static_cast<int64_t>(mean.size()) != sample_shape().numel())
    throw SettingError("mean", "standardisation statistics have " + std::to_string(mean.size()) +
                                   " values for an input of " + std::to_string(sample_shape().numel()));
  for (size_t i = 0; i < mean.size(); ++i)
    if (!std::isfinite(mean[i]) || !(scale[i] > 0 && std::isfinite(scale[i])))
      throw SettingError("mean", "standardisation statistic " + std::to_string(i) + " is not usable (mean " +
                                     std::to_string(mean[i]) + ", scale " + std::to_string(scale[i]) + ")");
}

int64_t ModelInput::feature_rows() const {
  int64_t rows = 0;
  for (const auto& s : sets) rows += s.rows();
  return rows;
}

nn::Shape ModelInput::sample_shape() const {
  const int64_t F = feature_rows(), T = frames;
  if (layout == Layout::flat || layout == Layout::stacked) return nn::Shape{1, F * T};
  if (layout == Layout::image) return nn::Shape{1, F, T};
  if (layout == Layout::sequence) return nn::Shape{T, F};
  if (layout == Layout::mean) return nn::Shape{1, F};
  if (layout == Layout::functionals) {
    int64_t n = 0;
    for (const auto& s : sets) n += dsp::functionals_size(s);
    return nn::Shape{n};
  }
  return nn::Shape{2 * F};
}

std::vector<float> ModelInput::assemble(const std::vector<dsp::Matrix>& features) const {
  if (features.size() != sets.size())
    throw std::invalid_argument("model input: " + std::to_string(features.size()) + " feature matrices for " +
                                std::to_string(sets.size()) + " feature sets");
  if (layout == Layout::functionals) {  // each set on its own frames
    std::vector<std::vector<float>> per_set;
    for (size_t i = 0; i < sets.size(); ++i) per_set.push_back(dsp::functionals(sets[i], features[i]));
    return dsp::concat(per_set);
  }
  std::vector<dsp::Matrix> parts;
  // Pooled inputs keep every frame; sets with another hop are cut to the shortest.
  int64_t T = frames;
  if ((layout == Layout::pooled || layout == Layout::mean) && T == 0) {
    T = features.front().cols;
    for (const auto& f : features) T = std::min(T, f.cols);
  }
  for (const auto& f : features) parts.push_back(dsp::fix_frames(f, T));
  if (layout == Layout::stacked) {
    std::vector<std::vector<float>> flat;
    for (const auto& m : parts) flat.push_back(dsp::flatten_time_major(m));
    return dsp::concat(flat);
  }
  const dsp::Matrix m = dsp::concat_features(parts);
  if (layout == Layout::image) return dsp::flatten_feature_major(m);
  if (layout == Layout::pooled) return dsp::mean_std_pool(m);
  if (layout == Layout::mean) return dsp::mean_over_time(m);
  return dsp::flatten_time_major(m);  // flat and sequence ([T, F] row-major is time-major)
}

void ModelInput::fit(std::span<const float> rows) {
  if (scaling != Scaling::standardize) return;
  dsp::Standardizer s;
  s.fit(rows, sample_shape().numel());
  mean = s.mean();
  scale = s.scale();
}

std::vector<ModelInput::Run> ModelInput::feature_runs() const {
  std::vector<Run> runs;
  const int64_t F = feature_rows(), T = frames;
  if (pooled()) {  // no frames: every input value on its own
    for (int64_t d = 0; d < sample_shape().numel(); ++d) runs.push_back({d, 1, 1});
  } else if (layout == Layout::image) {
    for (int64_t f = 0; f < F; ++f) runs.push_back({f * T, 1, T});
  } else if (layout == Layout::stacked) {
    int64_t offset = 0;
    for (const auto& set : sets) {
      const int64_t R = set.rows();
      for (int64_t f = 0; f < R; ++f) runs.push_back({offset + f, R, T});
      offset += R * T;
    }
  } else {  // flat, sequence: time-major
    for (int64_t f = 0; f < F; ++f) runs.push_back({f, F, T});
  }
  return runs;
}

void ModelInput::scale_per_speaker(std::span<float> rows, std::span<const std::string> speakers,
                                   const std::vector<bool>& statistics_rows) const {
  const int64_t D = sample_shape().numel(), n = static_cast<int64_t>(rows.size()) / D;
  if (static_cast<int64_t>(speakers.size()) != n)
    throw std::logic_error("model input: per_speaker scaling needs the speaker of every row");
  std::map<std::string, std::vector<int64_t>> by_speaker;
  for (int64_t s = 0; s < n; ++s) by_speaker[speakers[static_cast<size_t>(s)]].push_back(s);
  for (const auto& [speaker, members] : by_speaker) {
    std::vector<int64_t> counted;
    for (const int64_t s : members)
      if (statistics_rows.empty() || statistics_rows[static_cast<size_t>(s)]) counted.push_back(s);
    if (counted.empty()) counted = members;
    for (const Run& r : feature_runs()) {
      double sum = 0, sq = 0;
      for (const int64_t s : counted)
        for (int64_t t = 0; t < r.count; ++t) sum += rows[static_cast<size_t>(s * D + r.start + t * r.stride)];
      const double count = static_cast<double>(counted.size()) * static_cast<double>(r.count);
      const double mean = sum / count;
      for (const int64_t s : counted)
        for (int64_t t = 0; t < r.count; ++t) {
          const double d = rows[static_cast<size_t>(s * D + r.start + t * r.stride)] - mean;
          sq += d * d;
        }
      const double sd = std::sqrt(sq / count);
      for (const int64_t s : members)
        for (int64_t t = 0; t < r.count; ++t) {
          float& v = rows[static_cast<size_t>(s * D + r.start + t * r.stride)];
          v = sd > 1e-8 ? static_cast<float>((v - mean) / sd) : 0.0f;
        }
    }
  }
}

void ModelInput::scale_rows(std::span<float> rows, std::span<const std::string> speakers,
                            const std::vector<bool>& statistics_rows) const {
  const int64_t D = sample_shape().numel();
  if (scaling == Scaling::standardize) {
    if (static_cast<int64_t>(mean.size()) != D)
      throw std::logic_error("model input: standardize needs statistics fitted on the training rows");
    dsp::Standardizer s;
    s.set(mean, scale);
    s.transform(rows);
  } else if (scaling == Scaling::per_file) {
    const int64_t n = static_cast<int64_t>(rows.size()) / D;
    for (int64_t s = 0; s < n; ++s)
      for (const Run& r : feature_runs()) {
        float* x = rows.data() + s * D + r.start;
        double mean = 0, sq = 0;
        for (int64_t t = 0; t < r.count; ++t) mean += x[t * r.stride];
        mean /= static_cast<double>(r.count);
        for (int64_t t = 0; t < r.count; ++t) sq += (x[t * r.stride] - mean) * (x[t * r.stride] - mean);
        const double sd = std::sqrt(sq / static_cast<double>(r.count));
        for (int64_t t = 0; t < r.count; ++t)
          x[t * r.stride] = sd > 1e-8 ? static_cast<float>((x[t * r.stride] - mean) / sd) : 0.0f;
      }
  } else if (scaling == Scaling::per_speaker) {
    scale_per_speaker(rows, speakers, statistics_rows);
  } else if (scaling == Scaling::minmax_per_frame) {
    // Each frame (column of the [F, T] image) mapped to [0, 1].
    const int64_t F = feature_rows(), T = frames;
    const int64_t n = static_cast<int64_t>(rows.size()) / D;
    for (int64_t s = 0; s < n; ++s)
      for (int64_t t = 0; t < T; ++t) {
        float lo = INFINITY, hi = -INFINITY;
        for (int64_t f = 0; f < F; ++f) {
          const float v = rows[s * D + f * T + t];
          lo = std::min(lo, v);
          hi = std::max(hi, v);
        }
        for (int64_t f = 0; f < F; ++f) {
          float& v = rows[s * D + f * T + t];
          v = hi > lo ? (v - lo) / (hi - lo) : 0.0f;
        }
      }
  }
}

std::string ModelInput::to_text() const {
  nlohmann::ordered_json j;
  j["format"] = kFormat;
  j["features"] = nlohmann::json::array();
  for (const auto& s : sets) j["features"].push_back(s.canonical());
  j["frames"] = frames;
  j["layout"] = name_of(layout, kLayouts);
  j["scaling"] = name_of(scaling, kScalings);
  j["mean"] = mean;
  j["scale"] = scale;
  return j.dump();
}

ModelInput ModelInput::parse(const std::string& text, const std::string& source) {
  ModelInput m;
  try {
    const auto j = nlohmann::json::parse(text);
    if (j.value("format", "") != kFormat)
      throw std::invalid_argument("the input description is not " + std::string(kFormat));
    for (const auto& f : j.at("features")) m.sets.push_back(dsp::FeatureSpec::parse(f.get<std::string>()));
    m.frames = j.at("frames").get<int>();
    Settings settings;
    m.register_settings(settings);
    for (const char* key : {"layout", "scaling"}) settings.find(key)->set(j.at(key).get<std::string>());
    m.mean = j.at("mean").get<std::vector<double>>();
    m.scale = j.at("scale").get<std::vector<double>>();
  } catch (const SettingError& e) {
    throw std::invalid_argument(source + ": the model's " + e.what() +
                                "; the model file is damaged or was not written by `ser train`");
  } catch (const std::exception& e) {
    throw std::invalid_argument(source + ": the model's feature settings cannot be read (" + e.what() +
                                "); was it trained by `ser train`?");
  }
  try {
    m.validate();
  } catch (const SettingError& e) {
    throw std::invalid_argument(source + ": the model's " + e.what() + "; the model file is damaged or was not written by `ser train`");
  }
  if (m.scaling == Scaling::standardize && static_cast<int64_t>(m.mean.size()) != m.sample_shape().numel())
    throw std::invalid_argument(source + ": the model's standardisation statistics have " +
                                std::to_string(m.mean.size()) + " values for an input of " +
                                std::to_string(m.sample_shape().numel()));
  return m;
}

}  // namespace ser::experiments
