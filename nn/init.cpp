#include "nn/init.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace ser::nn {

Init parse_init(const std::string& name) {
  if (name == "glorot_uniform") return Init::glorot_uniform;
  if (name == "glorot_normal") return Init::glorot_normal;
  if (name == "he_uniform") return Init::he_uniform;
  if (name == "he_normal") return Init::he_normal;
  if (name == "orthogonal") return Init::orthogonal;
  if (name == "zeros") return Init::zeros;
  if (name == "ones") return Init::ones;
  throw std::invalid_argument("unknown initializer '" + name +
                              "' (glorot_uniform, glorot_normal, he_uniform, he_normal, orthogonal, zeros, ones)");
}

void initialize(Tensor& t, Init kind, int64_t fan_in, int64_t fan_out, Rng& rng) {
  float* p = t.data();
  const int64_t n = t.numel();
  auto uniform = [&](double limit) {
    for (int64_t i = 0; i < n; ++i) p[i] = rng.uniform(static_cast<float>(-limit), static_cast<float>(limit));
  };
  auto normal = [&](double stddev) {
    for (int64_t i = 0; i < n; ++i) p[i] = static_cast<float>(stddev) * rng.normal();
  };
  switch (kind) {
    case Init::glorot_uniform:
      uniform(std::sqrt(6.0 / static_cast<double>(fan_in + fan_out)));
      break;
    case Init::glorot_normal:
      normal(std::sqrt(2.0 / static_cast<double>(fan_in + fan_out)));
      break;
    case Init::he_uniform:
      uniform(std::sqrt(6.0 / static_cast<double>(fan_in)));
      break;
    case Init::he_normal:
      normal(std::sqrt(2.0 / static_cast<double>(fan_in)));
      break;
    case Init::zeros:
      std::fill_n(p, n, 0.0f);
      break;
    case Init::ones:
      std::fill_n(p, n, 1.0f);
      break;
    case Init::orthogonal: {
      const int64_t rows = t.dim(0), cols = n / rows;
      const int64_t tall = std::max(rows, cols), wide = std::min(rows, cols);
      Eigen::MatrixXd a(tall, wide);
      for (int64_t i = 0; i < tall; ++i)
        for (int64_t j = 0; j < wide; ++j) a(i, j) = rng.normal();
      Eigen::HouseholderQR<Eigen::MatrixXd> qr(a);
      Eigen::MatrixXd q = qr.householderQ() * Eigen::MatrixXd::Identity(tall, wide);
      // Sign correction makes the distribution uniform over orthogonal matrices.
      const Eigen::MatrixXd r = qr.matrixQR().topRows(wide).triangularView<Eigen::Upper>();
      for (int64_t j = 0; j < wide; ++j)
        if (r(j, j) < 0) q.col(j) *= -1.0;
      for (int64_t i = 0; i < rows; ++i)
        for (int64_t j = 0; j < cols; ++j) p[i * cols + j] = static_cast<float>(rows >= cols ? q(i, j) : q(j, i));
      break;
    }
  }
}

}  // namespace ser::nn
