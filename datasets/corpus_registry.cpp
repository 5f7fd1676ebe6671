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
    {"tess", "Toronto emotional speech set (2 speakers, 7 emotions)", CorpusKind::audio, true, false, 0, 0, load_tess,
     nullptr},
    {"ravdess", "RAVDESS speech and song (24 actors, 8 emotions)", CorpusKind::audio, false, true, 0, 0, load_ravdess,
     nullptr},
    {"savee", "SAVEE (4 male speakers, 7 emotions)", CorpusKind::audio, false, false, 0, 0, load_savee, nullptr},
    {"cremad", "CREMA-D (91 actors, 6 emotions)", CorpusKind::audio, false, false, 0, 0, load_cremad, nullptr},
    {"folders", "any labelled folders: <label>/<speaker>_<anything>.<ext>", CorpusKind::audio, false, false, 0, 0,
     load_labelled_folders, nullptr},
    {"fer2013", "FER2013 faces, 48 x 48 (class folders or fer2013.csv)", CorpusKind::image, false, false, 48, 48,
     nullptr, load_fer2013},
    {"mnist", "MNIST digits, 28 x 28 (its test set)", CorpusKind::image, false, false, 28, 28, nullptr,
     load_mnist_images},
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
