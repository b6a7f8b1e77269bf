"""The differentiable ops, one family per file: each a ``Function`` with static
``forward``/``backward`` on backend arrays."""
