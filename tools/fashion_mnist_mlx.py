#!/usr/bin/env python3
"""Real MLX's run of the `fashion_mnist` example (same data, models, optimizer, batch, epochs
and batch order), for comparing wall time and accuracy:

    python3 tools/fashion_mnist_mlx.py          # the MLP
    python3 tools/fashion_mnist_mlx.py --cnn    # the small CNN

Needs mlx[cpu]==0.32.4, numpy and the data set (`apt-get install -y dataset-fashion-mnist`,
which installs /usr/share/datasets/fashion-mnist/*.gz).
"""
import gzip
import os
import sys
import time

import numpy as np
import mlx.core as mx
import mlx.nn as nn
import mlx.optimizers as optim

DATA = "/usr/share/datasets/fashion-mnist"
M64 = (1 << 64) - 1
# (epochs, batch, learning rate) of each model: the same constants as the Rust example.
MLP = (5, 64, 1e-3)
CNN = (2, 64, 2e-3)


class Rng:
    """The example's SplitMix64 shuffle, so both see the same batches."""

    def __init__(self, s):
        self.s = s

    def next(self):
        self.s = (self.s + 0x9E3779B97F4A7C15) & M64
        z = self.s
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
        return z ^ (z >> 31)

    def shuffle(self, v):
        for i in range(len(v) - 1, 0, -1):
            j = self.next() % (i + 1)
            v[i], v[j] = v[j], v[i]


def idx(name):
    with gzip.open(os.path.join(DATA, name)) as f:
        raw = f.read()
    nd = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(nd)]
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * nd).reshape(dims)


def mlp():
    return nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))


def cnn():
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        Flatten(),
        nn.Linear(7 * 7 * 16, 10),
    )


class Flatten(nn.Module):
    """(N, ...) -> (N, prod(...)); mlx.nn has no Flatten layer."""

    def __call__(self, x):
        return x.reshape(x.shape[0], -1)


def main():
    use_cnn = "--cnn" in sys.argv[1:]
    if not os.path.isdir(DATA):
        sys.exit(f"{DATA} not found: apt-get install -y dataset-fashion-mnist")
    mx.set_default_device(mx.cpu)
    start = time.perf_counter()
    train_x = idx("train-images-idx3-ubyte.gz").astype(np.float32) / 255.0
    train_y = idx("train-labels-idx1-ubyte.gz").astype(np.int32)
    test_x = idx("t10k-images-idx3-ubyte.gz").astype(np.float32) / 255.0
    test_y = idx("t10k-labels-idx1-ubyte.gz").astype(np.int32)
    shape = (-1, 28, 28, 1) if use_cnn else (-1, 784)
    train_x, test_x = train_x.reshape(shape), test_x.reshape(shape)
    epochs, batch, lr = CNN if use_cnn else MLP
    mx.random.seed(0)
    model = cnn() if use_cnn else mlp()
    mx.eval(model.parameters())
    opt = optim.Adam(learning_rate=lr)

    def loss_fn(m, x, y):
        return nn.losses.cross_entropy(m(x), y, reduction="mean")

    loss_and_grad = nn.value_and_grad(model, loss_fn)
    rng = Rng(42)
    order = list(range(len(train_y)))
    for epoch in range(1, epochs + 1):
        rng.shuffle(order)
        t0 = time.perf_counter()
        total = 0.0
        for s in range(0, len(order), batch):
            ids = order[s: s + batch]
            x, y = mx.array(train_x[ids]), mx.array(train_y[ids])
            loss, grads = loss_and_grad(model, x, y)
            opt.update(model, grads)
            mx.eval(model.parameters(), opt.state, loss)
            total += loss.item() * len(ids)
        print(f"epoch {epoch}/{epochs}  loss {total / len(order):.4f}  ({(time.perf_counter() - t0) * 1e3:.0f} ms)")
    model.eval()
    correct = 0
    for s in range(0, len(test_y), 1000):
        logits = model(mx.array(test_x[s: s + 1000]))
        correct += (mx.argmax(logits, axis=1) == mx.array(test_y[s: s + 1000])).sum().item()
    print(f"test accuracy: {correct / len(test_y) * 100:.2f}% ({len(test_y)} images)")
    print(f"wall time (loading + training + test): {time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    main()
