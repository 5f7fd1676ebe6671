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

with open(os.path.join(OUT, "manifest.json"), "w") as f:
    json.dump(MANIFEST, f, indent=1)
    f.write("\n")
