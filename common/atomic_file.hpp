#pragma once
// Files that hold results (models, checkpoints, metrics) are written to a
// temporary file in the same folder, flushed to disk, then renamed over the
// target: a reader sees the old file or the new one, never half of one.

#include <string>
#include <string_view>

namespace ser {

// Throws std::runtime_error naming the path and the system's reason.
void write_file_atomically(const std::string& path, std::string_view bytes);

}  // namespace ser

namespace ser::nn {
using ser::write_file_atomically;
}  // namespace ser::nn
