#!/usr/bin/python3
"""PyTorch versions of the ghost-paper RNN epochs, for bench/rnn_compare.ts (ghost spec 2.1, 2.5).

Written for this benchmark (not copied from the reference repository): the same models, tasks and
one SGD step per epoch, in the reference's float32 / per-step-loop style. Prints one JSON object
{"threads": t, "rank_one_epoch_s": s, "full_rank_dcdt_epoch_s": s} per requested thread count.
Usage: /usr/bin/python3 bench/rnn_torch.py [--threads 1,2] [--seconds 3]
"""
import argparse
import json
import math
import time

import torch
import torch.nn as nn


class RankOne(nn.Module):
    def __init__(self, N, alpha):
        super().__init__()
        self.alpha = alpha
        self.m = nn.Parameter(torch.randn(N) / math.sqrt(N))
        self.n = nn.Parameter(torch.randn(N) / math.sqrt(N))
        self.b = nn.Parameter(torch.zeros(N))

    def step(self, x):
        kappa = torch.dot(self.n, x)
        x = (1 - self.alpha) * x + self.alpha * torch.tanh(self.m * kappa + self.b)
        return x, torch.dot(self.n, x)


class FullRank(nn.Module):
    def __init__(self, N, alpha):
        super().__init__()
        self.alpha = alpha
        self.W_in = nn.Linear(1, N)
        self.W_rec = nn.Parameter(torch.empty(N, N))
        self.W_out = nn.Linear(N, 1)
        nn.init.xavier_uniform_(self.W_in.weight)
        nn.init.xavier_uniform_(self.W_rec)
        nn.init.xavier_uniform_(self.W_out.weight)

    def forward(self, inp):
        r = torch.zeros(inp.shape[0], self.W_rec.shape[0])
        outs = []
        for t in range(inp.shape[1]):
            outs.append(torch.tanh(self.W_out(r)))
            z = torch.tanh(self.W_in(inp[:, t]) + r @ self.W_rec)
            r = (1 - self.alpha) * r + self.alpha * z
        return torch.stack(outs, 1)


def rank_one_epoch_fn():
    torch.manual_seed(0)
    net = RankOne(100, 0.5)
    opt = torch.optim.SGD(net.parameters(), lr=0.003)
    T = 20
    target = torch.cat([torch.zeros(T), torch.ones(T)])

    def epoch():
        x = torch.zeros(100) - 0.3
        opt.zero_grad()
        out = []
        for _ in range(2 * T):
            x, kappa = net.step(x)
            out.append(torch.sigmoid(10 * (kappa - 1)))
        loss = torch.sum((torch.stack(out) - target) ** 2) / T
        loss.backward()
        opt.step()
    return epoch


def full_rank_dcdt_epoch_fn():
    torch.manual_seed(0)
    net = FullRank(100, 0.5)
    opt = torch.optim.SGD(net.parameters(), lr=0.01)
    n_in, n_delay, n_resp = 6, 16, 10
    S = n_in + n_delay + n_resp
    inp = torch.zeros(2, S, 1)
    tgt = torch.zeros(2, S, 1)
    inp[0, :n_in] = 1
    inp[1, :n_in] = -1
    tgt[0, S - n_resp:] = 1
    tgt[1, S - n_resp:] = -1
    crit = nn.MSELoss()

    def epoch():
        opt.zero_grad()
        loss = crit(net(inp), tgt)
        loss.backward()
        opt.step()
    return epoch


def seconds_per_call(fn, seconds, windows=8):
    """Minimum over `windows` equal time windows of the mean seconds per call (robust to load)."""
    for _ in range(20):
        fn()
    best = float("inf")
    for _ in range(windows):
        n = 0
        t0 = time.perf_counter()
        while True:
            fn()
            n += 1
            el = time.perf_counter() - t0
            if el >= seconds / windows and n >= 5:
                break
        best = min(best, el / n)
    return best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", default="1")
    ap.add_argument("--seconds", type=float, default=3.0)
    a = ap.parse_args()
    for th in [int(s) for s in a.threads.split(",")]:
        torch.set_num_threads(th)
        res = {
            "threads": th,
            "torch_version": torch.__version__,
            "rank_one_epoch_s": seconds_per_call(rank_one_epoch_fn(), a.seconds),
            "full_rank_dcdt_epoch_s": seconds_per_call(full_rank_dcdt_epoch_fn(), a.seconds),
        }
        print(json.dumps(res), flush=True)


if __name__ == "__main__":
    main()
