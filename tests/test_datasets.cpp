// Corpus loaders on the real data, label maps, honest splits, reports.
#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "datasets/audio_corpora.hpp"
#include "datasets/corpus_registry.hpp"
#include "datasets/fer2013.hpp"
#include "datasets/labels.hpp"
#include "datasets/mnist.hpp"
#include "datasets/report.hpp"
#include "datasets/split.hpp"
#include "dsp/audio.hpp"
#include "support/main_requiring.hpp"
#include "support/paths.hpp"
#include "support/tone_corpus.hpp"

using namespace ser::datasets;
namespace fs = std::filesystem;

namespace {
std::string data(const std::string& sub) { return ser::test::data_dir() + "/" + sub; }

std::map<std::string, int> count_by(const Corpus& c, std::string Sample::*field) {
  std::map<std::string, int> m;
  for (const auto& s : c.samples) ++m[s.*field];
  return m;
}

std::set<std::string> keys_on(const Corpus& c, const std::vector<size_t>& side, std::string Sample::*field) {
  std::set<std::string> k;
  for (size_t i : side) k.insert(c.samples[i].*field);
  return k;
}

bool disjoint(const std::set<std::string>& a, const std::set<std::string>& b) {
  return std::none_of(a.begin(), a.end(), [&](const std::string& x) { return b.count(x) > 0; });
}

// Every index exactly once across the sides.
void check_partition(const Corpus& c, const Split& s) {
  std::vector<size_t> all = s.train;
  all.insert(all.end(), s.validation.begin(), s.validation.end());
  all.insert(all.end(), s.test.begin(), s.test.end());
  std::sort(all.begin(), all.end());
  REQUIRE(all.size() == c.samples.size());
  for (size_t i = 0; i < all.size(); ++i) REQUIRE(all[i] == i);
}

fs::path temp_dir(const std::string& name) {
  fs::path d = fs::temp_directory_path() / ("ser_test_datasets_" + std::to_string(::getpid())) / name;
  fs::create_directories(d);
  return d;
}
void touch_wav(const fs::path& p) {
  fs::create_directories(p.parent_path());
  ser::dsp::save_wav(p.string(), std::vector<float>(8000, 0.1f), 16000);
}
}  // namespace

TEST_CASE("TESS: 1399 files in 14 speaker x emotion classes; labels from file names") {
  const Corpus c = load_tess(data("tess"), {true});
  CHECK(c.samples.size() == 1399);
  CHECK(c.labels.size() == 14);
  CHECK(c.skipped.empty());
  const auto classes = count_by(c, &Sample::label);
  CHECK(classes.size() == 14);
  CHECK(classes.at("OAF_angry") == 99);  // one damaged file left out of the data set
  CHECK(classes.at("YAF_ps") == 100);
  const auto speakers = count_by(c, &Sample::speaker);
  CHECK(speakers.size() == 2);
  // The distributed OA_bite_neutral keeps its speaker from the folder.
  const auto it = std::find_if(c.samples.begin(), c.samples.end(),
                               [](const Sample& s) { return s.path.find("OA_bite_neutral") != std::string::npos; });
  REQUIRE(it != c.samples.end());
  CHECK(it->speaker == "OAF");
  CHECK(it->word == "bite");
  CHECK(it->label == "OAF_neutral");
  const Corpus seven = load_tess(data("tess"));
  CHECK(seven.labels.size() == 7);
  CHECK(count_by(seven, &Sample::label).at("ps") == 200);
  for (const auto& s : seven.samples) REQUIRE(s.sample_rate == 24414);
}

TEST_CASE("RAVDESS: 960 files in 8 classes from 16 actors, genders from the actor number") {
  const Corpus c = load_ravdess(data("ravdess"));
  CHECK(c.samples.size() == 960);
  CHECK(count_by(c, &Sample::label).size() == 8);
  CHECK(count_by(c, &Sample::speaker).size() == 16);
  for (const auto& s : c.samples) REQUIRE(s.gender == (std::stoi(s.speaker) % 2 ? "male" : "female"));
  // Intensity and statement from the fourth and fifth fields; neutral has no strong take.
  CHECK(count_by(c, &Sample::intensity) == std::map<std::string, int>{{"normal", 512}, {"strong", 448}});
  CHECK(count_by(c, &Sample::word) == std::map<std::string, int>{{"dogs", 480}, {"kids", 480}});
  for (const auto& s : c.samples) {
    const std::string name = fs::path(s.path).filename().string();
    REQUIRE(s.intensity == (name.substr(9, 2) == "01" ? "normal" : "strong"));
    REQUIRE(s.word == (name.substr(12, 2) == "01" ? "kids" : "dogs"));
    if (s.label == "neutral") REQUIRE(s.intensity == "normal");
  }
  const std::string json = report_json(c);
  CHECK(json.find("\"genders\": {\n    \"female\": 480,\n    \"male\": 480") != std::string::npos);
  CHECK(json.find("\"intensities\": {\n    \"normal\": 512,\n    \"strong\": 448") != std::string::npos);
}

TEST_CASE("gender labels, intensity and statement filters, and leave-one-gender-out on RAVDESS") {
  const Corpus c = load_ravdess(data("ravdess"), {false, true, 0.1, false});
  const Corpus g = with_gender_labels(c, GenderLabels::gender);
  CHECK(g.labels == std::vector<std::string>{"female", "male"});
  CHECK(count_by(g, &Sample::label) == std::map<std::string, int>{{"female", 480}, {"male", 480}});
  const Corpus ge = with_gender_labels(c, GenderLabels::gender_emotion);
  CHECK(ge.labels.size() == 16);
  CHECK(ge.labels.front() == "female_neutral");
  CHECK(count_by(ge, &Sample::label).at("male_calm") == 64);
  // TESS has two actresses: only the female classes exist.
  const Corpus t = with_gender_labels(load_tess(data("tess"), {false, true, 0.1, false}), GenderLabels::gender_emotion);
  CHECK(t.labels.size() == 7);
  CHECK(t.labels.front() == "female_angry");

  const Corpus strong = keep_samples(c, &Sample::intensity, "strong", "intensity");
  CHECK(strong.samples.size() == 448);
  CHECK(strong.skipped.size() == 512);
  CHECK(strong.skipped.front().reason == "intensity 'normal' left out (kept: strong)");
  const Corpus dogs = keep_samples(strong, &Sample::word, "dogs", "statement");
  CHECK(dogs.samples.size() == 224);

  const auto folds = leave_one_group_out(c, GroupBy::gender);
  REQUIRE(folds.size() == 2);
  for (const Split& f : folds) {
    CHECK(f.train.size() == 480);
    CHECK(f.test.size() == 480);
    CHECK(keys_on(c, f.test, &Sample::gender).size() == 1);
    CHECK(disjoint(keys_on(c, f.train, &Sample::gender), keys_on(c, f.test, &Sample::gender)));
  }
}

TEST_CASE("the quirk files load through the loaders of their corpus") {
  const Corpus tess = load_tess(data("quirks"));
  CHECK(tess.samples.size() == 3);  // AIFF named .wav twice, and the 96 kHz file
  std::set<int> rates;
  for (const auto& s : tess.samples) rates.insert(s.sample_rate);
  CHECK(rates == std::set<int>{24414, 96000});
  const Corpus ravdess = load_ravdess(data("quirks"));
  REQUIRE(ravdess.samples.size() == 1);
  CHECK(ravdess.samples[0].label == "calm");
  CHECK(ravdess.skipped.size() == 3);  // the TESS names are not RAVDESS names, and say so
  for (const auto& k : ravdess.skipped) CHECK(k.reason.find("seven two-digit fields") != std::string::npos);
}

TEST_CASE("speaker-independent splits: no RAVDESS actor and no TESS speaker on both sides") {
  const Corpus r = load_ravdess(data("ravdess"), {false, true, 0.1, false});
  for (uint64_t seed : {1, 2, 3}) {
    const Split s = group_split(r, GroupBy::speaker, {0.7, 0.1, 0.2}, seed);
    check_partition(r, s);
    const auto tr = keys_on(r, s.train, &Sample::speaker), va = keys_on(r, s.validation, &Sample::speaker),
               te = keys_on(r, s.test, &Sample::speaker);
    CHECK(disjoint(tr, te));
    CHECK(disjoint(tr, va));
    CHECK(disjoint(va, te));
    CHECK(!va.empty());
    CHECK(te.size() >= 2);
  }
  const Corpus t = load_tess(data("tess"), {false, true, 0.1, false});
  const Split s = group_split(t, GroupBy::speaker, {0.5, 0.0, 0.5}, 7);
  check_partition(t, s);
  CHECK(keys_on(t, s.train, &Sample::speaker).size() == 1);
  CHECK(disjoint(keys_on(t, s.train, &Sample::speaker), keys_on(t, s.test, &Sample::speaker)));
  // Leave one actor out: 16 folds, each testing exactly one actor.
  const auto folds = leave_one_group_out(r, GroupBy::speaker);
  CHECK(folds.size() == 16);
  for (const auto& f : folds) {
    CHECK(keys_on(r, f.test, &Sample::speaker).size() == 1);
    CHECK(disjoint(keys_on(r, f.train, &Sample::speaker), keys_on(r, f.test, &Sample::speaker)));
  }
}

TEST_CASE("word-independent TESS split: no word on both sides") {
  const Corpus t = load_tess(data("tess"), {false, true, 0.1, false});
  const Split s = group_split(t, GroupBy::word, {0.75, 0.0, 0.25}, 3);
  check_partition(t, s);
  CHECK(disjoint(keys_on(t, s.train, &Sample::word), keys_on(t, s.test, &Sample::word)));
  CHECK(static_cast<double>(s.test.size()) / t.samples.size() == doctest::Approx(0.25).epsilon(0.1));
  for (const auto& f : kfold(t, 5, 9, GroupBy::word))
    CHECK(disjoint(keys_on(t, f.train, &Sample::word), keys_on(t, f.test, &Sample::word)));
}

TEST_CASE("stratified random split: ratios per class, seeded") {
  const Corpus t = load_tess(data("tess"), {true, true, 0.1, false});
  const Split a = stratified_split(t, {0.75, 0.0, 0.25}, 42), b = stratified_split(t, {0.75, 0.0, 0.25}, 42),
              c = stratified_split(t, {0.75, 0.0, 0.25}, 43);
  check_partition(t, a);
  CHECK(a.test == b.test);
  CHECK(a.test != c.test);
  std::map<std::string, int> test_per_class;
  for (size_t i : a.test) ++test_per_class[t.samples[i].label];
  for (const auto& [label, n] : test_per_class) CHECK(n == 25);  // round(100 * 0.25), and round(99 * 0.25)
  const auto folds = kfold(t, 4, 1);
  std::vector<size_t> tested;
  for (const auto& f : folds) {
    check_partition(t, f);
    tested.insert(tested.end(), f.test.begin(), f.test.end());
  }
  std::sort(tested.begin(), tested.end());
  CHECK(std::adjacent_find(tested.begin(), tested.end()) == tested.end());  // each sample tested once
  CHECK(tested.size() == t.samples.size());
}

TEST_CASE("augmented copies always fall in the split of their source file") {
  Corpus c;
  c.name = "toy";
  c.labels = {"a", "b"};
  for (int i = 0; i < 40; ++i) {
    Sample s;
    s.path = "f" + std::to_string(i) + ".wav";
    s.label = i % 2 ? "a" : "b";
    s.speaker = "spk" + std::to_string(i % 8);
    s.word = "w" + std::to_string(i % 5);
    c.samples.push_back(s);
    for (int k = 0; k < 3; ++k) {  // noise, stretch, pitch copies
      Sample copy = s;
      copy.path = s.path + ".aug" + std::to_string(k);
      copy.source = s.path;
      c.samples.push_back(copy);
    }
  }
  auto side_of = [](const Split& sp, size_t i) {
    if (std::binary_search(sp.train.begin(), sp.train.end(), i)) return 0;
    if (std::binary_search(sp.validation.begin(), sp.validation.end(), i)) return 1;
    return 2;
  };
  std::vector<Split> splits = {stratified_split(c, {0.6, 0.2, 0.2}, 1),
                               group_split(c, GroupBy::speaker, {0.5, 0.25, 0.25}, 2)};
  for (const auto& f : kfold(c, 4, 3)) splits.push_back(f);
  for (const auto& sp : splits) {
    check_partition(c, sp);
    for (size_t i = 0; i < c.samples.size(); i += 4)
      for (size_t k = 1; k <= 3; ++k) REQUIRE(side_of(sp, i + k) == side_of(sp, i));
  }
}

TEST_CASE("SAVEE and CREMA-D on files named by their conventions; malformed names skipped with a reason") {
  const fs::path savee = temp_dir("savee");
  for (const char* n :
       {"DC_a01.wav", "DC_sa02.wav", "JE_su15.wav", "JK_n30.wav", "KL_h01.wav", "KL_f03.wav", "KL_d07.wav"})
    touch_wav(savee / "ALL" / n);
  touch_wav(savee / "AudioData" / "JE" / "a04.wav");  // speaker-folder layout
  for (const char* n : {"XX_a01.wav", "DC_x01.wav", "DC_a.wav", "notes.wav"}) touch_wav(savee / "ALL" / n);
  std::ofstream(savee / "ALL" / "DC_a09.wav") << "broken";  // right name, not audio
  ser::dsp::save_wav((savee / "ALL" / "DC_n02.wav").string(), std::vector<float>(800, 0.1f), 16000);  // 0.05 s
  const Corpus s = load_savee(savee.string());
  CHECK(s.samples.size() == 8);
  CHECK(count_by(s, &Sample::label).size() == 7);
  CHECK(count_by(s, &Sample::speaker).at("JE") == 2);
  std::map<std::string, std::string> reasons;
  for (const auto& k : s.skipped) reasons[fs::path(k.path).filename().string()] = k.reason;
  CHECK(reasons.size() == 6);
  CHECK(reasons["DC_n02.wav"].find("too short: 0.05") != std::string::npos);
  CHECK(reasons["XX_a01.wav"].find("speaker 'XX'") != std::string::npos);
  CHECK(reasons["DC_x01.wav"].find("unknown emotion code 'x'") != std::string::npos);
  CHECK(reasons["DC_a.wav"].find("not <SPK>_<emotion code><number>") != std::string::npos);
  CHECK(reasons["DC_a09.wav"].find("unreadable") != std::string::npos);

  const fs::path crema = temp_dir("cremad");
  for (const char* n : {"1001_DFA_ANG_XX.wav", "1001_IEO_HAP_HI.wav", "1002_TIE_SAD_LO.wav", "1091_WSI_NEU_MD.wav",
                        "1045_ITS_FEA_XX.wav", "1045_IOM_DIS_XX.wav"})
    touch_wav(crema / n);
  for (const char* n : {"1001_DFA_XYZ_XX.wav", "101_DFA_ANG_XX.wav", "1001_DFA_ANG_ZZ.wav", "1001-DFA-ANG-XX.wav"})
    touch_wav(crema / n);
  const Corpus cd = load_cremad(crema.string());
  CHECK(cd.samples.size() == 6);
  CHECK(count_by(cd, &Sample::label).size() == 6);
  CHECK(count_by(cd, &Sample::speaker).size() == 4);
  CHECK(cd.skipped.size() == 4);
  for (const auto& k : cd.skipped) CHECK(!k.reason.empty());
  for (const auto& x : cd.samples) CHECK(x.gender.empty());  // no demographics file: no gender
  CHECK(count_by(cd, &Sample::intensity) ==
        std::map<std::string, int>{{"high", 1}, {"low", 1}, {"medium", 1}, {"unspecified", 3}});
  const Corpus unknown = with_gender_labels(cd, GenderLabels::gender);
  CHECK(unknown.samples.empty());
  CHECK(unknown.skipped.back().reason.find("VideoDemographics.csv not found") != std::string::npos);
  fs::remove_all(savee.parent_path());
}

TEST_CASE("CREMA-D genders from VideoDemographics.csv beside AudioWAV/; a bad row is named by file and line") {
  const fs::path top = temp_dir("CREMA-D");
  for (const char* n : {"1001_DFA_ANG_XX.wav", "1002_TIE_SAD_LO.wav", "1003_IEO_HAP_HI.wav"})
    touch_wav(top / "AudioWAV" / n);
  std::ofstream(top / "VideoDemographics.csv") << "ActorID,Age,Sex,Race,Ethnicity\r\n1001,51,Male,Caucasian,Not "
                                                  "Hispanic\r\n1002,21,Female,Caucasian,Not Hispanic\r\n";
  const Corpus cd = load_cremad((top / "AudioWAV").string() + "/");
  REQUIRE(cd.samples.size() == 3);
  CHECK(count_by(cd, &Sample::gender) == std::map<std::string, int>{{"", 1}, {"female", 1}, {"male", 1}});
  const Corpus g = with_gender_labels(cd, GenderLabels::gender);
  CHECK(g.samples.size() == 2);
  REQUIRE(g.skipped.size() == 1);
  CHECK(g.skipped[0].path.find("1003_IEO_HAP_HI") != std::string::npos);
  std::ofstream(top / "VideoDemographics.csv") << "ActorID,Age,Sex,Race,Ethnicity\n1001,51,Male,Caucasian,x\n"
                                                  "1002,21,F,Caucasian,x\n";
  CHECK_THROWS_WITH_AS(load_cremad((top / "AudioWAV").string()),
                       doctest::Contains("VideoDemographics.csv:3: Sex is 'F', neither Male nor Female"),
                       std::invalid_argument);
  std::ofstream(top / "VideoDemographics.csv") << "Actor,Age,Gender\n1001,51,Male\n";
  CHECK_THROWS_WITH_AS(load_cremad(top.string()), doctest::Contains("has no column 'ActorID'"), std::invalid_argument);
  fs::remove_all(top.parent_path());
}

TEST_CASE("label maps and combined corpora: calm as neutral, ps as surprise, per-corpus counts") {
  const Corpus t =
      map_labels(load_tess(data("tess"), {false, true, 0.1, false}), default_label_map("tess"), common_emotions());
  const Corpus r = map_labels(load_ravdess(data("ravdess"), {false, true, 0.1, false}), default_label_map("ravdess"),
                              common_emotions());
  CHECK(t.samples.size() == 1399);
  CHECK(count_by(t, &Sample::label).at("surprise") == 200);
  CHECK(count_by(r, &Sample::label).at("neutral") == 64 + 128);
  const Corpus both = combine({t, r});
  CHECK(both.samples.size() == 1399 + 960);
  CHECK(both.name == "tess+ravdess");
  const std::string json = report_json(both);
  CHECK(json.find("\"tess\": {") != std::string::npos);
  CHECK(json.find("\"ravdess\": {") != std::string::npos);
  const Corpus no_calm = map_labels(load_ravdess(data("ravdess"), {false, true, 0.1, false}),
                                    default_label_map("ravdess", false), common_emotions());
  CHECK(no_calm.samples.size() == 960 - 128);
  CHECK(no_calm.skipped.size() == 128);
  CHECK_THROWS_WITH_AS(combine({load_tess(data("tess"), {false, true, 0.1, false}), r}),
                       doctest::Contains("another label vocabulary"), std::invalid_argument);
}

TEST_CASE("reports: JSON with files, classes, speakers and skipped") {
  const Corpus q = load_ravdess(data("quirks"));
  const std::string json = report_json(q);
  CHECK(json.find("\"files\": 1") != std::string::npos);
  CHECK(json.find("\"classes\": {") != std::string::npos);
  CHECK(json.find("\"speakers\": {") != std::string::npos);
  CHECK(json.find("\"reason\": \"name is not seven two-digit fields") != std::string::npos);
  const Corpus m = mnist_corpus(data("mnist"));
  CHECK(m.samples.size() == 10000);
  CHECK(report_text(m).find("mnist: 10000 files in 10 classes") != std::string::npos);
}

TEST_CASE("FER2013 from class folders: the fast subset, 4036 training and 3589 test images in 7 classes") {
  const ImageCorpus f = load_fer2013(data("fer2013_small"));
  CHECK(f.corpus.samples.size() == 4036 + 3589);
  CHECK(f.corpus.skipped.empty());
  CHECK(f.pixels.size() == f.corpus.samples.size() * 48 * 48);
  const auto parts = count_by(f.corpus, &Sample::partition);
  CHECK(parts.at("train") == 4036);
  CHECK(parts.at("test") == 3589);
  const auto classes = count_by(f.corpus, &Sample::label);
  CHECK(classes.size() == 7);
  int disgust_train = 0;
  for (const auto& s : f.corpus.samples) disgust_train += s.label == "disgust" && s.partition == "train";
  CHECK(disgust_train == 436);
}

TEST_CASE("FER2013 full training set: the 28,709 official training images, per class") {
  const ImageCorpus f = load_fer2013(data("fer2013"));
  CHECK(f.corpus.skipped.empty());
  const auto parts = count_by(f.corpus, &Sample::partition);
  CHECK(parts.at("train") == 28709);
  CHECK(parts.at("test") == 3589);
  std::map<std::string, int> train;
  for (const auto& s : f.corpus.samples) train[s.label] += s.partition == "train";
  // The class sizes of FER2013's Training usage.
  const std::map<std::string, int> official = {{"angry", 3995}, {"disgust", 436}, {"fear", 4097}, {"happy", 7215},
                                               {"neutral", 4965}, {"sad", 4830}, {"surprise", 3171}};
  CHECK(train == official);
}

TEST_CASE("FER2013 from the original CSV, malformed rows skipped with file:line") {
  const ImageCorpus folders = load_fer2013(data("fer2013_small"));
  const fs::path dir = temp_dir("fer_csv");
  const fs::path csv = dir / "fer2013.csv";
  {
    std::ofstream out(csv);
    out << "emotion,pixels,Usage\n";
    // Three real faces: the CSV codes are 0=Angry 3=Happy 6=Neutral.
    const std::map<std::string, int> code = {{"angry", 0}, {"happy", 3}, {"neutral", 6}};
    int written = 0;
    for (size_t i = 0; i < folders.corpus.samples.size() && written < 3; ++i) {
      const auto& s = folders.corpus.samples[i];
      if (!code.count(s.label) || (written == 1 && s.label != "happy") || (written == 2 && s.label != "neutral"))
        continue;
      out << code.at(s.label) << ",";
      for (int k = 0; k < 48 * 48; ++k) out << (k ? " " : "") << int(folders.pixels[i * 48 * 48 + k]);
      out << (written == 2 ? ",PrivateTest\r\n" : ",Training\n");
      ++written;
    }
    out << "9,1 2 3,Training\n";                                 // bad emotion
    out << "2,1 2 3,Training\n";                                 // too few pixels
    out << "2," << std::string(2304 * 2, '1') << ",Training\n";  // not space-separated values
    out << "garbage\n";
  }
  const ImageCorpus c = load_fer2013(csv.string());
  REQUIRE(c.corpus.samples.size() == 3);
  CHECK(c.corpus.samples[0].label == "angry");
  CHECK(c.corpus.samples[1].label == "happy");
  CHECK(c.corpus.samples[2].label == "neutral");
  CHECK(c.corpus.samples[2].partition == "PrivateTest");
  CHECK(c.pixels.size() == 3 * 48 * 48);
  REQUIRE(c.corpus.skipped.size() == 4);
  CHECK(c.corpus.skipped[0].path == csv.string() + ":5");
  CHECK(c.corpus.skipped[0].reason.find("emotion '9' is not 0-6") != std::string::npos);
  CHECK(c.corpus.skipped[1].reason.find("2304 values") != std::string::npos);
  CHECK(c.corpus.skipped[3].reason.find("emotion,pixels,Usage") != std::string::npos);
  std::ofstream(dir / "wrong.csv") << "a,b,c\n";
  CHECK_THROWS_WITH_AS(load_fer2013((dir / "wrong.csv").string()), doctest::Contains("header emotion,pixels,Usage"),
                       std::invalid_argument);
}

int main(int argc, char** argv) {
  return ser::test::run_requiring(ser::test::data_dir() + "/tess", "SER_DATA", argc, argv);
}

// One table names every corpus: configs and `ser data --dataset` take the same names.
TEST_CASE("corpus registry: every corpus by name, its kind and loader; labelled folders through it") {
  CHECK(corpus_names() == std::vector<std::string>{"tess", "ravdess", "savee", "cremad", "folders", "fer2013", "mnist"});
  for (const auto& c : corpora()) {
    CHECK_MESSAGE((c.kind == CorpusKind::audio) == (c.load_audio != nullptr), c.name);
    CHECK_MESSAGE((c.kind == CorpusKind::image) == (c.load_images != nullptr), c.name);
    CHECK_MESSAGE((c.kind == CorpusKind::image) == (c.image_height > 0 && c.image_width > 0), c.name);
  }
  CHECK_THROWS_WITH(corpus_info("tes"), doctest::Contains("unknown corpus 'tes' (did you mean 'tess'?)"));
  const fs::path root = temp_dir("folders");
  for (const char* f : {"angry/spk1_a.wav", "angry/spk2_b.wav", "calm/spk1_c.wav"}) touch_wav(root / f);
  const Corpus c = corpus_info("folders").load_audio(root.string(), {});
  CHECK(c.labels == std::vector<std::string>{"angry", "calm"});
  CHECK(c.samples.size() == 3);
  CHECK(count_by(c, &Sample::speaker).at("spk1") == 2);
  fs::remove_all(root.parent_path());
}

// `ser data --split WORD` gives the library's split of that kind: the report it
// prints is the one report_json makes from the same split.
TEST_CASE("ser data --split: each word the split of its kind, a wrong word refused") {
  const std::string root = ser::test::data_dir() + "/ravdess";
  const Corpus c = load_ravdess(root);
  const auto printed = [&](const std::string& word, const std::string& test) {
    const auto r = ser::test::run_ser({"data", root, "--dataset", "ravdess", "--split", word, "--test", test, "--seed",
                                       "7", "--json"});
    REQUIRE_MESSAGE(r.status == 0, r.output);
    return r.output;
  };
  const auto report = [&](const Split& s) { return report_json(c, &s) + "\n"; };
  CHECK(printed("random", "0.25") == report(stratified_split(c, {0.75, 0.0, 0.25}, 7)));
  CHECK(printed("speaker", "0.25") == report(group_split(c, GroupBy::speaker, {0.75, 0.0, 0.25}, 7)));
  CHECK(printed("gender", "0.5") == report(group_split(c, GroupBy::gender, {0.5, 0.0, 0.5}, 7)));
  // The JSON names each side's speakers; the text says whether any is on two sides.
  const auto by_speaker = nlohmann::json::parse(printed("speaker", "0.25"));
  CHECK(by_speaker["split_speakers"]["train"].size() == 12);
  CHECK(by_speaker["split_speakers"]["test"].size() == 4);
  CHECK(by_speaker["split_shared_speakers"].empty());
  CHECK(nlohmann::json::parse(printed("random", "0.25"))["split_shared_speakers"].size() == 16);
  const auto text = [&](const std::string& word) {
    return ser::test::run_ser({"data", root, "--dataset", "ravdess", "--split", word, "--validation", "0.125"}).output;
  };
  CHECK(text("speaker").find("no speaker is on two sides") != std::string::npos);
  CHECK(text("random").find("16 of 16 speakers are on more than one side: the split is not speaker-independent") !=
        std::string::npos);
  const auto wrong = ser::test::run_ser({"data", root, "--dataset", "ravdess", "--split", "actor"});
  CHECK(wrong.status == 2);
  CHECK_MESSAGE(wrong.output.find("--split must be one of random, speaker, word, gender, not 'actor'") != std::string::npos,
                wrong.output);
}
