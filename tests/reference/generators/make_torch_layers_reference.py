#!/usr/bin/python3
"""PyTorch golden values for the layers ser added after ../shared/reference
was made (that folder is read-only): for each case the input, the output,
an upstream gradient and PyTorch's gradients of every input and parameter,
as .npy files in OUT/<case>/ plus OUT/manifest.json. float64, seeded.

    /usr/bin/python3 tests/reference/generators/make_torch_layers_reference.py tests/reference/torch
"""
import json
import os
import sys

import numpy as np
import torch
import torch.nn as nn

OUT = sys.argv[1]
torch.manual_seed(19)
torch.set_default_dtype(torch.float64)
MANIFEST = {"generator": "PyTorch " + torch.__version__, "dtype": "float64", "cases": {}}


def save(case, description, arrays):
    folder = os.path.join(OUT, case)
    os.makedirs(folder, exist_ok=True)
    shapes = {}
    for key, value in arrays.items():
        a = value.detach().numpy() if torch.is_tensor(value) else np.asarray(value)
        np.save(os.path.join(folder, key + ".npy"), a)
        shapes[key] = list(a.shape)
    MANIFEST["cases"][case] = {"description": description, "arrays": shapes}


def layer_case(case, description, module, x):
    x = x.clone().requires_grad_(True)
    y = module(x)
    upstream = torch.randn_like(y)
    (y * upstream).sum().backward()
    arrays = {"x": x, "y": y, "grad_y": upstream, "grad_x": x.grad}
    for name, p in module.named_parameters():
        arrays[name.replace(".", "_")] = p
        arrays["grad_" + name.replace(".", "_")] = p.grad
    save(case, description, arrays)


class Sequence(nn.Module):
    """A recurrent layer's outputs at every step."""

    def __init__(self, rnn):
        super().__init__()
        self.rnn = rnn

    def forward(self, x):
        y, _ = self.rnn(x)
        return y


layer_case("gru_seq", "GRU(input 5, hidden 4), batch_first, zero initial state, every step's h [N,T,H]",
           Sequence(nn.GRU(5, 4, batch_first=True)), torch.randn(2, 6, 5))



class LastSteps(nn.Module):
    """A bidirectional layer's [forward direction at the last step, backward at the first]."""

    def __init__(self, rnn):
        super().__init__()
        self.rnn = rnn

    def forward(self, x):
        y, _ = self.rnn(x)
        h = self.rnn.hidden_size
        return torch.cat([y[:, -1, :h], y[:, 0, h:]], dim=1)


class StatsPool(nn.Module):
    def forward(self, x):
        mean = x.mean(dim=1)
        var = ((x - mean[:, None, :]) ** 2).mean(dim=1)
        return torch.cat([mean, torch.sqrt(var + 1e-5)], dim=1)


class AttentionPool(nn.Module):
    def __init__(self, features, units):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(units, features) * 0.5)
        self.bias = nn.Parameter(torch.randn(units) * 0.1)
        self.context = nn.Parameter(torch.randn(units))

    def forward(self, x):
        scores = torch.tanh(x @ self.weight.T + self.bias) @ self.context
        alpha = torch.softmax(scores, dim=1)
        return (alpha[:, :, None] * x).sum(dim=1)


class ToSequence(nn.Module):
    def forward(self, x):  # [N, C, H, W] -> [N, W, C*H]
        n, c, h, w = x.shape
        return x.permute(0, 3, 1, 2).reshape(n, w, c * h)


class GlobalAvgPool(nn.Module):
    def forward(self, x):
        return x.mean(dim=tuple(range(2, x.dim())))


layer_case("bigru_seq", "GRU(5, 4, bidirectional), every step's [forward h, backward h] [N,T,2H]",
           Sequence(nn.GRU(5, 4, batch_first=True, bidirectional=True)), torch.randn(2, 6, 5))
layer_case("bilstm_last", "LSTM(3, 4, bidirectional): [forward h at the last step, backward h at the first] [N,2H]",
           LastSteps(nn.LSTM(3, 4, batch_first=True, bidirectional=True)), torch.randn(2, 7, 3))
layer_case("stats_pool", "mean and sqrt(biased variance + 1e-5) over the steps [N,2F]", StatsPool(),
           torch.randn(3, 8, 5))
layer_case("attention_pool", "softmax_t(v . tanh(W x_t + b))-weighted sum of the steps, U = 6 [N,F]",
           AttentionPool(5, 6), torch.randn(3, 8, 5))
layer_case("to_sequence", "[N,C,H,W] -> [N,W,C*H] (x.permute(0,3,1,2).reshape)", ToSequence(), torch.randn(2, 3, 4, 5))
layer_case("global_avg_pool", "mean over everything after the channels [N,C]", GlobalAvgPool(),
           torch.randn(2, 3, 4, 5))



def smoothing_case(case, description, weight):
    logits = torch.randn(6, 5, requires_grad=True)
    target = torch.tensor([0, 4, 2, 2, 1, 3])
    loss = nn.functional.cross_entropy(logits, target, weight=weight, label_smoothing=0.1)
    loss.backward()
    arrays = {"logits": logits, "target": target.double(), "loss": loss.reshape(1), "grad_logits": logits.grad}
    if weight is not None:
        arrays["weight"] = weight
    save(case, description, arrays)


smoothing_case("cross_entropy_smoothing", "F.cross_entropy(label_smoothing=0.1), mean over the batch", None)
smoothing_case("cross_entropy_smoothing_weighted", "F.cross_entropy(weight=w, label_smoothing=0.1)",
               torch.tensor([0.5, 1.0, 2.0, 1.5, 0.75]))

with open(os.path.join(OUT, "manifest.json"), "w") as f:
    json.dump(MANIFEST, f, indent=1)
    f.write("\n")
