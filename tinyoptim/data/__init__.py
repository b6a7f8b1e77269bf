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

__all__ = ["load_digits", "stratified_split"]


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


def stratified_split(
    labels: np.ndarray, test_fraction: float = 0.25, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Indices ``(train, test)`` holding out ``test_fraction`` of every class.

    The split depends only on ``seed``, so every run and every optimizer sees the same one.

    >>> train, test = stratified_split(load_digits()[1])
    >>> len(train), len(test)
    (1347, 450)
    """
    rng = np.random.default_rng(seed)
    train, test = [], []
    for label in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == label))
        cut = int(round(len(members) * test_fraction))
        test.append(members[:cut])
        train.append(members[cut:])
    return rng.permutation(np.concatenate(train)), np.sort(np.concatenate(test))
