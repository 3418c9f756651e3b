#!/usr/bin/python3
"""The reference slow-point procedure in PyTorch, for bench/slow_points_compare.ts
(docs/ghost-mechanism.md section 2.7).

Written for this benchmark (not copied from the reference repository): minimise the mean over
starts of sum_i (-x_i + tanh(x W + b)_i)^2 with Adam (lr 1e-2, 5000 iterations, float32 as in the
reference), then one Newton step per start, x <- x - (H + 1e-4 I)^-1 grad, with the per-start
autograd Hessian; speed = ||-x + tanh(x W + b)||. Reads a JSON file {"N", "W" (row-major N*N, row
convention rec = r W), "b", "starts" (row-major count*N)}; writes {"seconds", "adam_seconds",
"newton_seconds", "x" (row-major), "speed"} as JSON to stdout.
Usage: /usr/bin/python3 bench/slow_points_torch.py INPUT.json [--threads T] [--iters 5000]
"""
import argparse
import json
import time

import torch


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("input")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--iters", type=int, default=5000)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    with open(a.input) as f:
        d = json.load(f)
    N = d["N"]
    W = torch.tensor(d["W"], dtype=torch.float32).reshape(N, N)
    b = torch.tensor(d["b"], dtype=torch.float32)
    x0 = torch.tensor(d["starts"], dtype=torch.float32).reshape(-1, N)

    t0 = time.perf_counter()
    x = torch.nn.Parameter(x0.clone())
    opt = torch.optim.Adam([x], lr=1e-2)
    for _ in range(a.iters):
        opt.zero_grad()
        loss = torch.mean(torch.sum((-x + torch.tanh(x @ W + b)) ** 2, dim=1))
        loss.backward()
        opt.step()
    x = x.detach()
    t1 = time.perf_counter()

    def q(z):
        return torch.sum((-z + torch.tanh(z @ W + b)) ** 2)

    eye = torch.eye(N)
    out = []
    for i in range(x.shape[0]):
        xi = x[i].clone().requires_grad_(True)
        g = torch.autograd.grad(q(xi), xi)[0]
        H = torch.autograd.functional.hessian(q, xi)
        out.append((xi - torch.linalg.solve(H + 1e-4 * eye, g)).detach())
    x = torch.stack(out)
    t2 = time.perf_counter()
    speed = torch.linalg.norm(-x + torch.tanh(x @ W + b), dim=1)
    json.dump({
        "seconds": t2 - t0,
        "adam_seconds": t1 - t0,
        "newton_seconds": t2 - t1,
        "x": x.reshape(-1).tolist(),
        "speed": speed.tolist(),
    }, __import__("sys").stdout)


if __name__ == "__main__":
    main()
