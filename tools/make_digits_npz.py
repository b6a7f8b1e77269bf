"""Rebuild ``tinyoptim/data/digits.npz`` from the copy of the digits data in scikit-learn.

The 1,797 8x8 images of the UCI ML hand-written digits data set (Alpaydin & Kaynak, 1998;
UCI Machine Learning Repository, CC BY 4.0) ship inside the scikit-learn wheel as
``sklearn/datasets/data/digits.csv.gz``: one image per line, 64 pixel counts in 0..16
(row by row), then the label 0..9. This script turns that file into a compressed ``.npz``:

    images  uint8, shape (1797, 8, 8), values 0..16
    labels  uint8, shape (1797,),      values 0..9

To reproduce the bundled file (scikit-learn is needed only here, never at run time):

    pip download scikit-learn --no-deps -d /tmp/skl
    python tools/make_digits_npz.py /tmp/skl/scikit_learn-*.whl

The argument may also be the extracted ``digits.csv.gz`` itself.
"""

import argparse
import gzip
import io
import zipfile
from pathlib import Path

import numpy as np

MEMBER = "sklearn/datasets/data/digits.csv.gz"
DEFAULT_OUT = Path(__file__).resolve().parent.parent / "tinyoptim" / "data" / "digits.npz"
N_SAMPLES = 1797


def read_csv_gz(source: Path) -> bytes:
    """Return the gzip-compressed CSV bytes, from a wheel (a zip) or a ``.csv.gz`` file."""
    if zipfile.is_zipfile(source):
        with zipfile.ZipFile(source) as wheel:
            return wheel.read(MEMBER)
    return source.read_bytes()


def parse(csv_gz: bytes) -> tuple[np.ndarray, np.ndarray]:
    """Parse the CSV into ``(images, labels)`` and check every value is in range."""
    table = np.loadtxt(io.StringIO(gzip.decompress(csv_gz).decode("ascii")), delimiter=",")
    if table.shape != (N_SAMPLES, 65):
        raise ValueError(f"expected a table of shape ({N_SAMPLES}, 65), got {table.shape}")
    if not np.array_equal(table, np.round(table)):
        raise ValueError("expected integer values only")
    pixels, labels = table[:, :64], table[:, 64]
    if pixels.min() < 0 or pixels.max() > 16:
        raise ValueError("pixel values outside 0..16")
    if set(np.unique(labels)) != set(range(10)):
        raise ValueError("labels are not exactly 0..9")
    return pixels.reshape(N_SAMPLES, 8, 8).astype(np.uint8), labels.astype(np.uint8)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="scikit-learn wheel or digits.csv.gz")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to write the .npz")
    args = parser.parse_args()

    images, labels = parse(read_csv_gz(args.source))
    np.savez_compressed(args.out, images=images, labels=labels)
    counts = np.bincount(labels, minlength=10)
    print(f"wrote {args.out}: images {images.shape} {images.dtype}, labels {labels.shape}")
    print("per class:", " ".join(f"{digit}:{n}" for digit, n in enumerate(counts)))


if __name__ == "__main__":
    main()
