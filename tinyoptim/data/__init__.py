"""Bundled data: the 8x8 handwritten digits that `python -m tinyoptim demo` trains on.

``digits.npz`` holds the 1,797 images of the UCI ML hand-written digits data set
(E. Alpaydin and C. Kaynak, 1998, "Optical Recognition of Handwritten Digits"),
distributed by the UCI Machine Learning Repository under CC BY 4.0. The copy here was
converted from the one scikit-learn ships (``sklearn/datasets/data/digits.csv.gz``) by
``tools/make_digits_npz.py``; scikit-learn is not needed to use it.

Each image is 8x8 pixel counts in 0..16 (a 32x32 bitmap counted in 4x4 blocks); the
ten classes hold 174 to 183 images each.
"""

import io
from importlib import resources

import numpy as np

__all__ = ["load_digits"]


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """Return the digits as ``(images, labels)`` NumPy arrays, read offline from the package.

    ``images`` is float32 of shape ``(1797, 64)``: each 8x8 image flattened row by row
    and divided by 16, so values lie in [0, 1] (and are exact: k/16 is a float32).
    ``labels`` is int64 of shape ``(1797,)`` with values 0..9.

    >>> images, labels = load_digits()
    >>> images.shape, labels.shape
    ((1797, 64), (1797,))
    """
    raw = resources.files(__name__).joinpath("digits.npz").read_bytes()
    with np.load(io.BytesIO(raw)) as archive:
        images = archive["images"].reshape(len(archive["images"]), 64)
        labels = archive["labels"]
    return images.astype(np.float32) / np.float32(16), labels.astype(np.int64)
