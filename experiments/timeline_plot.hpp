#pragma once
// A timeline as a picture a person reads at a glance: the waveform with
// each segment coloured by its emotion, and below it each class's
// (smoothed) probability over time, one colour per class throughout.

#include <string>

#include "experiments/timeline.hpp"

namespace ser::experiments {

// Writes a PNG (atomically). Throws std::runtime_error for a name that does not end in .png.
void write_timeline_plot(const std::string& path, const Timeline& t, int width = 1600);

}  // namespace ser::experiments
