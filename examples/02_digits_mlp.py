"""The torch-shaped training loop: an MLP learns the bundled handwritten digits.

Model, loss, optimizer, and the four lines every loop repeats (``zero_grad``,
forward, ``backward``, ``step``), on the 8x8 digits bundled with tinyoptim. A
``tinyoptim.History`` attached to the optimizer records the loss, lr, gradient norm and
step time of every step; a cosine schedule lowers the lr as training ends. It prints the
test accuracy and writes ``OUT/digits_history.png`` (loss, lr, grad norm, step time).

    python examples/02_digits_mlp.py --out examples-out
"""

from __future__ import annotations

import argparse
import os

import tinyoptim
from tinyoptim import nn, optim
from tinyoptim.data import load_digits, stratified_split
from tinyoptim.optim.lr_scheduler import CosineAnnealingLR


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="examples-out")
    parser.add_argument("--epochs", type=int, default=20)
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)

    tinyoptim.manual_seed(0)
    images, labels = load_digits()
    train, test = stratified_split(labels, test_fraction=0.25, seed=0)
    x_train, y_train = tinyoptim.tensor(images[train]), tinyoptim.tensor(labels[train])
    x_test, y_test = tinyoptim.tensor(images[test]), tinyoptim.tensor(labels[test])

    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
    loss_fn = nn.CrossEntropyLoss()
    optimizer = optim.Adam(model.parameters(), lr=3e-3)
    history = tinyoptim.History(optimizer)
    batch_size = 64
    steps = args.epochs * -(-len(train) // batch_size)
    scheduler = CosineAnnealingLR(optimizer, T_max=steps)

    for epoch in range(args.epochs):
        order = tinyoptim.randperm(len(train))
        for first in range(0, len(train), batch_size):
            rows = order[first : first + batch_size]
            optimizer.zero_grad()
            loss = loss_fn(model(x_train[rows]), y_train[rows])
            loss.backward()
            optimizer.step()
            history.log_loss(loss)
            scheduler.step()
        print(f"epoch {epoch + 1:2d}  last batch loss {loss.item():.4f}")

    with tinyoptim.no_grad():
        accuracy = (model(x_test).argmax(dim=1) == y_test).float().mean().item()
    print(f"test accuracy {accuracy:.2%} after {len(history)} steps")
    path = os.path.join(args.out, "digits_history.png")
    history.plot(path, dpi=80)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
