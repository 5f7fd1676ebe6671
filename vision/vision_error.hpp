#pragma once
// What cannot be read, opened or written; the message names the input (the
// file, the camera, the frame) and what is wrong.

#include <stdexcept>

namespace ser::vision {

class VisionError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace ser::vision
