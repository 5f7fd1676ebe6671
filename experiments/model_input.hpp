#pragma once
// How a recording becomes a model's input: the feature sets, the fixed frame
// count, the layout and the scaling, with the statistics fitted on the
// training rows. Training writes it into the model file, so `ser predict` and
// `ser eval` repeat exactly what training did to each file.

#include <span>
#include <string>
#include <vector>

#include "common/settings.hpp"
#include "dsp/feature_spec.hpp"
#include "dsp/matrix.hpp"
#include "nn/shape.hpp"

namespace ser::experiments {

inline constexpr int kMaxFrames = 1000000;  // the frames setting's limit

enum class Layout { flat, stacked, image, sequence, pooled, mean, functionals };
inline constexpr const char* kLayouts[] = {"flat", "stacked", "image", "sequence", "pooled", "mean", "functionals"};
enum class Scaling { standardize, per_file, minmax_per_frame, none, per_speaker };
inline constexpr const char* kScalings[] = {"standardize", "per_file", "minmax_per_frame", "none", "per_speaker"};

struct ModelInput {
  std::vector<dsp::FeatureSpec> sets;  // concatenated along the feature axis
  int frames = 0;                      // pad or truncate to this many (pooled: 0 keeps every frame)
  // flat:     [1, F*T], time-major (frame by frame, every feature of a frame together)
  // stacked:  [1, F*T], each set flattened time-major in turn (np.hstack of the Kaggle recipes)
  // image:    [1, F, T]; sequence: [T, F]; pooled: [2F], mean then standard deviation over time;
  // mean:     [1, F], the mean over time (np.mean(mfcc.T, axis=0)), one channel for a Conv1D
  // functionals: [N], each set's utterance-level functionals (dsp/functionals: mean, std,
  //   percentiles, range, slope per row; pyin's voicing; whole-clip kinds as they are)
  Layout layout = Layout::flat;
  // standardize: per input value, with the training rows' mean and deviation;
  // per_file: each feature of each file to zero mean and unit deviation over
  //   its frames (utterance-level CMVN: removes much of a speaker's colouring);
  // minmax_per_frame: each frame of an image to [0, 1]; none;
  // per_speaker: each feature to zero mean and unit deviation over all of its
  //   speaker's recordings (speaker-level CMVN: over every frame of them, or
  //   per input value for the pooled, mean and functionals layouts). A test
  //   speaker's statistics come from that speaker's own unlabelled audio.
  Scaling scaling = Scaling::standardize;
  std::vector<double> mean, scale;      // standardize: per input value, fitted on the training rows

  // Throws SettingError (key: layout, scaling, frames, mean) for an
  // unknown layout or scaling, a combination that cannot work, or statistics
  // that do not fit the input: a model file that says "scaling: banana" must
  // not be used as if it said something.
  void validate() const;
  void register_settings(Settings& s);  // frames, layout, scaling (configs' features: keys beside the feature settings)
  // Layouts that summarise every frame (frames: 0 allowed).
  bool pooled() const { return layout == Layout::pooled || layout == Layout::mean || layout == Layout::functionals; }
  int64_t feature_rows() const;
  nn::Shape sample_shape() const;
  // One sample's unscaled input from its feature matrices (one per set, in order).
  std::vector<float> assemble(const std::vector<dsp::Matrix>& features) const;
  // Standardize: fits mean and scale on `rows` (samples x sample_shape().numel()).
  void fit(std::span<const float> rows);
  // Scales rows in place (standardize needs fit() or restored statistics
  // first). per_speaker needs each row's speaker (`speakers`, one per row)
  // and which rows its statistics are taken from (`statistics_rows`: the
  // recordings themselves, not their augmented copies; empty: all).
  void scale_rows(std::span<float> rows, std::span<const std::string> speakers = {},
                  const std::vector<bool>& statistics_rows = {}) const;

  // JSON text kept in the model file; parse() names `source` in its errors.
  std::string to_text() const;
  static ModelInput parse(const std::string& text, const std::string& source);

 private:
  // Where each feature's values lie in a sample: start, stride and count.
  struct Run {
    int64_t start, stride, count;
  };
  std::vector<Run> feature_runs() const;
  void scale_per_speaker(std::span<float> rows, std::span<const std::string> speakers,
                         const std::vector<bool>& statistics_rows) const;
};

}  // namespace ser::experiments
