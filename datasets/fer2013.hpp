#pragma once
// FER2013 (48 x 48 grayscale faces, 7 emotions) in both of its common forms:
//   folders   ROOT/<partition>/<class>/*.jpg|png (partition: train, test, ...),
//             decoded with libjpeg-turbo or libpng (datasets/image_decode.hpp);
//   CSV       the original fer2013.csv: "emotion,pixels,Usage", emotion 0=Angry
//             1=Disgust 2=Fear 3=Happy 4=Sad 5=Surprise 6=Neutral, 2304 pixel
//             values per row, Usage Training / PublicTest / PrivateTest.
// Labels use common_emotions() order (angry disgust fear happy neutral sad
// surprise) in both forms. Unreadable images, wrong sizes, unknown classes
// and malformed CSV rows are skipped with the reason ("file.csv:LINE" names a row).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "datasets/corpus.hpp"

namespace ser::datasets {

// Folders of class folders (which may be symbolic links); a folder that
// holds only the original fer2013.csv is read as the CSV (load_fer2013).
ImageCorpus load_fer2013_folders(const std::string& root);
ImageCorpus load_fer2013_csv(const std::string& csv_path);
// A folder or a .csv, by what `path` is.
ImageCorpus load_fer2013(const std::string& path);

// One image file's bytes (JPEG or PNG) as a 48 x 48 grayscale face into
// `pixels` (2304 bytes), or the reason it is not one. The header is read
// before anything is decoded, so a crafted size allocates little.
std::optional<std::string> decode_fer2013_image(std::string_view bytes, uint8_t* pixels);

}  // namespace ser::datasets
