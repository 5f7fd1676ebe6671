#pragma once
// Voice quality as Praat measures it: glottal pulses found by
// cross-correlation along the pitch track ("To PointProcess (periodic,
// cc)"), local jitter (mean absolute difference of consecutive periods over
// the mean period) and local shimmer (mean absolute difference of
// consecutive pulses' amplitudes over the mean amplitude), both with
// Praat's usual limits (periods 0.1-20 ms, period factor 1.3, amplitude
// factor 1.6), and the harmonics-to-noise ratio ("To Harmonicity (cc)",
// 10 ms steps, silence threshold 0.1, one period per window; the mean over
// voiced frames). Checked against Praat itself (tests/test_voice_quality).

#include <span>
#include <vector>

#include "common/settings.hpp"
#include "dsp/praat_pitch.hpp"

namespace ser::dsp {

struct VoiceQualityOptions {
  double floor = 75, ceiling = 600;  // Praat's speech defaults, Hz
  void register_settings(Settings& s);
};

struct VoiceQuality {
  double jitter = 0;   // local jitter, a fraction (Praat reports it in %)
  double shimmer = 0;  // local shimmer, a fraction
  double hnr = 0;      // dB, mean over voiced frames
  int pulses = 0;
  // What Praat leaves undefined (too few pulses, nothing voiced) is NaN here.
};

// Glottal pulse times (s) of a sound along its pitch track.
std::vector<double> glottal_pulses(std::span<const double> x, int sample_rate, const PraatPitch& pitch);
double local_jitter(const std::vector<double>& pulses, double shortest = 1e-4, double longest = 0.02,
                    double period_factor = 1.3);
double local_shimmer(const std::vector<double>& pulses, std::span<const double> x, int sample_rate,
                     double shortest = 1e-4, double longest = 0.02, double period_factor = 1.3,
                     double amplitude_factor = 1.6);
// The mean harmonics-to-noise ratio (dB) of the voiced frames.
double mean_hnr(std::span<const double> x, int sample_rate, double floor);

VoiceQuality voice_quality(std::span<const double> x, int sample_rate, const VoiceQualityOptions& options = {});

}  // namespace ser::dsp
