"""Train, checkpoint and resume the cases of tests/test_resume_matrix.py, many per process.

Run as a script with the repository on ``sys.path``::

    python tests/resume_worker.py train JOB.json    # per case: 2k steps straight, and k steps
                                                     # then a checkpoint
    python tests/resume_worker.py resume JOB.json   # per case: fresh objects, load, k more steps

``JOB.json`` holds ``{"dtype": ..., "device": ..., "k": ..., "cases": [...]}``; each case
names its optimizer, scheduler and files (see ``cases``). The results (the parameters, and
the optimizer, scheduler and RNG state at the end) go back to the test through
``numpy.savez``, so that the channel reporting them is not the code under test.
The default device is the one ``TINYOPTIM_DEVICE`` selects (the test passes its
environment on). The parameters have the job's dtype, and so does the default dtype
unless the case names another ``default_dtype``: then the optimizers' 0-d bookkeeping
(``step``, NAdam's ``mu_product``, ASGD's ``eta`` and ``mu``) has a dtype of its own, and a
load that cast it to the parameters' dtype would show.

Every step draws from tinyoptim's generator (the minibatch rows, and dropout masks for the
dense model), so a resume that did not restore the RNG state would go astray.
"""

from __future__ import annotations

import json
import sys

import numpy as np

import tinyoptim
from tinyoptim import nn
from tinyoptim.data import load_digits
from tinyoptim.optim import lr_scheduler

# Each optimizer with options that give it all of its state (momentum buffers, amsgrad's
# maxima, ASGD's averaging after t0, LBFGS's history past history_size, ...).
OPTIMIZERS = {
    "SGD": {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 1e-3},
    "Adam": {"lr": 0.01, "amsgrad": True, "weight_decay": 1e-3},
    "AdamW": {"lr": 0.01, "weight_decay": 0.05},
    "SparseAdam": {"lr": 0.05},
    "Adamax": {"lr": 0.02, "weight_decay": 1e-3},
    "Adadelta": {"lr": 1.0, "weight_decay": 1e-3},
    "Adagrad": {"lr": 0.1, "lr_decay": 0.01, "initial_accumulator_value": 0.1},
    "ASGD": {"lr": 0.05, "lambd": 1e-3, "t0": 3.0},
    "LBFGS": {"lr": 0.5, "max_iter": 4, "history_size": 3},
    "RMSprop": {"lr": 0.01, "momentum": 0.9, "centered": True, "weight_decay": 1e-3},
    "Rprop": {"lr": 0.01},
    "NAdam": {"lr": 0.01, "weight_decay": 1e-3, "decoupled_weight_decay": True},
    "RAdam": {"lr": 0.01, "weight_decay": 1e-3},
    "Adafactor": {"lr": 0.01, "weight_decay": 1e-3},
}
# Extra configurations, each run without a scheduler and with StepLR.
VARIANTS = {
    "LBFGS-strong_wolfe": ("LBFGS", {"lr": 0.5, "max_iter": 4, "line_search_fn": "strong_wolfe"}),
}
# SequentialLR hands over to its cosine before the checkpoint; these optimizers also run a
# late hand-over, after it, so that the warmup's saved state matters too.
LATE_HANDOVER = ["SGD", "Adam"]
SCHEDULERS = [None, "StepLR", "CosineAnnealingWarmRestarts", "SequentialLR"]
# The optimizers torch 2.13's OneCycleLR accepts: those with "momentum" or "betas" defaults.
ONE_CYCLE = ["SGD", "Adam", "AdamW", "SparseAdam", "Adamax", "RMSprop", "NAdam", "RAdam"]
ROWS, BATCH = 96, 16  # the dense model trains on minibatches of the first ROWS digits


def cases() -> list[dict]:
    """The matrix: ``{"id", "optimizer", "kwargs", "scheduler"}`` per case."""
    out = []
    for name, kwargs in OPTIMIZERS.items():
        schedulers = SCHEDULERS + (["OneCycleLR"] if name in ONE_CYCLE else [])
        for sched in schedulers:
            out.append({"optimizer": name, "kwargs": kwargs, "scheduler": sched, "label": name})
    for label, (name, kwargs) in VARIANTS.items():
        for sched in [None, "StepLR"]:
            out.append({"optimizer": name, "kwargs": kwargs, "scheduler": sched, "label": label})
    for name in LATE_HANDOVER:
        case = {"optimizer": name, "kwargs": OPTIMIZERS[name], "scheduler": "SequentialLR-late"}
        out.append({**case, "label": name})
    for case in out:
        case["id"] = f"{case.pop('label')}-{case['scheduler'] or 'constant'}"
    return out


class Bags(nn.Module):
    """An embedding bag: the mean of each bag's sparse embeddings, then a linear head."""

    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding(40, 8, sparse=True)
        self.head = nn.Linear(8, 3)

    def forward(self, ids):
        return self.head(self.embed(ids).mean(dim=1))


class Setup:
    """A case's model, optimizers, scheduler and data, built from scratch."""

    def __init__(self, case: dict, k: int, dtype) -> None:
        self.case, self.k, self.dtype = case, k, dtype
        self.lbfgs = case["optimizer"] == "LBFGS"
        if case["optimizer"] == "SparseAdam":
            self._build_bags()
        else:
            self._build_dense()
        self.model.to(dtype)  # the parameters were made in the default dtype
        self.scheduler = make_scheduler(case["scheduler"], self.optimizer, k)

    def _build_dense(self) -> None:
        images, labels = load_digits()
        self.x = tinyoptim.tensor(images[:ROWS], dtype=self.dtype)
        self.y = tinyoptim.tensor(labels[:ROWS])
        hidden = [nn.Linear(64, 16), nn.Tanh()]
        # LBFGS evaluates its closure several times per step: keep its loss deterministic.
        dropout = [] if self.lbfgs else [nn.Dropout(0.2)]
        self.model = nn.Sequential(*hidden, *dropout, nn.Linear(16, 10))
        self.model.train()
        cls = getattr(tinyoptim.optim, self.case["optimizer"])
        kwargs = self.case["kwargs"]
        first, last = self.model[0], self.model[-1]
        if self.lbfgs:  # LBFGS takes one param group
            groups = list(self.model.parameters())
        else:  # two groups, so schedulers handle each group's own lr
            rest = {"params": list(last.parameters()), "lr": kwargs["lr"] / 2}
            groups = [{"params": list(first.parameters())}, rest]
        self.optimizer = cls(groups, **kwargs)
        self.optimizers = [self.optimizer]

    def _build_bags(self) -> None:
        """Bags of 4 ids -> mean of their sparse embeddings -> Linear: SparseAdam + Adam."""
        data = np.random.default_rng(7)
        self.x = tinyoptim.tensor(data.integers(0, 40, size=(ROWS, 4)))
        self.y = tinyoptim.tensor(data.integers(0, 3, size=ROWS))
        self.model = Bags()
        self.optimizer = tinyoptim.optim.SparseAdam(
            self.model.embed.parameters(), **self.case["kwargs"]
        )
        self.dense = tinyoptim.optim.Adam(self.model.head.parameters(), lr=0.01)
        self.optimizers = [self.optimizer, self.dense]

    def train(self, steps: int) -> None:
        loss_fn = nn.CrossEntropyLoss()
        for _ in range(steps):
            rows = tinyoptim.randint(0, ROWS, (BATCH,))
            x, y = self.x[rows], self.y[rows]
            if self.lbfgs:

                def closure(x=x, y=y):
                    self.optimizer.zero_grad()
                    loss = loss_fn(self.model(x), y)
                    loss.backward()
                    return loss

                self.optimizer.step(closure)
            else:
                for opt in self.optimizers:
                    opt.zero_grad()
                loss_fn(self.model(x), y).backward()
                for opt in self.optimizers:
                    opt.step()
            if self.scheduler is not None:
                self.scheduler.step()

    def checkpoint(self) -> dict:
        state = {
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": None if self.scheduler is None else self.scheduler.state_dict(),
            "rng": tinyoptim.get_rng_state(),
        }
        if len(self.optimizers) > 1:
            state["dense_optimizer"] = self.dense.state_dict()
        return state

    def restore(self, state: dict, omit: str | None = None) -> None:
        """Load all four (five with the dense optimizer); ``omit`` skips one, as a control."""
        self.model.load_state_dict(state["model"])
        if omit != "optimizer":
            self.optimizer.load_state_dict(state["optimizer"])
        if len(self.optimizers) > 1:
            self.dense.load_state_dict(state["dense_optimizer"])
        if self.scheduler is not None and omit != "scheduler":
            self.scheduler.load_state_dict(state["scheduler"])
        if omit != "rng":
            tinyoptim.set_rng_state(state["rng"])

    def parameters(self) -> dict:
        """Host copies of the parameters, by name."""
        return {name: p.detach().numpy() for name, p in self.model.named_parameters()}

    def results(self) -> dict:
        """The parameters (``param|name``), and everything a checkpoint holds (``state|...``).

        The state is flattened to arrays: tensors as host copies, other leaves as the text
        ``type:repr``, and the path of each names its containers (``[i]`` for a list,
        ``(i)`` for a tuple), so that equal results mean equal values, types and dtypes.
        """
        out = {f"param|{name}": value for name, value in self.parameters().items()}
        state = self.checkpoint()
        del state["model"]  # the parameters, above
        _flatten(state, "state", out)
        return out


def _flatten(obj, path: str, out: dict) -> None:
    if isinstance(obj, tinyoptim.Tensor):
        out[path] = obj.detach().numpy()
    elif isinstance(obj, dict):
        out[path] = np.array(f"dict of {len(obj)}")
        for key, value in obj.items():
            _flatten(value, f"{path}|{key!r}", out)
    elif isinstance(obj, (list, tuple)):
        out[path] = np.array(f"{type(obj).__name__} of {len(obj)}")
        brackets = "[]" if isinstance(obj, list) else "()"
        for i, value in enumerate(obj):
            _flatten(value, f"{path}{brackets[0]}{i}{brackets[1]}", out)
    elif not callable(obj):  # a scheduler's lambdas are code, not state
        out[path] = np.array(f"{type(obj).__name__}:{obj!r}")


def make_scheduler(name: str | None, opt, k: int):
    """The schedule of a run of 2k steps; each one changes the lr around step k."""
    if name is None:
        return None
    if name == "StepLR":
        return lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    if name == "CosineAnnealingWarmRestarts":  # restarts at 2, 6, 14, ...
        return lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=2, eta_min=1e-4)
    if name == "SequentialLR":  # the warmup hands over to the cosine before step k
        warmup = lr_scheduler.LinearLR(opt, start_factor=0.1, total_iters=2)
        cosine = lr_scheduler.CosineAnnealingLR(opt, T_max=2 * k, eta_min=1e-4)
        return lr_scheduler.SequentialLR(opt, [warmup, cosine], milestones=[2])
    if name == "SequentialLR-late":  # ... and after step k
        warmup = lr_scheduler.LinearLR(opt, start_factor=0.1, total_iters=k + 2)
        cosine = lr_scheduler.CosineAnnealingLR(opt, T_max=k, eta_min=1e-4)
        return lr_scheduler.SequentialLR(opt, [warmup, cosine], milestones=[k + 2])
    if name == "OneCycleLR":  # cycles betas[0] or momentum too; its peak is before step k
        max_lr = [group["lr"] for group in opt.param_groups]
        return lr_scheduler.OneCycleLR(opt, max_lr=max_lr, total_steps=2 * k)
    raise ValueError(f"unknown scheduler {name!r}")


def _seeded_setup(job: dict, case: dict, seed: int) -> Setup:
    """A case's objects: parameters in the job's dtype, made under the case's default dtype."""
    tinyoptim.set_default_dtype(getattr(tinyoptim, case.get("default_dtype", job["dtype"])))
    tinyoptim.manual_seed(seed)
    return Setup(case, job["k"], getattr(tinyoptim, job["dtype"]))


def _check_device(setup: Setup, device: str) -> None:
    """The run lives on the default device the test expects: model, data and state arrays."""
    tensors = [*setup.model.parameters(), setup.x, setup.y]
    for opt in setup.optimizers:
        for state in opt.state.values():
            tensors += [v for v in state.values() if isinstance(v, tinyoptim.Tensor)]
    # the 0-d step counters live on the CPU, as torch keeps them
    places = {str(t.device) for t in tensors if t.ndim > 0}
    assert places == {device}, f"{setup.case['id']}: tensors on {places}, expected {device}"


def train(job: dict) -> None:
    k = job["k"]
    for case in job["cases"]:
        straight = _seeded_setup(job, case, seed=0)
        straight.train(2 * k)
        _check_device(straight, job["device"])
        np.savez(case["straight"], **straight.results())

        first = _seeded_setup(job, case, seed=0)
        first.train(k)
        tinyoptim.save(first.checkpoint(), case["checkpoint"])
        np.savez(case["at_k"], **first.results())


def resume(job: dict) -> None:
    k = job["k"]
    for case in job["cases"]:
        resumed = _seeded_setup(job, case, seed=12345)  # other initial values, other draws
        resumed.restore(tinyoptim.load(case["checkpoint"]), omit=case.get("omit"))
        resumed.train(k)
        _check_device(resumed, job["device"])
        np.savez(case["resumed"], **resumed.results())


def main(argv: list[str]) -> None:
    mode, job_file = argv
    with open(job_file) as file:
        job = json.load(file)
    {"train": train, "resume": resume}[mode](job)


if __name__ == "__main__":
    main(sys.argv[1:])
