#!/usr/bin/env python3
"""Real MLX's run of the `mnist_digits` example (same data, split, model, optimizer, batch and
epochs), for comparing wall time and accuracy:

    python3 tools/mnist_digits_mlx.py          # needs mlx[cpu]==0.32.4 and numpy
"""
import os
import time

import numpy as np
import mlx.core as mx
import mlx.nn as nn
import mlx.optimizers as optim

HIDDEN, EPOCHS, BATCH, LR = 128, 20, 32, 1e-3
M64 = (1 << 64) - 1


class Rng:
    """The example's SplitMix64 shuffle, so the split is the same."""

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


def main():
    mx.set_default_device(mx.cpu)
    d = np.load(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "digits.npz"))
    images, labels = d["images"].astype(np.float32) / 16.0, d["labels"].astype(np.int32)
    n = len(labels)
    start = time.perf_counter()
    rng = Rng(42)
    order = list(range(n))
    rng.shuffle(order)
    n_test = n // 5
    test_idx, train_idx = order[:n_test], order[n_test:]
    mx.random.seed(0)
    model = nn.Sequential(nn.Linear(64, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, 10))
    mx.eval(model.parameters())
    opt = optim.Adam(learning_rate=LR)

    def loss_fn(m, x, y):
        return nn.losses.cross_entropy(m(x), y, reduction="mean")

    loss_and_grad = nn.value_and_grad(model, loss_fn)
    for epoch in range(1, EPOCHS + 1):
        rng.shuffle(train_idx)
        total = 0.0
        for s in range(0, len(train_idx), BATCH):
            idx = train_idx[s : s + BATCH]
            x, y = mx.array(images[idx]), mx.array(labels[idx])
            loss, grads = loss_and_grad(model, x, y)
            opt.update(model, grads)
            mx.eval(model.parameters(), opt.state, loss)
            total += loss.item() * len(idx)
        print(f"epoch {epoch:2}/{EPOCHS}  loss {total / len(train_idx):.4f}")
    x, y = mx.array(images[test_idx]), mx.array(labels[test_idx])
    acc = (mx.argmax(model(x), axis=1) == y).astype(mx.float32).mean().item()
    print(f"test accuracy: {acc * 100:.2f}% ({len(test_idx)} images)")
    print(f"wall time (training + test): {time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    main()
