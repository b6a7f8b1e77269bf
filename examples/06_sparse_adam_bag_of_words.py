"""SparseAdam on a bag-of-words classifier: only the rows a batch uses are updated.

A synthetic corpus: 4,000 "documents" of 12 word ids from a 5,000-word vocabulary,
each holding five sentiment words and seven noise words, labelled by whether more of the
sentiment words are "positive" (ids 0-99) than "negative" (ids 100-199). The model
averages word vectors from an ``nn.Embedding(5000, 16, sparse=True)`` and applies a
linear layer. The embedding's
gradient is row-sparse (a batch touches a few hundred of the 5,000 rows), so it goes to
``SparseAdam``, whose moments move only on those rows, while the dense linear layer uses
``Adam``. It prints the accuracy and how many embedding rows a step updates on average,
and writes ``OUT/bag_of_words.png`` (training loss and accuracy per epoch).

    python examples/06_sparse_adam_bag_of_words.py --out examples-out
"""

from __future__ import annotations

import argparse
import os

import tinyoptim
from tinyoptim import nn, optim

VOCAB, DIM, LENGTH = 5000, 16, 12


def make_corpus(n: int):
    """Random documents; label 1 when positive words (0-99) outnumber negative (100-199)."""
    words = tinyoptim.randint(200, VOCAB, (n, LENGTH))
    sentiment = tinyoptim.randint(0, 200, (n, 5))  # five sentiment words: no ties
    words[:, :5] = sentiment
    labels = ((sentiment < 100).long().sum(dim=1) >= 3).long()
    return words, labels


class BagOfWords(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(VOCAB, DIM, sparse=True)
        self.classify = nn.Linear(DIM, 2)

    def forward(self, words):
        return self.classify(self.embedding(words).mean(dim=1))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="examples-out")
    parser.add_argument("--epochs", type=int, default=5)
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)

    tinyoptim.manual_seed(0)
    x_train, y_train = make_corpus(4000)
    x_test, y_test = make_corpus(500)
    model = BagOfWords()
    sparse = optim.SparseAdam(model.embedding.parameters(), lr=0.01)
    dense = optim.Adam(model.classify.parameters(), lr=0.01)
    loss_fn = nn.CrossEntropyLoss()
    touched = []
    losses, accuracies = [], []
    for epoch in range(args.epochs):
        order, total = tinyoptim.randperm(4000), 0.0
        for first in range(0, 4000, 50):
            rows = order[first : first + 50]
            sparse.zero_grad()
            dense.zero_grad()
            loss = loss_fn(model(x_train[rows]), y_train[rows])
            loss.backward()
            grad = model.embedding.weight.grad
            touched.append(grad.coalesce().indices.shape[0])
            sparse.step()
            dense.step()
            total += loss.item() * 50
        with tinyoptim.no_grad():
            accuracy = (model(x_test).argmax(dim=1) == y_test).float().mean().item()
        losses.append(total / 4000)
        accuracies.append(accuracy)
        print(f"epoch {epoch + 1:2d}  loss {losses[-1]:.4f}  test accuracy {accuracy:.2%}")
    rows = sum(touched) / len(touched)
    print(f"each SparseAdam step updated {rows:.0f} of the {VOCAB} embedding rows on average")

    from matplotlib.figure import Figure  # the [plot] extra

    figure = Figure(figsize=(7.0, 3.0))
    loss_ax, accuracy_ax = figure.subplots(1, 2)
    epochs = range(1, args.epochs + 1)
    loss_ax.plot(epochs, losses, marker=".")
    loss_ax.set(xlabel="epoch", ylabel="train loss", title="SparseAdam + Adam")
    accuracy_ax.plot(epochs, accuracies, marker=".", color="C1")
    accuracy_ax.set(xlabel="epoch", ylabel="test accuracy", title="bag of words")
    figure.tight_layout()
    path = os.path.join(args.out, "bag_of_words.png")
    figure.savefig(path, dpi=80)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
