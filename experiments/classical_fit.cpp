#include "experiments/classical_fit.hpp"

#include <algorithm>
#include <chrono>

#include "nn/classical/linear_svm.hpp"
#include "nn/classical/logistic_regression.hpp"

namespace ser::experiments {

namespace {
struct TrainingRows {
  std::vector<float> x;
  std::vector<int32_t> y;
  nn::classical::Rows rows(int64_t d, int classes) const { return {x, y, static_cast<int64_t>(y.size()), d, classes}; }
};

TrainingRows gather(const PreparedData& p, const std::vector<size_t>& idx) {
  const auto d = static_cast<size_t>(p.sample_shape.numel());
  TrainingRows t;
  t.x.reserve(idx.size() * d);
  for (size_t i : idx) {
    t.x.insert(t.x.end(), p.x.begin() + static_cast<std::ptrdiff_t>(i * d),
               p.x.begin() + static_cast<std::ptrdiff_t>((i + 1) * d));
    t.y.push_back(p.y[i]);
  }
  return t;
}

void set_state(nn::Sequential& model, const std::string& name, const std::vector<float>& values) {
  for (auto& [n, tensor] : model.state())
    if (n.size() >= name.size() && n.compare(n.size() - name.size(), name.size(), name) == 0) {
      std::copy(values.begin(), values.end(), tensor.data());
      return;
    }
}
}  // namespace

nn::Sequential fit_classical(const ExperimentConfig& c, const PreparedData& p, const std::vector<size_t>& train_rows,
                             int threads, std::ostream& log) {
  const int64_t d = p.sample_shape.numel();
  const int classes = static_cast<int>(p.corpus.labels.size());
  const TrainingRows t = gather(p, train_rows);
  const ClassicalConfig& m = c.model;
  const auto t0 = std::chrono::steady_clock::now();
  Rng rng(c.seed);
  std::vector<nn::LayerSpec> specs = {nn::LayerSpec("flatten")};
  if (m.kind == ModelKind::knn) {
    nn::LayerSpec knn("knn");
    knn.set("k", std::to_string(m.k));
    knn.set("rows", std::to_string(t.y.size()));
    knn.set("classes", std::to_string(classes));
    specs.push_back(knn);
    nn::Sequential model(specs, p.sample_shape, rng, c.name);
    set_state(model, ".memory", t.x);
    set_state(model, ".labels", std::vector<float>(t.y.begin(), t.y.end()));
    log << "knn: " << t.y.size() << " training rows of " << d << " features remembered, k = " << m.k << "\n";
    return model;
  }
  nn::classical::LinearModel fitted;
  if (m.kind == ModelKind::logistic)
    fitted = nn::classical::fit_logistic(t.rows(d, classes), {.C = m.C, .max_iter = m.max_iter});
  else
    fitted =
        nn::classical::fit_linear_svm(t.rows(d, classes), {.C = m.C, .max_iter = m.max_iter, .seed = c.seed}, threads);
  nn::LayerSpec dense("dense");
  dense.set("units", std::to_string(classes));
  specs.push_back(dense);
  nn::Sequential model(specs, p.sample_shape, rng, c.name);
  set_state(model, ".weight", fitted.weight);
  set_state(model, ".bias", fitted.bias);
  log << name_of(m.kind, kModelKinds) << ": " << (fitted.converged ? "converged" : "stopped at max_iter") << " after "
      << fitted.iterations << (m.kind == ModelKind::logistic ? " L-BFGS iterations" : " passes") << ", objective "
      << fitted.objective << ", " << std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()
      << " s\n";
  if (!fitted.converged) log << "  (raise model.max_iter for the optimum)\n";
  return model;
}

}  // namespace ser::experiments
