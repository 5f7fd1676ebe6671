// What the face pipeline's side-by-side benchmark (bench/faces_compare.py)
// runs on: a 640 x 480 video of FER2013 test faces (3 per frame, drifting;
// tests/support/face_scenes.hpp) and the published FER CNN
// (zoo::fer_cnn_specs, 2,345,607 parameters) as a model file, its weights
// freshly initialised (speed does not depend on them).
//   face_bench_inputs OUT_DIR [FRAMES]   -> OUT_DIR/faces_640x480.avi, OUT_DIR/fer_cnn.sermodel
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "common/data_dir.hpp"
#include "common/rng.hpp"
#include "experiments/image_recipe.hpp"
#include "nn/model_file.hpp"
#include "support/face_scenes.hpp"
#include "zoo/published_models.hpp"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: face_bench_inputs OUT_DIR [FRAMES]\n");
    return 2;
  }
  const std::filesystem::path out = argv[1];
  const int frames = argc > 2 ? std::atoi(argv[2]) : 150;
  std::filesystem::create_directories(out);
  const std::string fer = ser::data_dir(SER_DEFAULT_DATA_DIR) + "/fer2013_small";
  ser::test::SceneOptions o;
  o.seed = 3;
  ser::test::write_video_scene(fer, (out / "faces_640x480.avi").string(), frames, 25.0, o);
  ser::Rng init(1);
  ser::nn::Sequential model(ser::zoo::fer_cnn_specs(), ser::nn::Shape{1, 48, 48}, init, "fer_cnn");
  model.labels = {"angry", "disgust", "fear", "happy", "neutral", "sad", "surprise"};
  model.feature_settings = ser::experiments::ImageRecipe{}.to_text();
  ser::nn::save_model(model, (out / "fer_cnn.sermodel").string());
  std::printf("%s/faces_640x480.avi (%d frames), %s/fer_cnn.sermodel\n", out.c_str(), frames, out.c_str());
  return 0;
}
