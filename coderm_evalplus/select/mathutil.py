"""Small numerics the Bayesian selectors share (the project does not depend on scipy)."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

_lgamma = np.frompyfunc(math.lgamma, 1, 1)


def gammaln(x: np.ndarray | float) -> np.ndarray:
    """log Gamma(x), elementwise (x > 0)."""
    return np.asarray(_lgamma(np.asarray(x, dtype=float)), dtype=float)


_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


def gammaln_vec(x: np.ndarray | float) -> np.ndarray:
    """log Gamma(x) for x > 0, vectorised (Stirling's series after shifting x up by 6;
    absolute error below 1e-10).  For models that evaluate it on whole matrices every
    iteration, where the elementwise ``math.lgamma`` of :func:`gammaln` is too slow."""
    x = np.asarray(x, dtype=float)
    shift = np.log(x * (x + 1) * (x + 2) * (x + 3) * (x + 4) * (x + 5))
    z = x + 6.0
    inv = 1.0 / z
    inv2 = inv * inv
    series = inv * (1.0 / 12 - inv2 * (1.0 / 360 - inv2 * (1.0 / 1260 - inv2 / 1680)))
    return (z - 0.5) * np.log(z) - z + _HALF_LOG_2PI + series - shift


def betaln_vec(a: np.ndarray | float, b: np.ndarray | float) -> np.ndarray:
    """log B(a, b) with :func:`gammaln_vec`."""
    return gammaln_vec(a) + gammaln_vec(b) - gammaln_vec(np.add(a, b))


def betaln(a: np.ndarray | float, b: np.ndarray | float) -> np.ndarray:
    """log B(a, b) = log Gamma(a) + log Gamma(b) - log Gamma(a + b), elementwise."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return gammaln(a) + gammaln(b) - gammaln(a + b)


def logsumexp(x: np.ndarray) -> float:
    x = np.asarray(x, dtype=float)
    top = float(np.max(x))
    if not np.isfinite(top):
        return top
    return top + float(np.log(np.exp(x - top).sum()))


def _derivatives(f: Callable[[np.ndarray], float], z: np.ndarray, h: float
                 ) -> tuple[float, np.ndarray, np.ndarray]:
    """Value, central-difference gradient and Hessian of f at z."""
    d = z.size
    f0 = f(z)
    grad, hess = np.empty(d), np.empty((d, d))
    eye = np.eye(d) * h
    for a in range(d):
        fp, fm = f(z + eye[a]), f(z - eye[a])
        grad[a] = (fp - fm) / (2 * h)
        hess[a, a] = (fp - 2 * f0 + fm) / (h * h)
        for b in range(a):
            v = (f(z + eye[a] + eye[b]) - f(z + eye[a] - eye[b])
                 - f(z - eye[a] + eye[b]) + f(z - eye[a] - eye[b])) / (4 * h * h)
            hess[a, b] = hess[b, a] = v
    return f0, grad, hess


def laplace_log_integral(log_f: Callable[[np.ndarray], float], z0: np.ndarray,
                         iterations: int = 60, h: float = 1e-4) -> float:
    """log of the integral of exp(log_f) over R^d by Laplace's method.

    Finds the mode by damped Newton steps (step halving keeps every step uphill), then
    ``log f(mode) + d/2 log(2 pi) - 1/2 log det(-Hessian)``.  Accurate when the integrand
    is a likelihood over many observations (sharply peaked, near-Gaussian in logits).
    """
    z = np.asarray(z0, dtype=float).copy()
    value = log_f(z)
    for _ in range(iterations):
        value, grad, hess = _derivatives(log_f, z, h)
        neg = -hess
        try:
            w, v = np.linalg.eigh(neg)
            w = np.maximum(w, 1e-6)  # not concave here yet: move like gradient ascent
            step = v @ ((v.T @ grad) / w)
        except np.linalg.LinAlgError:
            step = grad
        size = 1.0
        while size > 1e-6:
            cand = z + size * step
            new = log_f(cand)
            if new >= value - 1e-12:
                break
            size /= 2
        else:
            break
        z = cand
        if abs(new - value) < 1e-10 and np.max(np.abs(size * step)) < 1e-7:
            value = new
            break
        value = new
    value, _, hess = _derivatives(log_f, z, h)
    sign, logdet = np.linalg.slogdet(-hess)
    if sign <= 0 or not np.isfinite(logdet):
        logdet = 0.0
    return float(value + 0.5 * z.size * math.log(2 * math.pi) - 0.5 * logdet)
