#pragma once
// Loaders for the speech corpora, each following its published naming
// convention (see ../shared/data/README.md). Labels come from file names,
// never from folder names, whose capitalisation varies between copies.
//
//   TESS     <SPK>_<word>_<emotion>.<ext>, SPK in OAF/YAF, emotion angry disgust
//            fear happy neutral ps sad (ps = pleasant surprise)
//   RAVDESS  MM-VC-EE-II-SS-RR-AA.<ext>: modality, vocal channel (01 speech,
//            02 song), emotion 01-08, intensity, statement, repetition, actor
//            (odd = male, even = female)
//   SAVEE    <SPK>_<code><NN>.<ext> (or <SPK>/<code><NN>.<ext>), SPK in DC JE JK
//            KL, code a d f h n sa su
//   CREMA-D  <actor>_<sentence>_<EMO>_<level>.<ext>, EMO in ANG DIS FEA HAP NEU
//            SAD, level LO MD HI XX; genders from VideoDemographics.csv in the
//            root or the folder above it, when present
//   folders  any labelled collection (your own recordings, the demo corpus):
//            <label>/<speaker>_<anything>.<ext>; here the label is the folder

#include <string>

#include "datasets/corpus.hpp"

namespace ser::datasets {

struct AudioCorpusOptions {
  // TESS only: 14 classes of speaker x emotion ("OAF_angry"), as the
  // published TESS 1D CNN; otherwise the 7 emotions.
  bool tess_speaker_emotion = false;
  // RAVDESS only: include the sung files (vocal channel 02).
  bool ravdess_song = true;
  double min_seconds = 0.1;  // shorter files are skipped as "too short"
  bool probe = true;         // open each header for duration and rate (unreadable files are skipped)
};

Corpus load_tess(const std::string& root, const AudioCorpusOptions& options = {});
Corpus load_ravdess(const std::string& root, const AudioCorpusOptions& options = {});
Corpus load_savee(const std::string& root, const AudioCorpusOptions& options = {});
Corpus load_cremad(const std::string& root, const AudioCorpusOptions& options = {});
// Labels are the sub-folders of `root` (sorted); the speaker is the file name up to its first '_'.
Corpus load_labelled_folders(const std::string& root, const AudioCorpusOptions& options = {});

}  // namespace ser::datasets
