"""PyTorch models of the published architectures, exported to ONNX by
torch.onnx.export, for ser's import (tests/test_onnx_import.cpp): each
model's file, a batch of inputs and PyTorch's outputs for them, listed in
cases.json as tests/test_onnx.cpp lists its own. PyTorch is Debian's
python3-torch, installed by the test command; never a dependency of ser.

usage: python3 torch_onnx_models.py OUT_DIR   (exit 77 when PyTorch is missing)
"""
import json
import os
import sys
import warnings

try:
    import torch
    from torch import nn
except ImportError:
    print("SKIPPED: python3-torch is not installed (scripts/setup.sh --test installs it)")
    sys.exit(77)


def tess_cnn1d():  # zoo::tess_cnn1d_specs(true) on [1, 2400]
    layers, channels = [], 1
    for filters, kernel in [(8, 13), (16, 11), (32, 9), (64, 7)]:
        layers += [nn.Conv1d(channels, filters, kernel), nn.ReLU(), nn.MaxPool1d(3), nn.Dropout(0.3)]
        channels = filters
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(64 * 26, 256), nn.ReLU(), nn.Dropout(0.3),
                         nn.Linear(256, 128), nn.ReLU(), nn.Dropout(0.3), nn.Linear(128, 14)), [1, 2400]


def fer_cnn():  # zoo::fer_cnn_specs on [1, 48, 48]
    return nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(64, 128, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(128, 128, 3), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(128 * 4 * 4, 1024), nn.ReLU(),
                         nn.Linear(1024, 7)), [1, 48, 48]


def ravdess_mel_cnn():  # zoo::ravdess_mel_cnn_specs on [1, 128, 165]: 5x5 'same' is padding 2
    layers, channels = [], 1
    for filters in [32, 64, 128]:
        layers += [nn.Conv2d(channels, filters, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2, 3)]
        channels = filters
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(128 * 5 * 6, 150), nn.ReLU(), nn.Linear(150, 75),
                         nn.ReLU(), nn.Linear(75, 8)), [1, 128, 165]


class LastState(nn.Module):
    """An LSTM's (or GRU's) last state into a linear layer: h_n[-1], or the sequence's last step."""

    def __init__(self, rnn, head, from_sequence):
        super().__init__()
        self.rnn, self.head, self.from_sequence = rnn, head, from_sequence

    def forward(self, x):
        out, h = self.rnn(x)
        if self.from_sequence:
            return self.head(out[:, -1, :])
        return self.head((h[0] if isinstance(h, tuple) else h)[-1])


def lstm():  # zoo::lstm_specs on [100, 40]
    return LastState(nn.LSTM(40, 128, batch_first=True), nn.Linear(128, 7), False), [100, 40]


def gru_last_step():
    return LastState(nn.GRU(40, 32, batch_first=True), nn.Linear(32, 7), True), [50, 40]


def bilstm_sequence_mlp():
    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = nn.LSTM(20, 16, batch_first=True, bidirectional=True)
            self.head = nn.Sequential(nn.Flatten(), nn.Linear(30 * 32, 5))

        def forward(self, x):
            return self.head(self.rnn(x)[0])

    return M(), [30, 20]


def mlp_batchnorm():  # batch norm kept as its own node (no constant folding into the Linear)
    return nn.Sequential(nn.Linear(88, 64), nn.BatchNorm1d(64), nn.ReLU(), nn.Dropout(0.3), nn.Linear(64, 8),
                         nn.Softmax(dim=1)), [88]


def cnn_batchnorm_gap():
    return nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.AvgPool2d(2),
                         nn.Conv2d(8, 16, 3, stride=2), nn.Tanh(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                         nn.Linear(16, 4)), [1, 40, 44]


MODELS = [tess_cnn1d, fer_cnn, ravdess_mel_cnn, lstm, gru_last_step, bilstm_sequence_mlp, mlp_batchnorm,
          cnn_batchnorm_gap]


def export(make, out_dir):
    torch.manual_seed(7)
    model, shape = make()
    model.eval()
    with torch.no_grad():  # batch norm with statistics of its own, not the initial 0 and 1
        for m in model.modules():
            if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
                m.running_mean.uniform_(-0.5, 0.5), m.running_var.uniform_(0.5, 2.0)
                m.weight.uniform_(0.5, 1.5), m.bias.uniform_(-0.5, 0.5)
    x = torch.randn(3, *shape)
    with torch.no_grad():
        y = model(x)
    name = make.__name__
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, x, os.path.join(out_dir, name + ".onnx"), input_names=["x"], output_names=["y"],
                          dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}}, opset_version=17,
                          do_constant_folding="batchnorm" not in name)
    x.numpy().astype("<f4").tofile(os.path.join(out_dir, name + ".input.f32"))
    y.numpy().astype("<f4").tofile(os.path.join(out_dir, name + ".output.f32"))
    return {"name": name, "input": list(x.shape), "output": list(y.shape)}


def main():
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    torch.set_num_threads(1)
    cases = [export(make, out_dir) for make in MODELS]
    with open(os.path.join(out_dir, "cases.json"), "w") as f:
        json.dump(cases, f, indent=1)
    print(f"{len(cases)} PyTorch {torch.__version__} models exported to {out_dir}")


if __name__ == "__main__":
    main()
