#!/usr/bin/env python3
"""One SGD step of Hertz & Tyrcha's relaxation algorithm (ghostlab spec glassy-dynamics.md, section 4)
in numpy, written the way the reference scripts are (units x T matrices, np.roll shifts), for the
ghostlab benchmark. Usage: /usr/bin/python3 bench/glassy_numpy.py [--auto-kernel] PATH_TO_JSON [steps] [width] [depth]
Prints the BLAS numpy loaded (library, OpenBLAS core kernel, threads) and
`glassy_numpy_step_s: <seconds per step>` (mean over the timed steps, after 3 warm-up steps).
--auto-kernel drops OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE from the environment before numpy loads,
so OpenBLAS picks its kernel for this CPU as a pip-installed numpy would.
"""
import ctypes
import json
import os
import sys
import time

if "--auto-kernel" in sys.argv:
    sys.argv.remove("--auto-kernel")
    os.environ.pop("OPENBLAS_CORETYPE", None)
    os.environ.pop("OPENBLAS_L2_SIZE", None)

import numpy as np  # noqa: E402


def blas_info():
    libs = sorted({line.split()[-1] for line in open("/proc/self/maps") if "blas" in line.lower()})
    core, threads = "?", "?"
    for lib in libs:
        try:
            h = ctypes.CDLL(lib)
            h.openblas_get_corename.restype = ctypes.c_char_p
            core = h.openblas_get_corename().decode()
            threads = h.openblas_get_num_threads()
            break
        except (OSError, AttributeError):
            continue
    env = {k: os.environ[k] for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE") if k in os.environ}
    return f"libs={','.join(libs) or 'none'} openblas_core={core} threads={threads} env={env}"


def split(chorales, low=43, high=96):
    nv = high - low + 1
    xs, ss, starts, ends = [], [], [], []
    for c in chorales:
        roll = np.zeros((nv, len(c)))
        for t, step in enumerate(c):
            for p in step:
                roll[p - low, t] = 1
        starts.append(sum(x.shape[1] for x in xs))
        xs.append(roll[:, :-1])
        ss.append(2 * roll[:, 1:] - 1)
        ends.append(starts[-1] + len(c) - 2)
    return np.concatenate(xs, 1), np.concatenate(ss, 1), np.array(starts), np.array(ends)


def main():
    path = sys.argv[1]
    steps = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    nh = int(sys.argv[3]) if len(sys.argv) > 3 else 70
    nl = int(sys.argv[4]) if len(sys.argv) > 4 else 2
    mbs, eta = 300, 0.0004
    d = json.load(open(path))
    x, s, begins, ends = split(d["train"][100:180])
    xt, st, tbegins, _ = split(d["test"])
    m, sd = x.mean(), x.std()
    x = (x - m) / sd
    xt = (xt - m) / sd
    nv, T = x.shape
    rng = np.random.default_rng(42)
    J0 = np.sqrt(0.1) * rng.standard_normal((nh, nv)) / np.sqrt(nv)
    J = [np.linalg.qr(rng.standard_normal((nh, nh)))[0] for _ in range(nl - 1)]
    M = [np.eye(nh)[rng.permutation(nh)] for _ in range(nl)]
    K = 0.01 * rng.standard_normal((nv, nh))
    W = np.zeros((nv, nv))
    h = np.full((nv, 1), np.arctanh(s.mean()))
    mu = np.zeros((nl, nh, T))
    mutm1 = np.zeros((nl, nh, T))
    dmu = np.zeros((nl, nh, T))
    dmutp1 = np.zeros((nl, nh, T))
    mutest = np.zeros((nl, nh, xt.shape[1]))
    mutesttm1 = np.zeros((nl, nh, xt.shape[1]))
    H = K @ mu[nl - 1] + W @ x + h
    dS = s - np.tanh(H)

    def step():
        nonlocal W, K, J0, h, H, dS, mu, mutm1, dmu, dmutp1, mutest, mutesttm1
        b = rng.choice(T, mbs, replace=False)
        xb, dSb, mub, dmub, mutm1b = x[:, b], dS[:, b], mu[:, :, b], dmu[:, :, b], mutm1[:, :, b]
        W += eta * dSb @ xb.T / mbs
        K += eta * dSb @ mub[nl - 1].T / mbs
        h += eta * dSb.mean(1, keepdims=True)
        J0 += eta * dmub[0] @ xb.T / mbs
        for l in range(nl - 1):
            J[l] += eta * dmub[l + 1] @ mub[l].T / mbs
        for l in range(nl):
            M[l] += eta * dmub[l] @ mutm1b[l].T / mbs
        mu[0] = np.tanh(J0 @ x + M[0] @ mutm1[0])
        for l in range(1, nl):
            mu[l] = np.tanh(J[l - 1] @ mu[l - 1] + M[l] @ mutm1[l])
        mutm1 = (mutm1 + np.roll(mu, 1, 2)) / 2
        mutm1[:, :, begins] = 0
        dmutp1 = (dmutp1 + np.roll(dmu, -1, 2)) / 2
        dmutp1[:, :, ends] = 0
        H = K @ mu[nl - 1] + W @ x + h
        dS = s - np.tanh(H)
        X = 1 - mu * mu
        dmu[nl - 1] = X[nl - 1] * (M[nl - 1].T @ dmutp1[nl - 1] + K.T @ dS)
        for l in reversed(range(nl - 1)):
            dmu[l] = X[l] * (J[l].T @ dmu[l + 1] + M[l].T @ dmutp1[l])
        mutest[0] = np.tanh(J0 @ xt + M[0] @ mutesttm1[0])
        for l in range(1, nl):
            mutest[l] = np.tanh(J[l - 1] @ mutest[l - 1] + M[l] @ mutesttm1[l])
        mutesttm1 = np.roll(mutest, 1, 2)
        mutesttm1[:, :, tbegins] = 0

    for _ in range(3):
        step()
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    dt = (time.perf_counter() - t0) / steps
    print(f"glassy_numpy_blas: {blas_info()}")
    print(f"glassy_numpy_T: {T} test_T: {xt.shape[1]} nv: {nv} width: {nh} depth: {nl}")
    print(f"glassy_numpy_step_s: {dt:.6f}")


if __name__ == "__main__":
    main()
