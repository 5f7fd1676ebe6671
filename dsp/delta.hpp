#pragma once
// librosa.feature.delta: a Savitzky-Golay derivative along time
// (scipy.signal.savgol_filter with polyorder = order, deriv = order,
// mode 'interp': the edges use the polynomial fitted to the first or last
// `width` frames).

#include "dsp/matrix.hpp"

namespace ser::dsp {

// width odd and >= 3; order >= 1; every row needs at least `width` frames.
Matrix delta(const Matrix& data, int width = 9, int order = 1);

}  // namespace ser::dsp
