#!/usr/bin/env python3
"""Extracts scikit-learn's digits data set into data/digits.npz (run once; the file is committed).

    pip install scikit-learn numpy
    python3 data/extract_digits.py

The digits data (1797 8x8 images of handwritten digits, pixel values 0..16, and their labels)
is the UCI "Optical Recognition of Handwritten Digits" test set as shipped with scikit-learn,
under scikit-learn's BSD-3-Clause licence (see data/README.md).

Output: images uint8 (1797, 64), labels uint8 (1797,), in scikit-learn's order; compressed npz.
"""
import os

import numpy as np
from sklearn.datasets import load_digits

d = load_digits()
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "digits.npz")
np.savez_compressed(out, images=d.data.astype(np.uint8), labels=d.target.astype(np.uint8))
print(out, os.path.getsize(out), "bytes")
