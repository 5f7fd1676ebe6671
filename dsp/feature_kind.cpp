#include "dsp/feature_kind.hpp"

#include <cmath>

#include "common/text.hpp"
#include "dsp/chroma.hpp"
#include "dsp/delta.hpp"
#include "dsp/feature_spec.hpp"
#include "dsp/framewise.hpp"
#include "dsp/mfcc.hpp"
#include "dsp/pyin.hpp"
#include "dsp/spectral_shape.hpp"
#include "dsp/voice_quality.hpp"
#include "dsp/yin.hpp"

namespace ser::dsp {

namespace {

FrameOptions frames_of(const FeatureSpec& s) {
  return {s.stft.n_fft, s.stft.hop_length ? s.stft.hop_length : s.stft.n_fft / 4, s.stft.center};
}

int64_t mfcc_rows(const FeatureSpec& s) { return s.cepstrum.n_mfcc; }
int64_t mel_rows(const FeatureSpec& s) { return s.mel.n_mels; }
int64_t bin_rows(const FeatureSpec& s) { return s.stft.n_fft / 2 + 1; }
int64_t one_row(const FeatureSpec&) { return 1; }
int64_t chroma_rows(const FeatureSpec&) { return 12; }

Matrix mfcc_of(const FeatureTools& t, std::span<const float> y, int) { return (*t.mfcc)(y); }
Matrix delta_of(const FeatureTools& t, std::span<const float> y, int) { return delta((*t.mfcc)(y), 9, 1); }
Matrix mel_of(const FeatureTools& t, std::span<const float> y, int) { return (*t.mel)(y); }
Matrix mel_db_of(const FeatureTools& t, std::span<const float> y, int) {
  return power_to_db((*t.mel)(y), power_db_options(t.spec.db));
}
Matrix mel_amp_db_of(const FeatureTools& t, std::span<const float> y, int) {
  return amplitude_to_db((*t.mel)(y), amplitude_db_options(t.spec.db));
}
Matrix stft_of(const FeatureTools& t, std::span<const float> y, int) { return t.stft->spectrogram(y, 1.0); }
Matrix zcr_of(const FeatureTools& t, std::span<const float> y, int) { return zero_crossing_rate(y, frames_of(t.spec)); }
Matrix rms_of(const FeatureTools& t, std::span<const float> y, int) {
  return rms(y, frames_of(t.spec), t.spec.stft.pad_mode);
}
Matrix chroma_of(const FeatureTools& t, std::span<const float> y, int sample_rate) {
  ChromaOptions o;
  o.stft = t.spec.stft;
  return chroma_stft(y, sample_rate, o);
}

Matrix as_is(const FeatureSpec&, Matrix m, int) { return m; }
Matrix mfcc_finish(const FeatureSpec& s, Matrix mel_power, int) {
  return mfcc_from_db(power_to_db(mel_power, power_db_options(s.db)), s.cepstrum.n_mfcc, s.cepstrum.lifter,
                      s.cepstrum.dct_ortho);
}
Matrix delta_finish(const FeatureSpec& s, Matrix mel_power, int sr) { return delta(mfcc_finish(s, std::move(mel_power), sr), 9, 1); }
Matrix mel_db_finish(const FeatureSpec& s, Matrix mel_power, int) { return power_to_db(mel_power, power_db_options(s.db)); }
Matrix mel_amp_db_finish(const FeatureSpec& s, Matrix mel_magnitude, int) {
  return amplitude_to_db(mel_magnitude, amplitude_db_options(s.db));
}
Matrix chroma_finish(const FeatureSpec& s, Matrix power, int sample_rate) {
  ChromaOptions o;
  o.stft = s.stft;
  return chroma_from_power(power, sample_rate, o);
}

// Spectral shape: per frame of |STFT|, so compute is finish of the magnitude.
Matrix centroid_finish(const FeatureSpec& s, Matrix mag, int sr) { return spectral_centroid(mag, sr, s.stft.n_fft); }
Matrix bandwidth_finish(const FeatureSpec& s, Matrix mag, int sr) {
  return spectral_bandwidth(mag, sr, s.stft.n_fft, s.shape.p);
}
Matrix rolloff_finish(const FeatureSpec& s, Matrix mag, int sr) {
  return spectral_rolloff(mag, sr, s.stft.n_fft, s.shape.roll_percent);
}
Matrix flatness_finish(const FeatureSpec& s, Matrix mag, int) { return spectral_flatness(mag, s.shape.flatness_power); }
// Contrast's dB floors depend on the window's maxima, so they are finished per window.
Matrix contrast_finish(const FeatureSpec& s, Matrix mag, int sr) {
  return spectral_contrast(mag, sr, s.stft.n_fft, s.contrast);
}
Matrix yin_of(const FeatureTools& t, std::span<const float> y, int sr) {
  return yin(y, sr, frames_of(t.spec), t.spec.stft.pad_mode, t.spec.pitch, t.spec.yin);
}
Matrix pyin_of(const FeatureTools& t, std::span<const float> y, int sr) {
  return pyin(y, sr, frames_of(t.spec), t.spec.stft.pad_mode, t.spec.pitch, t.spec.pyin);
}
// pyin's per-frame observations are decoded (Viterbi) over the window.
Matrix pyin_finish(const FeatureSpec& s, Matrix observations, int sr) {
  return pyin_rows(pyin_decode(observations, sr, frames_of(s).hop_length, s.pitch, s.pyin));
}
int64_t three_rows(const FeatureSpec&) { return 3; }
// Praat's jitter, shimmer and HNR of the whole signal, one column; what
// Praat leaves undefined (too few pulses, nothing voiced) is 0 here, as a
// model cannot take NaN.
Matrix voice_of(const FeatureTools& t, std::span<const float> y, int sr) {
  const std::vector<double> x(y.begin(), y.end());
  const VoiceQuality v = voice_quality(x, sr, t.spec.voice);
  Matrix out(3, 1);
  out(0, 0) = std::isnan(v.jitter) ? 0.0 : v.jitter;
  out(1, 0) = std::isnan(v.shimmer) ? 0.0 : v.shimmer;
  out(2, 0) = std::isnan(v.hnr) ? 0.0 : v.hnr;
  return out;
}
Matrix loudness_finish(const FeatureSpec& s, Matrix power, int sr) { return loudness(power, sr, s.stft.n_fft); }
template <Matrix (*Finish)(const FeatureSpec&, Matrix, int), int Power = 1>
Matrix of_magnitude(const FeatureTools& t, std::span<const float> y, int sr) {
  return Finish(t.spec, t.stft->spectrogram(y, Power), sr);
}
int64_t contrast_rows(const FeatureSpec& s) { return s.contrast.n_bands + 1; }

constexpr unsigned kMelDb = kMelGroup | kDbGroup;
constexpr unsigned kCepstral = kMelGroup | kDbGroup | kCepstrumGroup;

// In the enum's order.
constexpr FeatureKindInfo kKinds[] = {
    {FeatureKind::mfcc, "mfcc", "MFCCs (librosa.feature.mfcc)", kCepstral, kMfccTool, mfcc_rows, mfcc_of,
     FrameColumns::mel_power, mfcc_finish},
    {FeatureKind::mel, "mel", "mel power spectrogram (melspectrogram)", kMelGroup, kMelPowerTool, mel_rows, mel_of,
     FrameColumns::mel_power, as_is},
    {FeatureKind::mel_db, "mel_db", "power_to_db of the mel spectrogram", kMelDb, kMelPowerTool, mel_rows, mel_db_of,
     FrameColumns::mel_power, mel_db_finish},
    {FeatureKind::mel_amp_db, "mel_amp_db", "amplitude_to_db of the mel spectrogram of |STFT|", kMelDb,
     kMelMagnitudeTool, mel_rows, mel_amp_db_of, FrameColumns::mel_magnitude, mel_amp_db_finish},
    {FeatureKind::stft, "stft", "STFT magnitude", 0, kStftTool, bin_rows, stft_of, FrameColumns::stft_magnitude, as_is},
    {FeatureKind::zcr, "zcr", "zero-crossing rate (frames of n_fft)", 0, 0, one_row, zcr_of, FrameColumns::zcr, as_is},
    {FeatureKind::rms, "rms", "RMS energy (frames of n_fft)", 0, 0, one_row, rms_of, FrameColumns::rms, as_is},
    {FeatureKind::chroma, "chroma", "chroma_stft", 0, 0, chroma_rows, chroma_of, FrameColumns::stft_power,
     chroma_finish},
    {FeatureKind::delta, "delta", "first-order delta of the MFCCs, width 9", kCepstral, kMfccTool, mfcc_rows, delta_of,
     FrameColumns::mel_power, delta_finish},
    {FeatureKind::centroid, "centroid", "spectral_centroid (magnitude-weighted mean frequency, Hz)", 0, kStftTool,
     one_row, of_magnitude<centroid_finish>, FrameColumns::stft_magnitude, centroid_finish},
    {FeatureKind::bandwidth, "bandwidth", "spectral_bandwidth (order bandwidth_p about the centroid, Hz)", kShapeGroup,
     kStftTool, one_row, of_magnitude<bandwidth_finish>, FrameColumns::stft_magnitude, bandwidth_finish},
    {FeatureKind::rolloff, "rolloff", "spectral_rolloff (roll_percent of the magnitude below, Hz)", kShapeGroup,
     kStftTool, one_row, of_magnitude<rolloff_finish>, FrameColumns::stft_magnitude, rolloff_finish},
    {FeatureKind::flatness, "flatness", "spectral_flatness (of |STFT|^flatness_power, amin 1e-10)", kShapeGroup,
     kStftTool, one_row, of_magnitude<flatness_finish>, FrameColumns::stft_magnitude, flatness_finish},
    {FeatureKind::contrast, "contrast", "spectral_contrast (peak - valley per octave band, dB)", kContrastGroup,
     kStftTool, contrast_rows, of_magnitude<contrast_finish>, FrameColumns::stft_magnitude, contrast_finish},
    {FeatureKind::loudness, "loudness", "A-weighted level of each frame (dB; librosa.A_weighting)", 0, kStftTool,
     one_row, of_magnitude<loudness_finish, 2>, FrameColumns::stft_power, loudness_finish},
    {FeatureKind::yin, "yin", "f0 by librosa.yin (Hz; frames of n_fft every hop)", kPitchGroup | kYinGroup, 0, one_row,
     yin_of, FrameColumns::yin_f0, as_is},
    {FeatureKind::pyin, "pyin", "librosa.pyin: f0 (Hz, 0 where unvoiced), voiced flag, voiced probability",
     kPitchGroup | kPyinGroup, 0, three_rows, pyin_of, FrameColumns::pyin_observations, pyin_finish},
    {FeatureKind::voice, "voice", "Praat's local jitter, local shimmer and mean HNR (dB) of the whole clip, 1 column",
     kVoiceGroup, 0, three_rows, voice_of, FrameColumns::whole_clip, as_is},
};

constexpr bool in_enum_order() {
  for (size_t i = 0; i < std::size(kKinds); ++i)
    if (static_cast<size_t>(kKinds[i].kind) != i) return false;
  return true;
}
static_assert(in_enum_order(), "kKinds lists the kinds in FeatureKind's order, one entry each");

}  // namespace

std::span<const FeatureKindInfo> feature_kinds() { return kKinds; }

const FeatureKindInfo& kind_info(FeatureKind kind) { return kKinds[static_cast<size_t>(kind)]; }

std::vector<std::string> feature_kind_names() {
  std::vector<std::string> out;
  for (const auto& k : kKinds) out.emplace_back(k.name);
  return out;
}

FeatureKind parse_feature_kind(const std::string& name) {
  for (const auto& k : kKinds)
    if (name == k.name) return k.kind;
  const auto names = feature_kind_names();
  std::string list;
  for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
  throw SettingError("kind", "unknown feature kind '" + name + "'" + did_you_mean(name, names) + " (" + list + ")");
}

}  // namespace ser::dsp
