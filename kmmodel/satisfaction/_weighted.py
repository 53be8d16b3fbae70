"""statsmodels ``OrderedModel`` with survey weights and an analytic score.

Imported lazily by :func:`~kmmodel.satisfaction.ordered_model` (it imports
statsmodels at module level).

The weighted pseudo-log-likelihood is ``sum_i w_i log P(y_i | x_i)`` (Binder 1983;
Skinner, Holt & Smith 1989): each observation's contribution ``loglikeobs`` is
multiplied by its weight, so the score per observation, the total score and the
Hessian all carry the weight once. statsmodels' sandwich machinery
(``cov_type="HC0"`` / ``"cluster"``) then gives the design-consistent
covariance ``H^-1 (sum_i s_i s_i') H^-1`` from :meth:`score_obs` and
:meth:`hessian`.

References
----------
Binder, D. A. (1983). On the variances of asymptotically normal estimators from
complex surveys. *International Statistical Review* 51(3), 279-292.
Skinner, C. J., Holt, D. & Smith, T. M. F. (1989). *Analysis of Complex Surveys*. Wiley.
"""

from __future__ import annotations

import numpy as np
from statsmodels.miscmodels.ordinal_model import OrderedModel
from statsmodels.tools.numdiff import approx_fprime


def cut_jacobian(theta: np.ndarray) -> np.ndarray:
    """d t / d theta for ``t_j = theta_0 + sum_{i=1..j} exp(theta_i)``."""
    m = len(theta)
    jac = np.zeros((m, m))
    jac[:, 0] = 1.0
    for j in range(1, m):  # m = K - 1 cut-points: a handful, not a hot loop
        jac[j:, j] = np.exp(theta[j])
    return jac


class WeightedOrderedModel(OrderedModel):
    """``OrderedModel`` whose log-likelihood is the weighted sum of ``loglikeobs``.

    Set :attr:`survey_weights` (positive, one per row) after construction; ``None``
    is the ordinary unweighted likelihood. The score is analytic (statsmodels
    differentiates numerically), the Hessian the central difference of the score.
    """

    _survey_weights: np.ndarray | None = None
    _hessian_at: tuple[np.ndarray, np.ndarray] | None = None

    @property
    def survey_weights(self) -> np.ndarray | None:
        """Positive weight per row, or ``None`` for the unweighted likelihood."""
        return self._survey_weights

    @survey_weights.setter
    def survey_weights(self, w) -> None:
        self._survey_weights = None if w is None else np.asarray(w, float)
        self._hessian_at = None  # a cached Hessian belongs to the old weights

    def _w(self) -> np.ndarray | None:
        return self._survey_weights

    def loglikeobs(self, params):
        """Per-observation log-likelihood times the survey weight."""
        ll = super().loglikeobs(params)
        w = self._w()
        return ll if w is None else w * ll

    def loglike(self, params):
        """Weighted (pseudo-)log-likelihood ``sum_i w_i log P(y_i)``."""
        return self.loglikeobs(params).sum()

    def _score_parts(self, params):
        """Per-row pieces of the score: slope factor, upper and lower cut terms, answers."""
        params = np.asarray(params, float)
        k = self.k_vars
        b, theta = params[:k], params[k:]
        cuts = theta[0] + np.concatenate([[0.0], np.cumsum(np.exp(theta[1:]))])
        t = np.concatenate([[-np.inf], cuts, [np.inf]])
        y = self.endog.astype(int)
        xb = self.exog @ b
        if getattr(self, "offset", None) is not None:
            xb = xb + self.offset
        upper, lower = t[y + 1] - xb, t[y] - xb
        d = self.distr
        prob = np.maximum(d.cdf(upper) - d.cdf(lower), 1e-300)
        fu = np.where(np.isfinite(upper), d.pdf(np.where(np.isfinite(upper), upper, 0.0)), 0.0)
        fl = np.where(np.isfinite(lower), d.pdf(np.where(np.isfinite(lower), lower, 0.0)), 0.0)
        up, low = fu / prob, fl / prob
        w = self._w()
        if w is not None:
            up, low = w * up, w * low
        return up - low, up, low, y, theta

    def score_obs(self, params):
        """Analytic per-observation score (weighted), shape (n, k_vars + K - 1).

        ``d log P_i / d b = -x_i (f(u_i) - f(l_i)) / P_i`` and, for the cut-points,
        ``+f(u_i)/P_i`` on the upper and ``-f(l_i)/P_i`` on the lower cut of the
        answer's interval; chained to statsmodels' ``theta`` (first cut, then
        log-increments) through :func:`cut_jacobian`. Each row times its weight.
        """
        slope, up, low, y, theta = self._score_parts(params)
        m = len(theta)
        rows = np.arange(len(y))
        g = np.zeros((len(y), m + 2))  # column j + 1 = cut-point j; 0 and m + 1 are +-inf
        g[rows, y + 1] = up
        g[rows, y] -= low
        return np.column_stack([-self.exog * slope[:, None], g[:, 1 : m + 1] @ cut_jacobian(theta)])

    def score(self, params):
        """Total (weighted) score, the column sums of :meth:`score_obs` without the n x p array."""
        slope, up, low, y, theta = self._score_parts(params)
        m = len(theta)
        grad_t = (
            np.bincount(y, weights=up, minlength=m + 1)[:m]
            - np.bincount(y, weights=low, minlength=m + 1)[1 : m + 1]
        )
        return np.concatenate([-(slope @ self.exog), cut_jacobian(theta).T @ grad_t])

    def hessian(self, params):
        """Hessian of the weighted log-likelihood: central differences of the analytic score.

        The last result is kept: statsmodels asks again at the same point for the
        sandwich, and each Hessian costs two score evaluations per parameter.
        """
        params = np.asarray(params, float)
        cached = getattr(self, "_hessian_at", None)
        if cached is not None and np.array_equal(cached[0], params):
            return cached[1].copy()
        h = approx_fprime(params, self.score, centered=True)
        h = (h + h.T) / 2
        self._hessian_at = (params.copy(), h)
        return h.copy()

    @property
    def start_params(self):
        """Null-model start: cut-points from the (weighted) answer shares, slopes zero."""
        w = self._w()
        freq = np.bincount(self.endog, weights=w, minlength=self.k_levels)
        freq = freq / freq.sum()
        start = self.transform_reverse_threshold_params(
            self.distr.ppf(np.clip(freq.cumsum(), 0, 1))
        )
        return np.concatenate((np.zeros(self.k_vars), start))
