#!/usr/bin/python3
"""PyTorch side of `make bench`: the same BERT as the C engine benchmark
(tests/fixtures/ref_model.py, float32), timed on the CPU.

    /usr/bin/python3 tests/bench/bench_torch.py [--threads 2] [--steps 5] [--shapes tiny,mini,base]

Shapes: tiny (L2 H128 A2 I512), mini (L4 H256 A4 I1024), base (L12 H768 A12
I3072); vocab 30522, 512 positions, 2 token types, classification head with 2
labels, batch 32 x seq 128 without padding, dropout off. One training step =
zero_grad + forward + cross-entropy + backward + clip_grad_norm_(1.0) + AdamW
step (bench_engine.c clips too; --no-clip drops it); inference = forward under
no_grad, timed after each training step. 2 warm-up steps, then the median of
--steps (at least 5). Prints per shape the machine-readable line

    torch <shape> train_ms <x> infer_ms <y>

that bench_engine.c parses. Needs Debian python3-torch (run /usr/bin/python3).
"""

import argparse
import os
import statistics
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures"))
import ref_model as rm  # noqa: E402

SHAPES = {"tiny": (2, 128, 2, 512), "mini": (4, 256, 4, 1024), "base": (12, 768, 12, 3072)}
BATCH, SEQ = 32, 128


def config(L, H, A, inter):
    return dict(model_type="bert", vocab_size=30522, hidden_size=H, num_hidden_layers=L,
                num_attention_heads=A, intermediate_size=inter, max_position_embeddings=512,
                type_vocab_size=2, layer_norm_eps=1e-12, hidden_dropout_prob=0.0,
                attention_probs_dropout_prob=0.0, pad_token_id=0, num_labels=2)


def run_shape(name, steps, clip):
    cfg = config(*SHAPES[name])
    gen = torch.Generator().manual_seed(1)
    params = rm.init_params(cfg, "cls", gen, dtype=torch.float32, std=0.02)
    for t in params.values():
        t.requires_grad_(True)
    opt = rm.make_optimizer(params, lr=1e-4)
    ids = torch.randint(1000, 30000, (BATCH, SEQ), generator=gen)
    mask = torch.ones(BATCH, SEQ, dtype=torch.long)
    types = torch.zeros(BATCH, SEQ, dtype=torch.long)
    labels = torch.arange(BATCH) % 2
    plist = list(params.values())
    train, infer = [], []
    loss = float("nan")
    for s in range(-2, steps):
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=False)
        logits = rm.forward(params, cfg, "cls", ids, mask, types)
        lo = F.cross_entropy(logits, labels)
        lo.backward()
        if clip:
            torch.nn.utils.clip_grad_norm_(plist, 1.0)
        opt.step()
        t1 = time.perf_counter()
        with torch.no_grad():
            rm.forward(params, cfg, "cls", ids, mask, types)
        t2 = time.perf_counter()
        loss = float(lo)
        if s >= 0:
            train.append(t1 - t0)
            infer.append(t2 - t1)
    return statistics.median(train) * 1e3, statistics.median(infer) * 1e3, loss


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--shapes", default="tiny,mini,base")
    ap.add_argument("--no-clip", action="store_true", help="leave out clip_grad_norm_")
    a = ap.parse_args()
    steps = max(5, a.steps)
    shapes = [s for s in a.shapes.split(",") if s]
    bad = [s for s in shapes if s not in SHAPES]
    if bad:
        ap.error("unknown shape(s) %s; choose from %s" % (",".join(bad), ",".join(SHAPES)))
    torch.set_num_threads(max(1, a.threads))
    print("# torch %s, %d threads, batch %d x seq %d, median of %d steps after 2 warm-up%s"
          % (torch.__version__, torch.get_num_threads(), BATCH, SEQ, steps, "" if not a.no_clip else ", no clipping"),
          flush=True)
    for s in shapes:
        tr, inf, loss = run_shape(s, steps, not a.no_clip)
        print("torch %s train_ms %.1f infer_ms %.1f" % (s, tr, inf), flush=True)
        print("# %s loss %.4f" % (s, loss), file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
