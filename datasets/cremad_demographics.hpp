#pragma once
// CREMA-D's VideoDemographics.csv (ActorID,Age,Sex,Race,Ethnicity): the one
// place the corpus says who is female and who is male. The file sits at the
// top of the CREMA-D repository, beside AudioWAV/; copies of the audio alone
// (Kaggle's) leave it out, and then CREMA-D samples have no gender.

#include <map>
#include <optional>
#include <string>

namespace ser::datasets {

// Actor id ("1001") -> "female" or "male". Throws std::invalid_argument naming
// the file and line of a malformed row or a Sex that is neither Male nor Female.
std::map<std::string, std::string> read_cremad_genders(const std::string& csv_path);

// VideoDemographics.csv in the audio root or the folder above it, if present.
std::optional<std::string> find_cremad_demographics(const std::string& audio_root);

}  // namespace ser::datasets
