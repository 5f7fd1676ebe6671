#include "datasets/corpus_registry.hpp"

#include <stdexcept>

#include "common/text.hpp"
#include "datasets/fer2013.hpp"
#include "datasets/mnist.hpp"

namespace ser::datasets {

namespace {

ImageCorpus load_mnist_images(const std::string& root) {
  const MnistSet set = load_mnist_test_set(root);
  ImageCorpus out;
  out.corpus = mnist_corpus(root);
  out.height = static_cast<int>(set.rows);
  out.width = static_cast<int>(set.cols);
  out.pixels = set.pixels;
  return out;
}

const CorpusInfo kCorpora[] = {
    {.name = "tess", .what = "Toronto emotional speech set (2 speakers, 7 emotions)", .kind = CorpusKind::audio,
     .speaker_emotion = true, .gender = true, .load_audio = load_tess},
    {.name = "ravdess", .what = "RAVDESS speech and song (24 actors, 8 emotions)", .kind = CorpusKind::audio,
     .song = true, .gender = true, .intensity = true, .statement = true, .load_audio = load_ravdess},
    {.name = "savee", .what = "SAVEE (4 male speakers, 7 emotions)", .kind = CorpusKind::audio, .gender = true,
     .load_audio = load_savee},
    {.name = "cremad", .what = "CREMA-D (91 actors, 6 emotions; genders from VideoDemographics.csv)",
     .kind = CorpusKind::audio, .gender = true, .intensity = true, .load_audio = load_cremad},
    {.name = "folders", .what = "any labelled folders: <label>/<speaker>_<anything>.<ext>", .kind = CorpusKind::audio,
     .load_audio = load_labelled_folders},
    {.name = "fer2013", .what = "FER2013 faces, 48 x 48 (class folders or fer2013.csv)", .kind = CorpusKind::image,
     .image_height = 48, .image_width = 48, .load_images = load_fer2013},
    {.name = "mnist", .what = "MNIST digits, 28 x 28 (its test set)", .kind = CorpusKind::image, .image_height = 28,
     .image_width = 28, .load_images = load_mnist_images},
};

}  // namespace

std::span<const CorpusInfo> corpora() { return kCorpora; }

std::vector<std::string> corpus_names() {
  std::vector<std::string> out;
  for (const auto& c : kCorpora) out.emplace_back(c.name);
  return out;
}

const CorpusInfo& corpus_info(const std::string& name) {
  for (const auto& c : kCorpora)
    if (name == c.name) return c;
  const auto names = corpus_names();
  std::string list;
  for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
  throw std::invalid_argument("unknown corpus '" + name + "'" + did_you_mean(name, names) + " (" + list + ")");
}

}  // namespace ser::datasets
