#include "datasets/audio_corpora.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>

#include "datasets/cremad_demographics.hpp"
#include "datasets/file_walk.hpp"
#include "dsp/audio.hpp"

namespace ser::datasets {

namespace fs = std::filesystem;

int Corpus::label_index(const std::string& label) const {
  const auto it = std::find(labels.begin(), labels.end(), label);
  return it == labels.end() ? -1 : static_cast<int>(it - labels.begin());
}

namespace {
const std::vector<std::string> kAudioExtensions = {".wav", ".flac", ".aiff", ".aif", ".ogg"};

std::vector<std::string> split_on(const std::string& s, char sep) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i)
    if (i == s.size() || s[i] == sep) {
      parts.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  return parts;
}

bool all_digits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

// A parser turns a file stem (and its parent folder name) into a sample, or
// returns the reason it cannot.
using Parser = std::function<std::optional<std::string>(const std::string& stem, const std::string& parent, Sample&)>;

Corpus scan(const std::string& name, const std::string& root, std::vector<std::string> labels, const Parser& parse,
            const AudioCorpusOptions& o) {
  std::error_code ec;
  if (!fs::is_directory(root, ec))
    throw std::invalid_argument(name + ": '" + root + "' is not a folder (point the data root at the corpus)");
  Corpus c;
  c.name = name;
  c.labels = std::move(labels);
  const std::vector<fs::path> files = find_files(root, kAudioExtensions, c.skipped);
  for (const fs::path& p : files) {
    Sample s;
    s.path = p.string();
    s.corpus = name;
    if (auto reason = parse(p.stem().string(), p.parent_path().filename().string(), s)) {
      c.skipped.push_back({s.path, *reason});
      continue;
    }
    if (c.label_index(s.label) < 0) {
      c.skipped.push_back({s.path, "unknown label '" + s.label + "'"});
      continue;
    }
    if (o.probe) {
      try {
        const dsp::AudioInfo info = dsp::probe_audio(s.path);
        s.seconds = info.seconds();
        s.sample_rate = info.sample_rate;
      } catch (const dsp::AudioError& e) {
        c.skipped.push_back({s.path, std::string("unreadable: ") + e.what()});
        continue;
      }
      if (s.seconds < o.min_seconds) {
        c.skipped.push_back({s.path, "too short: " + std::to_string(s.seconds) + " s (minimum " +
                                         std::to_string(o.min_seconds) + " s)"});
        continue;
      }
    }
    c.samples.push_back(std::move(s));
  }
  return c;
}
}  // namespace

Corpus load_tess(const std::string& root, const AudioCorpusOptions& o) {
  const std::vector<std::string> emotions = {"angry", "disgust", "fear", "happy", "neutral", "ps", "sad"};
  std::vector<std::string> labels = emotions;
  if (o.tess_speaker_emotion) {
    labels.clear();
    for (const char* spk : {"OAF", "YAF"})
      for (const auto& e : emotions) labels.push_back(std::string(spk) + "_" + e);
  }
  return scan(
      "tess", root, labels,
      [&](const std::string& stem, const std::string& parent, Sample& s) -> std::optional<std::string> {
        auto parts = split_on(stem, '_');
        if (parts.size() != 3) return "name is not <SPK>_<word>_<emotion>";
        if (parts[0] != "OAF" && parts[0] != "YAF") {
          // The distributed TESS names one file OA_bite_neutral: trust the speaker folder then.
          const std::string folder = parent.substr(0, 3);
          if (parent.size() < 4 || parent[3] != '_' || (folder != "OAF" && folder != "YAF"))
            return "speaker '" + parts[0] + "' is not OAF or YAF (nor is the folder's)";
          parts[0] = folder;
        }
        std::string emotion = parts[2];
        std::transform(emotion.begin(), emotion.end(), emotion.begin(),
                       [](unsigned char ch) { return std::tolower(ch); });
        s.speaker = parts[0];
        s.word = parts[1];
        s.gender = "female";
        s.label = o.tess_speaker_emotion ? parts[0] + "_" + emotion : emotion;
        return std::nullopt;
      },
      o);
}

Corpus load_ravdess(const std::string& root, const AudioCorpusOptions& o) {
  const std::vector<std::string> labels = {"neutral", "calm",    "happy",   "sad",
                                           "angry",   "fearful", "disgust", "surprised"};
  return scan(
      "ravdess", root, labels,
      [&](const std::string& stem, const std::string&, Sample& s) -> std::optional<std::string> {
        const auto f = split_on(stem, '-');
        if (f.size() != 7 ||
            !std::all_of(f.begin(), f.end(), [](const std::string& x) { return x.size() == 2 && all_digits(x); }))
          return "name is not seven two-digit fields MM-VC-EE-II-SS-RR-AA";
        if (f[0] != "03" && f[0] != "01") return "modality " + f[0] + " has no audio";
        if (f[1] != "01" && f[1] != "02") return "vocal channel " + f[1] + " is neither speech nor song";
        if (f[1] == "02" && !o.ravdess_song) return "song (vocal channel 02) excluded";
        const int emotion = std::stoi(f[2]), actor = std::stoi(f[6]);
        if (emotion < 1 || emotion > 8) return "emotion code " + f[2] + " is not 01-08";
        if (actor < 1 || actor > 24) return "actor " + f[6] + " is not 01-24";
        s.label = labels[static_cast<size_t>(emotion - 1)];
        s.speaker = f[6];
        s.gender = actor % 2 ? "male" : "female";
        if (f[3] != "01" && f[3] != "02") return "intensity " + f[3] + " is neither 01 (normal) nor 02 (strong)";
        if (f[4] != "01" && f[4] != "02") return "statement " + f[4] + " is neither 01 (kids) nor 02 (dogs)";
        s.intensity = f[3] == "01" ? "normal" : "strong";
        s.word = f[4] == "01" ? "kids" : "dogs";  // the statement
        return std::nullopt;
      },
      o);
}

Corpus load_savee(const std::string& root, const AudioCorpusOptions& o) {
  const std::vector<std::string> labels = {"angry", "disgust", "fear", "happy", "neutral", "sad", "surprise"};
  const std::map<std::string, std::string> codes = {{"a", "angry"},    {"d", "disgust"}, {"f", "fear"},
                                                    {"h", "happy"},    {"n", "neutral"}, {"sa", "sad"},
                                                    {"su", "surprise"}};
  const std::vector<std::string> speakers = {"DC", "JE", "JK", "KL"};
  return scan(
      "savee", root, labels,
      [&](const std::string& stem, const std::string& parent, Sample& s) -> std::optional<std::string> {
        std::string speaker, rest = stem;
        if (const size_t u = stem.find('_'); u != std::string::npos) {
          speaker = stem.substr(0, u);
          rest = stem.substr(u + 1);
        } else {
          speaker = parent;  // AudioData/<SPK>/a01.wav
        }
        if (std::find(speakers.begin(), speakers.end(), speaker) == speakers.end())
          return "speaker '" + speaker + "' is not DC, JE, JK or KL";
        size_t digits = rest.find_first_of("0123456789");
        if (digits == std::string::npos || digits == 0 || !all_digits(rest.substr(digits)))
          return "name is not <SPK>_<emotion code><number>";
        const auto it = codes.find(rest.substr(0, digits));
        if (it == codes.end()) return "unknown emotion code '" + rest.substr(0, digits) + "'";
        s.speaker = speaker;
        s.label = it->second;
        s.gender = "male";
        return std::nullopt;
      },
      o);
}

Corpus load_cremad(const std::string& root, const AudioCorpusOptions& o) {
  const std::vector<std::string> labels = {"angry", "disgust", "fear", "happy", "neutral", "sad"};
  const std::map<std::string, std::string> codes = {{"ANG", "angry"}, {"DIS", "disgust"}, {"FEA", "fear"},
                                                    {"HAP", "happy"}, {"NEU", "neutral"}, {"SAD", "sad"}};
  const std::map<std::string, std::string> levels = {
      {"LO", "low"}, {"MD", "medium"}, {"HI", "high"}, {"XX", "unspecified"}};
  std::map<std::string, std::string> genders;
  if (const auto csv = find_cremad_demographics(root)) genders = read_cremad_genders(*csv);
  return scan(
      "cremad", root, labels,
      [&](const std::string& stem, const std::string&, Sample& s) -> std::optional<std::string> {
        const auto f = split_on(stem, '_');
        if (f.size() != 4) return "name is not <actor>_<sentence>_<emotion>_<level>";
        if (f[0].size() != 4 || !all_digits(f[0])) return "actor '" + f[0] + "' is not a four-digit id";
        if (f[1].size() != 3) return "sentence '" + f[1] + "' is not a three-letter code";
        const auto it = codes.find(f[2]);
        if (it == codes.end()) return "unknown emotion code '" + f[2] + "'";
        const auto level = levels.find(f[3]);
        if (level == levels.end()) return "level '" + f[3] + "' is not LO, MD, HI or XX";
        s.speaker = f[0];
        s.word = f[1];
        s.label = it->second;
        s.intensity = level->second;
        if (const auto g = genders.find(f[0]); g != genders.end()) s.gender = g->second;
        return std::nullopt;
      },
      o);
}

Corpus load_labelled_folders(const std::string& root, const AudioCorpusOptions& o) {
  std::vector<std::string> labels;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(root, ec))
    if (e.is_directory()) labels.push_back(e.path().filename().string());
  std::sort(labels.begin(), labels.end());
  const std::string top = fs::path(root).lexically_normal().filename().string();
  return scan(
      "folders", root, labels,
      [&](const std::string& stem, const std::string& parent, Sample& s) -> std::optional<std::string> {
        if (parent == top || parent.empty()) return "not in a label folder (<label>/<speaker>_<name>.<ext>)";
        const size_t cut = stem.find('_');
        if (cut == 0 || cut == std::string::npos) return "name is not <speaker>_<anything>";
        s.speaker = stem.substr(0, cut);
        s.word = stem.substr(cut + 1);
        s.label = parent;
        return std::nullopt;
      },
      o);
}

}  // namespace ser::datasets
