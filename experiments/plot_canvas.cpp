#include "experiments/plot_canvas.hpp"

#include <cmath>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <stdexcept>
#include <vector>

#include "common/atomic_file.hpp"

namespace ser::experiments::plot {

cv::Scalar colour(int index) {
  static const cv::Scalar palette[] = {{180, 119, 31},  {14, 127, 255},  {44, 160, 44},   {40, 39, 214},
                                       {189, 103, 148}, {75, 86, 140},   {194, 119, 227}, {127, 127, 127},
                                       {34, 189, 188},  {207, 190, 23},  {232, 199, 174}, {120, 187, 255},
                                       {138, 223, 152}, {150, 152, 255}, {213, 176, 197}, {148, 156, 196},
                                       {210, 182, 247}, {199, 199, 199}, {141, 219, 219}, {229, 218, 158}};
  return palette[index % 20];
}

void text(cv::Mat& img, const std::string& s, cv::Point at, double scale, cv::Scalar c) {
  cv::putText(img, s, at, cv::FONT_HERSHEY_SIMPLEX, scale, c, 1, cv::LINE_AA);
}

int text_width(const std::string& s, double scale) {
  int baseline = 0;
  return cv::getTextSize(s, cv::FONT_HERSHEY_SIMPLEX, scale, 1, &baseline).width;
}

void require_png(const std::string& path, const std::string& option) {
  if (path.size() < 4 || path.substr(path.size() - 4) != ".png")
    throw std::runtime_error(option + " " + path + ": the picture is a PNG; give a name ending in .png");
}

void write_png(const std::string& path, const cv::Mat& img, const std::string& option) {
  require_png(path, option);
  std::vector<uchar> png;
  if (!cv::imencode(".png", img, png))
    throw std::runtime_error(option + " " + path + ": OpenCV could not encode the PNG");
  write_file_atomically(path, std::string_view(reinterpret_cast<const char*>(png.data()), png.size()));
}

double nice_step(double top, int ticks) {
  const double raw = std::max(top, 1e-12) / std::max(ticks, 1);
  const double decade = std::pow(10.0, std::floor(std::log10(raw)));
  for (const double m : {1.0, 2.0, 5.0, 10.0})
    if (m * decade >= raw) return m * decade;
  return 10 * decade;
}

}  // namespace ser::experiments::plot
