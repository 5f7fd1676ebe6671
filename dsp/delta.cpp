#include "dsp/delta.hpp"

#include <Eigen/Dense>
#include <cmath>
#include <stdexcept>
#include <vector>

namespace ser::dsp {

namespace {
double factorial(int n) {
  double f = 1;
  for (int i = 2; i <= n; ++i) f *= i;
  return f;
}

// Row vector that maps `width` samples at positions `pos` (relative to the
// point of evaluation) to the `order`-th derivative of their least-squares
// polynomial of degree `order`, evaluated at `at`.
Eigen::RowVectorXd derivative_weights(const Eigen::VectorXd& pos, int order, double at) {
  const int w = static_cast<int>(pos.size());
  Eigen::MatrixXd V(w, order + 1);
  for (int i = 0; i < w; ++i)
    for (int p = 0; p <= order; ++p) V(i, p) = std::pow(pos(i), p);
  // Coefficients c = pinv(V) x; the order-th derivative of sum c_p t^p at `at`.
  const Eigen::MatrixXd pinv = V.completeOrthogonalDecomposition().pseudoInverse();
  Eigen::RowVectorXd d = Eigen::RowVectorXd::Zero(order + 1);
  for (int p = order; p <= order; ++p) d(p) = factorial(p) / factorial(p - order) * std::pow(at, p - order);
  return d * pinv;
}
}  // namespace

Matrix delta(const Matrix& x, int width, int order) {
  if (width < 3 || width % 2 == 0) throw std::invalid_argument("delta: width must be an odd integer >= 3");
  if (order < 1) throw std::invalid_argument("delta: order must be >= 1");
  if (order >= width) throw std::invalid_argument("delta: order must be smaller than width");
  if (x.cols < width)
    throw std::invalid_argument("delta: width=" + std::to_string(width) + " cannot exceed the number of frames (" +
                                std::to_string(x.cols) + ")");
  const int half = width / 2;
  Eigen::VectorXd centred(width), from_start(width);
  for (int i = 0; i < width; ++i) {
    centred(i) = i - half;
    from_start(i) = i;
  }
  const Eigen::RowVectorXd interior = derivative_weights(centred, order, 0.0);
  std::vector<Eigen::RowVectorXd> heads, tails;
  for (int e = 0; e < half; ++e) {
    heads.push_back(derivative_weights(from_start, order, e));
    tails.push_back(derivative_weights(from_start, order, width - half + e));
  }
  Matrix out(x.rows, x.cols);
  for (int64_t r = 0; r < x.rows; ++r) {
    const double* in = x.row(r);
    double* o = out.row(r);
    for (int64_t t = half; t < x.cols - half; ++t) {
      double acc = 0;
      for (int i = 0; i < width; ++i) acc += interior(i) * in[t - half + i];
      o[t] = acc;
    }
    // 'interp' edges: the polynomial fitted to the first (last) `width` frames.
    for (int e = 0; e < half; ++e) {
      const Eigen::RowVectorXd& head = heads[static_cast<size_t>(e)];
      const Eigen::RowVectorXd& tail = tails[static_cast<size_t>(e)];
      double a = 0, b = 0;
      for (int i = 0; i < width; ++i) {
        a += head(i) * in[i];
        b += tail(i) * in[x.cols - width + i];
      }
      o[e] = a;
      o[x.cols - half + e] = b;
    }
  }
  return out;
}

}  // namespace ser::dsp
