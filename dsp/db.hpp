#pragma once
// Decibel scaling as librosa.power_to_db and amplitude_to_db.

#include "common/settings.hpp"
#include "dsp/matrix.hpp"

namespace ser::dsp {

enum class DbReference { value, max, min };

struct DbOptions {
  DbReference ref = DbReference::value;
  double ref_value = 1.0;  // with DbReference::value
  double amin = 1e-10;     // power_to_db's default; amplitude_to_db's is 1e-5
  double top_db = 80.0;    // negative: no clamping
  // top_db, db_ref and ref. amin is not a setting: features use librosa's
  // default of the scaling they apply (power_to_db's differs from amplitude_to_db's).
  void register_settings(Settings& s);
};

// 10 log10(max(amin, S)) - 10 log10(max(amin, ref)), then clamped to max - top_db.
Matrix power_to_db(const Matrix& power, const DbOptions& options = {});
// power_to_db(S^2) with ref^2 and amin^2, the reference taken from |S|.
Matrix amplitude_to_db(const Matrix& magnitude, DbOptions options);
DbOptions amplitude_db_defaults();  // amin 1e-5, ref 1.0, top_db 80
// What a feature applies: the settings' top_db, db_ref and ref with librosa's
// amin of each scaling (1e-10 for power_to_db, 1e-5 for amplitude_to_db).
DbOptions power_db_options(const DbOptions& settings);
DbOptions amplitude_db_options(const DbOptions& settings);

}  // namespace ser::dsp
