// predict_one MODEL AUDIO: the emotion of one recording through the installed
// library, printed as `ser predict` prints it.
#include <cstdio>
#include <experiments/predict.hpp>
#include <iostream>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: predict_one MODEL AUDIO\n";
    return 2;
  }
  try {
    const auto p = ser::experiments::predict_emotion(argv[2], argv[1]);
    std::printf("%s: %s (%.3f)\n", argv[2], p.emotion.c_str(), p.probability);
  } catch (const std::exception& e) {
    std::cerr << "predict_one: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
