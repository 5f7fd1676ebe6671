#pragma once
// What ser's pictures share (timelines, class charts, audio plots): one
// palette, one text style, and a PNG written atomically, drawn with OpenCV.

#include <opencv2/core.hpp>
#include <string>

namespace ser::experiments::plot {

// Tableau's twenty colours (matplotlib's tab20), as BGR: colour i of a set of labels.
cv::Scalar colour(int index);
inline const cv::Scalar kInk{40, 40, 40}, kGrid{215, 215, 215}, kWhite{255, 255, 255};

void text(cv::Mat& img, const std::string& s, cv::Point at, double scale = 0.45, cv::Scalar c = kInk);
// Pixels `s` takes at `scale` (for right-aligning and centring).
int text_width(const std::string& s, double scale = 0.45);

// Throws std::runtime_error, naming `option`, unless `path` ends in .png.
void require_png(const std::string& path, const std::string& option);
// Encodes `img` as PNG and writes it atomically.
void write_png(const std::string& path, const cv::Mat& img, const std::string& option);

// "1, 2, 5, 10, 20, ..." steps: about `ticks` of them up to `top`.
double nice_step(double top, int ticks);

}  // namespace ser::experiments::plot
