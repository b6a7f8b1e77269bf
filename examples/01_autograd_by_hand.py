"""A gradcheck tour: one tiny graph, the order backward visits it, and finite differences.

It builds ``loss = sum(tanh(w * x + b))`` from three leaf tensors, prints the graph's
nodes in an order ``backward`` may run them (each after every node that consumes its
output), compares the analytic gradients with central finite differences computed by
hand, runs ``tinyoptim.autograd.gradcheck`` on the same function, and writes the graph
as Graphviz DOT text to ``OUT/graph.dot``, with no dependency: render it with
``dot -Tpng graph.dot -o graph.png`` if Graphviz is installed, or paste it into any
online DOT viewer.

    python examples/01_autograd_by_hand.py --out examples-out
"""

from __future__ import annotations

import argparse
import os

import tinyoptim
from tinyoptim.autograd import gradcheck


def loss_fn(w, x, b):
    return (w * x + b).tanh().sum()


def backward_order(root: tinyoptim.Tensor) -> list:
    """The graph nodes reachable from ``root.grad_fn``, each before the nodes that feed it.

    A post-order walk over ``node.parents()`` lists each node after the nodes that feed
    it; reversed, a node comes once all its consumers have sent their gradients, which is
    the rule backward follows. (The engine itself needs no walk: it runs the nodes that
    have a gradient latest-made first, since a node is always made after its inputs'.)
    """
    order, seen, stack = [], set(), [(root.grad_fn, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
        elif id(node) not in seen:
            seen.add(id(node))
            stack.append((node, True))
            stack.extend((parent, False) for parent in node.parents())
    return order[::-1]


def to_dot(root: tinyoptim.Tensor, names: dict) -> str:
    """The graph below ``root`` as Graphviz DOT text: ops as boxes, tensors as ovals.

    Leaves that need a gradient are solid, constants dashed. Nodes are numbered in
    backward order, so the text is the same on every run.
    """
    nodes = backward_order(root)
    number = {id(node): i for i, node in enumerate(nodes)}
    leaves: dict = {}
    lines = ["digraph autograd {", "  rankdir=BT;", '  node [fontname="Helvetica"];']
    lines.append(f'  loss [label="loss {tuple(root.shape)}", shape=doublecircle];')
    lines.append("  op0 -> loss;")
    for node in nodes:
        op = f"op{number[id(node)]}"
        lines.append(
            f'  {op} [label="{node.name()}", shape=box, style=filled, fillcolor="#dde8f7"];'
        )
        for tensor in node.inputs:
            if tensor is None:
                continue
            if tensor.grad_fn is not None:
                lines.append(f"  op{number[id(tensor.grad_fn)]} -> {op};")
                continue
            if id(tensor) not in leaves:  # a tensor the user made: draw it once
                leaves[id(tensor)] = leaf = f"t{len(leaves)}"
                style = "solid" if tensor.requires_grad else "dashed"
                label = f"{names.get(id(tensor), 'tensor')} {tuple(tensor.shape)} {tensor.dtype}"
                lines.append(f'  {leaf} [label="{label}", shape=oval, style={style}];')
            lines.append(f"  {leaves[id(tensor)]} -> {op};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="examples-out")
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)

    tinyoptim.manual_seed(0)
    w = tinyoptim.randn(3, dtype=tinyoptim.float64, requires_grad=True)
    x = tinyoptim.tensor([0.5, -1.0, 2.0], dtype=tinyoptim.float64)
    b = tinyoptim.tensor(0.1, dtype=tinyoptim.float64, requires_grad=True)

    loss = loss_fn(w, x, b)
    print("loss =", round(loss.item(), 6))
    print("backward visits:", " -> ".join(node.name() for node in backward_order(loss)))
    dot = to_dot(loss, {id(w): "w", id(x): "x", id(b): "b"})
    loss.backward()

    # d loss / d w_i = x_i (1 - tanh²(w_i x_i + b)): check it by nudging each w_i.
    eps = 1e-6
    print(f"{'':6}{'analytic':>14}{'finite diff':>14}")
    for i in range(3):
        with tinyoptim.no_grad():
            nudge = tinyoptim.zeros(3, dtype=tinyoptim.float64)
            nudge[i] = eps
            up, down = loss_fn(w + nudge, x, b).item(), loss_fn(w - nudge, x, b).item()
        print(f"dw[{i}] {w.grad[i].item():>14.8f}{(up - down) / (2 * eps):>14.8f}")
    print("gradcheck(w, b):", gradcheck(lambda w_, b_: loss_fn(w_, x, b_), (w, b)))

    path = os.path.join(args.out, "graph.dot")
    with open(path, "w") as f:
        f.write(dot)
    print(f"wrote {path} ({dot.count('->')} edges)")


if __name__ == "__main__":
    main()
