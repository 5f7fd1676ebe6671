#include "experiments/report_examples.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/atomic_file.hpp"
#include "common/npy.hpp"
#include "common/thread_count.hpp"
#include "dsp/audio.hpp"
#include "dsp/feature_spec.hpp"
#include "experiments/evaluate_run.hpp"
#include "experiments/predict.hpp"
#include "experiments/prepared_data.hpp"
#include "experiments/runner.hpp"
#include "nn/model_file.hpp"
#include "nn/train.hpp"

namespace ser::experiments {
namespace fs = std::filesystem;
namespace {

void write_matrix(const std::string& path, const dsp::Matrix& m) {
  write_npy(path, {m.rows, m.cols}, std::vector<float>(m.data.begin(), m.data.end()), /*durable=*/false);
}

// Where the examples come from: the test files of the run's split, or every
// file when the run has no single test set (k-fold, leave one out).
std::vector<size_t> candidate_files(const ExperimentConfig& c, const datasets::Corpus& corpus) {
  std::vector<size_t> pool;
  if (c.data.split.runs_folds()) {
    for (size_t i = 0; i < corpus.samples.size(); ++i) pool.push_back(i);
  } else {
    pool = split_for(c, corpus).test;
    std::sort(pool.begin(), pool.end());  // corpus order is path order
  }
  std::vector<size_t> originals;
  for (size_t i : pool)
    if (corpus.samples[i].augmentation.empty()) originals.push_back(i);
  return originals;
}

// The mel spectrogram and MFCCs shown beside each waveform, in the run's own
// analysis settings; MFCCs as the run computed them when it used them, 40 (the
// common choice) otherwise.
std::pair<dsp::FeatureSpec, dsp::FeatureSpec> example_spectra(const ExperimentConfig& c) {
  const dsp::FeatureSpec& first = c.features.sets.front();
  dsp::FeatureSpec mel = first;
  mel.kind = dsp::FeatureKind::mel_db;
  mel.mel = dsp::MelOptions{};
  dsp::FeatureSpec mfcc = first;
  mfcc.kind = dsp::FeatureKind::mfcc;
  mfcc.cepstrum.n_mfcc = 40;
  mfcc.mel = dsp::MelOptions{};
  for (const auto& s : c.features.sets)
    if (s.kind == dsp::FeatureKind::mfcc) return {mel, s};
  return {mel, mfcc};
}

// One class's example: its wave, mel and MFCC arrays written beside the index,
// and the index's entry naming them.
nlohmann::ordered_json write_audio_example(const datasets::Sample& s, const dsp::Audio& audio,
                                           const dsp::FeatureExtractor& mel_of, const dsp::FeatureExtractor& mfcc_of,
                                           int hop, const std::string& out_dir) {
  std::string stem = s.label;
  for (char& ch : stem)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  const auto file = [&](const char* what) { return stem + "_" + what + ".npy"; };
  write_npy((fs::path(out_dir) / file("wave")).string(), {static_cast<int64_t>(audio.samples.size())}, audio.samples,
            /*durable=*/false);
  write_matrix((fs::path(out_dir) / file("mel")).string(), mel_of(audio.samples, audio.sample_rate));
  write_matrix((fs::path(out_dir) / file("mfcc")).string(), mfcc_of(audio.samples, audio.sample_rate));
  return {{"label", s.label},  {"file", s.path},       {"speaker", s.speaker}, {"sample_rate", audio.sample_rate},
          {"hop_length", hop}, {"wave", file("wave")}, {"mel", file("mel")},   {"mfcc", file("mfcc")}};
}

}  // namespace

std::string write_audio_examples(const ExperimentConfig& c, const std::string& out_dir, std::ostream& log) {
  if (c.features.sets.empty()) return "";  // an image corpus
  std::ostringstream quiet;
  const datasets::Corpus corpus = load_audio_corpora(c, quiet);
  const dsp::FeatureSpec& first = c.features.sets.front();
  const auto [mel, mfcc] = example_spectra(c);
  const dsp::FeatureExtractor mel_of(mel), mfcc_of(mfcc);
  const int hop = first.stft.hop_length > 0 ? first.stft.hop_length : first.stft.n_fft / 4;

  fs::create_directories(out_dir);
  std::map<std::string, nlohmann::ordered_json> by_label;
  for (size_t i : candidate_files(c, corpus)) {
    const datasets::Sample& s = corpus.samples[i];
    if (by_label.count(s.label)) continue;
    dsp::Audio audio;
    try {
      audio = dsp::load_audio(s.path, first.load);
    } catch (const std::exception& e) {
      log << "report: example for '" << s.label << "': skipped " << s.path << ": " << e.what() << "\n";
      continue;
    }
    by_label[s.label] = write_audio_example(s, audio, mel_of, mfcc_of, hop, out_dir);
  }
  // In the corpus's label order, as the confusion matrix has them.
  nlohmann::ordered_json index;
  index["examples"] = nlohmann::ordered_json::array();
  for (const auto& label : corpus.labels)
    if (by_label.count(label)) index["examples"].push_back(by_label[label]);
  const std::string path = (fs::path(out_dir) / "examples.json").string();
  write_file_atomically(path, index.dump(2) + "\n", /*durable=*/false);
  return path;
}

namespace {
// faces.npy ([N, H, W]) and examples.json ({"faces", "labels", "truth",
// "predicted", "files"}) for the rows given, grouped by true class in the label order
// of the confusion matrix; returns the index's path.
std::string write_face_page(const PreparedData& p, std::vector<std::pair<size_t, std::string>> predicted_at,
                            const std::string& out_dir) {
  std::stable_sort(predicted_at.begin(), predicted_at.end(),
                   [&](const auto& a, const auto& b) { return p.y[a.first] < p.y[b.first]; });
  const int64_t size = p.sample_shape.numel();
  std::vector<float> faces;
  nlohmann::ordered_json index;
  index["faces"] = "faces.npy";
  index["labels"] = p.corpus.labels;
  index["truth"] = nlohmann::ordered_json::array();
  index["predicted"] = nlohmann::ordered_json::array();
  index["files"] = nlohmann::ordered_json::array();
  for (const auto& [i, label] : predicted_at) {
    index["files"].push_back(p.corpus.samples[i].path);
    faces.insert(faces.end(), p.x.begin() + static_cast<int64_t>(i) * size,
                 p.x.begin() + static_cast<int64_t>(i + 1) * size);
    index["truth"].push_back(p.corpus.labels[static_cast<size_t>(p.y[i])]);
    index["predicted"].push_back(label);
  }
  fs::create_directories(out_dir);
  write_npy((fs::path(out_dir) / "faces.npy").string(),
            {static_cast<int64_t>(predicted_at.size()), p.sample_shape[1], p.sample_shape[2]}, faces,
            /*durable=*/false);
  const std::string path = (fs::path(out_dir) / "examples.json").string();
  write_file_atomically(path, index.dump(2) + "\n", /*durable=*/false);
  return path;
}
}  // namespace

std::string write_face_examples(const ExperimentConfig& c, const std::string& run_dir, const std::string& out_dir,
                                int per_class) {
  if (!c.features.sets.empty()) return "";  // an audio corpus
  const PreparedData p = prepare_images(c);
  nn::Sequential model = nn::load_model(resolve_model_path(run_dir));
  std::vector<int64_t> rows;
  std::map<int32_t, int> taken;
  for (size_t i : candidate_files(c, p.corpus))
    if (taken[p.y[i]]++ < per_class) rows.push_back(static_cast<int64_t>(i));
  const auto predicted =
      nn::argmax_rows(model.predict(nn::gather_rows(p.x, p.sample_shape, rows), thread_count(c.threads)));
  std::vector<std::pair<size_t, std::string>> predicted_at;
  for (size_t k = 0; k < rows.size(); ++k)
    predicted_at.emplace_back(static_cast<size_t>(rows[k]), p.corpus.labels[static_cast<size_t>(predicted[k])]);
  return write_face_page(p, std::move(predicted_at), out_dir);
}

std::string write_eval_face_examples(const EvalResult& r, const std::string& out_dir, int per_class) {
  if (!r.config.features.sets.empty()) return "";  // an audio corpus
  const PreparedData p = prepare_images(r.config);
  std::map<std::string, size_t> row_of;
  for (size_t i = 0; i < p.corpus.samples.size(); ++i) row_of[p.corpus.samples[i].path] = i;
  std::vector<std::pair<size_t, std::string>> predicted_at;
  std::map<int32_t, int> taken;
  for (const auto& [file, label] : r.predictions) {
    const auto it = row_of.find(file);
    if (it != row_of.end() && taken[p.y[it->second]]++ < per_class) predicted_at.emplace_back(it->second, label);
  }
  return write_face_page(p, std::move(predicted_at), out_dir);
}

}  // namespace ser::experiments
