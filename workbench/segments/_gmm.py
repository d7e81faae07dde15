"""Latent profile models (Gaussian mixtures), fitted by the package's own vectorised numpy EM.

Why not StepMix: StepMix fits these models well, but the engine needs a start continued
where it stopped (stage 2 of the two-stage schedule), a vectorised E-step for respondents
with missing values, a variance floor (``reg_covar``) for the models with missing values,
and the posteriors of new respondents - all of which StepMix offers only through its
private attributes. StepMix remains the reference in the tests: from the same seed, this
EM runs the same iterations as ``StepMix(measurement="gaussian_*", init_params="random")``
and reaches the same log-likelihood and posteriors.

The model
---------
``k`` profiles with shares ``π_c``; within a profile the variables are normal with mean
``μ_c`` and a covariance that is

* ``diag``: own variances, no covariances (``(k, d)``);
* ``spherical``: one variance per profile (``(k,)``);
* ``tied``: one full matrix for all profiles (``(d, d)``);
* ``full``: an own full matrix per profile (``(k, d, d)``).

Missing values drop out of a respondent's likelihood for ``diag`` and ``spherical`` (full
information: the respondent's density is over the variables they have); ``tied`` and
``full`` need complete data. Sample weights multiply each respondent's log-likelihood.

EM
--
A start draws random responsibilities (uniform, normalised per respondent: StepMix's and
scikit-learn's ``init_params="random"``, from ``numpy.random.RandomState(seed)``), takes one
M-step from them and then alternates E- and M-steps. The M-step is the weighted maximum
likelihood estimate, with ``reg_covar`` added to the variances (to the diagonal of full
matrices), as scikit-learn's ``GaussianMixture`` does (with weights, the tied matrix is the
weighted pooled scatter; scikit-learn's and StepMix's subtract weighted means from an
unweighted ``X'X``, which is right only for unit weights). A start has converged when an
iteration changes the mean log-likelihood per respondent by less than ``tol``, StepMix's
``abs_tol`` rule; its parameters are then those of the last M-step.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.linalg import solve_triangular

from ..core.stats import row_max, row_sum
from ._em import run as run_em

__all__ = ["GaussianData", "GaussianFit", "COVARIANCES", "random_start", "fit_start", "log_joint", "posteriors",
           "variances", "n_parameters", "permute"]

COVARIANCES = ("diag", "spherical", "tied", "full")
LOG_2PI = float(np.log(2 * np.pi))


@dataclass(frozen=True, eq=False)
class GaussianData:
    """Continuous scores in the layout the EM uses.

    Attributes
    ----------
    X : ndarray (n, d)
        Scores, NaN where missing.
    weights : ndarray (n,)
        Respondent weights (mean 1; ones when unweighted).
    covariance : str
    reg_covar : float
    """

    X: np.ndarray = field(repr=False)
    weights: np.ndarray = field(repr=False)
    covariance: str = "diag"
    reg_covar: float = 1e-6
    weighted: bool = False
    #: mclust's conjugate prior (``priorControl()``) for ``full``: ``shrinkage``, ``mean``, ``dof``
    #: and ``scale`` (the data's covariance; divided by k^(2/d) in the M-step, as mclust's
    #: ``defaultPrior``), or None (maximum likelihood)
    prior: dict | None = field(default=None, repr=False)
    observed: np.ndarray = field(init=False, repr=False)
    Xz: np.ndarray = field(init=False, repr=False)

    def __post_init__(self):
        if self.covariance not in COVARIANCES:
            raise ValueError(f"unknown covariance {self.covariance!r}")
        obs = ~np.isnan(self.X)
        if self.prior is not None and self.covariance != "full":
            raise ValueError("mclust's conjugate prior is offered for covariance='full' only")
        if self.covariance in ("tied", "full") and not obs.all():
            raise ValueError(f"covariance='{self.covariance}' needs complete data")
        object.__setattr__(self, "observed", obs.astype(float))
        object.__setattr__(self, "Xz", np.where(obs, self.X, 0.0))

    @classmethod
    def build(cls, X, covariance="diag", reg_covar=1e-6, weights=None, prior=None) -> "GaussianData":
        X = np.asarray(X, dtype=float)
        w = np.ones(len(X)) if weights is None else np.asarray(weights, dtype=float)
        if isinstance(prior, str):
            prior = default_prior(X)
        return cls(X=X, weights=w, covariance=covariance, reg_covar=float(reg_covar), weighted=weights is not None,
                   prior=prior)

    @property
    def n(self) -> int:
        return self.X.shape[0]

    @property
    def d(self) -> int:
        return self.X.shape[1]

    @property
    def complete(self) -> bool:
        return bool(self.observed.all())


@dataclass
class GaussianFit:
    """One start's state: parameters, log-likelihood (at ``params``), iterations, convergence."""

    params: dict = field(repr=False)
    loglik: float
    n_iter: int
    converged: bool
    #: mean log-likelihood of the last E-step (before the last M-step): a continued start
    #: judges its first iteration against it, as if it had never stopped
    last_mean: float = -np.inf


def n_parameters(k: int, d: int, covariance: str) -> int:
    """Free parameters: ``k - 1`` shares, ``k d`` means and the covariance's."""
    cov = {"diag": k * d, "spherical": k, "tied": d * (d + 1) // 2, "full": k * d * (d + 1) // 2}[covariance]
    return int((k - 1) + k * d + cov)


def mstep(data: GaussianData, resp: np.ndarray) -> dict:
    """Weighted maximum likelihood parameters from responsibilities ``resp`` (n, k)."""
    R = resp * data.weights[:, None] if data.weighted else resp
    nk = R.sum(axis=0)
    shares = np.clip(nk / data.weights.sum(), 1e-15, 1 - 1e-15)
    cov = data.covariance
    eps = 10 * np.finfo(float).eps
    if cov in ("tied", "full"):
        X = data.X
        nk_ = nk + eps  # as scikit-learn, so an empty profile does not divide by zero
        means = (R.T @ X) / nk_[:, None]
        k, d = means.shape
        scatter = np.empty((k, d, d))  # Σ_i r_ic (x_i - μ_c)(x_i - μ_c)'
        for c in range(k):
            diff = X - means[c]
            scatter[c] = (R[:, c] * diff.T) @ diff
        if cov == "full" and data.prior is not None:
            return _map_full(data, R, nk_, shares, means, scatter)
        if cov == "full":
            covs = scatter / nk_[:, None, None]
            for c in range(k):
                covs[c].flat[::d + 1] += data.reg_covar
        else:  # the pooled within-profile scatter (scikit-learn's formula uses the unweighted X'X)
            covs = scatter.sum(axis=0) / nk.sum()
            covs.flat[::d + 1] += data.reg_covar
        return {"shares": shares, "means": means, "covariances": covs}
    O, Xz = data.observed, data.Xz
    den = R.T @ O  # (k, d): responsibility of the respondents who have each variable
    with np.errstate(divide="ignore", invalid="ignore"):
        means = (R.T @ Xz) / den
        # Σ_i r_ic o_id (x_id - μ_cd)² = Σ r x² - 2 μ Σ r x + μ² Σ r o
        sq = R.T @ (Xz * Xz) - 2 * means * (R.T @ Xz) + means**2 * den
        sq = np.maximum(sq, 0.0)
        if cov == "diag":
            covs = sq / den + data.reg_covar
        else:
            covs = sq.sum(axis=1) / den.sum(axis=1) + data.reg_covar
    return {"shares": shares, "means": means, "covariances": covs}


def default_prior(X: np.ndarray) -> dict:
    """mclust's ``defaultPrior`` for VVV (``priorControl()``): shrinkage 0.01 towards the data's
    mean, d + 2 degrees of freedom, scale the data's covariance (divided by k^(2/d) per fit)."""
    X = np.asarray(X, dtype=float)
    return {"shrinkage": 0.01, "mean": X.mean(axis=0), "dof": X.shape[1] + 2.0,
            "scale": np.atleast_2d(np.cov(X, rowvar=False))}


def _map_full(data: GaussianData, R, nk, shares, xbar, scatter) -> dict:
    """The posterior-mode M-step of mclust's VVV under its conjugate prior (Fraley & Raftery 2007):
    ``μ_c = (n_c x̄_c + κ μ_P) / (n_c + κ)``, ``Σ_c = [Λ_P + W_c + κ n_c / (κ + n_c) (x̄_c - μ_P)(x̄_c - μ_P)']
    / (ν_P + n_c + d + 2)`` with ``Λ_P`` the data's covariance / k^(2/d)."""
    pr = data.prior
    k, d = xbar.shape
    kappa, nu, mu0 = float(pr["shrinkage"]), float(pr["dof"]), np.asarray(pr["mean"], dtype=float)
    scale = np.asarray(pr["scale"], dtype=float) / k ** (2.0 / d)
    means = (nk[:, None] * xbar + kappa * mu0) / (nk[:, None] + kappa)
    covs = np.empty((k, d, d))
    for c in range(k):
        m = xbar[c] - mu0
        covs[c] = (scale + scatter[c] + kappa * nk[c] / (nk[c] + kappa) * np.outer(m, m)) / (nu + nk[c] + d + 2)
    return {"shares": shares, "means": means, "covariances": covs}


def _diag_var(params: dict, covariance: str, d: int) -> np.ndarray:
    c = np.asarray(params["covariances"], dtype=float)
    return np.repeat(c[:, None], d, axis=1) if covariance == "spherical" else c


def log_density(data: GaussianData, params: dict) -> np.ndarray:
    """log f(x_i | c), (n, k); a respondent without any value gets 0."""
    cov = data.covariance
    means = np.asarray(params["means"], dtype=float)
    k, d = means.shape
    if cov in ("diag", "spherical"):
        var = _diag_var(params, cov, d)
        prec = 1.0 / var
        O, Xz = data.observed, data.Xz
        out = (Xz * Xz) @ prec.T
        out -= 2.0 * (Xz @ (means * prec).T)
        out += O @ (means**2 * prec + np.log(var) + LOG_2PI).T
        out *= -0.5
        return out
    X = data.X
    out = np.empty((data.n, k))
    covs = np.asarray(params["covariances"], dtype=float)
    for c in range(k):
        S = covs if cov == "tied" else covs[c]
        L = np.linalg.cholesky(S)  # LinAlgError when the matrix is not positive definite
        z = solve_triangular(L, (X - means[c]).T, lower=True)
        out[:, c] = -0.5 * (d * LOG_2PI + (z * z).sum(axis=0)) - np.log(np.diag(L)).sum()
    return out


def log_joint(data: GaussianData, params: dict) -> np.ndarray:
    """log P(x_i, c) (n, k)."""
    out = log_density(data, params)
    out += np.log(np.asarray(params["shares"], dtype=float))
    return out


def estep(data: GaussianData, params: dict) -> tuple[float, np.ndarray]:
    """Total (weighted) log-likelihood and the posteriors (n, k)."""
    L = log_joint(data, params)
    m = row_max(L)
    L -= m
    np.exp(L, out=L)
    s = row_sum(L)
    ll = float(data.weights @ (np.log(s[:, 0]) + m[:, 0]))
    L /= s
    return ll, L


def posteriors(data: GaussianData, params: dict) -> np.ndarray:
    return estep(data, params)[1]


def random_start(data: GaussianData, k: int, seed: int) -> dict:
    """StepMix's ``init_params='random'``: uniform responsibilities from
    ``RandomState(seed)``, normalised per respondent, one unweighted M-step, equal shares."""
    rs = np.random.RandomState(int(seed) % (2**32))
    resp = rs.uniform(size=(data.n, k))
    resp /= resp.sum(axis=1)[:, None]
    resp = np.clip(resp, 1e-15, 1 - 1e-15)
    unweighted = GaussianData(X=data.X, weights=np.ones(data.n), covariance=data.covariance,
                              reg_covar=data.reg_covar, weighted=False, prior=data.prior) if data.weighted else data
    params = mstep(unweighted, resp)
    params["shares"] = np.full(k, 1.0 / k)
    return params


class _Family:
    """The E- and M-step of a latent profile model for the one EM loop (:func:`._em.run`)."""

    def __init__(self, data: GaussianData):
        self.data = data
        self.wsum = float(data.weights.sum())

    def estep(self, params):
        return estep(self.data, params)

    def mstep(self, R, params=None):
        return mstep(self.data, R)


def fit_start(data: GaussianData, params: dict, *, max_iter: int, tol: float = 1e-8,
              last_mean: float = -np.inf) -> GaussianFit:
    """EM from ``params`` for at most ``max_iter`` iterations on the package's one EM loop
    (:func:`._em.run`: stops when the mean log-likelihood per respondent changes by less than
    ``tol``, StepMix's ``abs_tol``). ``last_mean``: the mean log-likelihood of the E-step
    before ``params`` (continuing a start)."""
    fit = run_em(_Family(data), params, max_iter=max_iter, tol=tol, last_mean=last_mean)
    return GaussianFit(fit.params, fit.loglik, fit.n_iter, fit.converged, last_mean=fit.last_mean)


def variances(params: dict, covariance: str, d: int) -> np.ndarray:
    """Per-profile variances (k, d)."""
    covs = np.asarray(params["covariances"], dtype=float)
    k = len(np.asarray(params["shares"]))
    if covariance == "full":
        return np.stack([np.diag(c) for c in covs])
    if covariance == "tied":
        return np.repeat(np.diag(covs)[None, :], k, axis=0)
    return _diag_var(params, covariance, d)


def permute(params: dict, covariance: str, order) -> dict:
    order = np.asarray(order)
    out = {"shares": np.asarray(params["shares"])[order], "means": np.asarray(params["means"])[order]}
    covs = np.asarray(params["covariances"])
    out["covariances"] = covs.copy() if covariance == "tied" else covs[order]
    return out


def precisions_cholesky(covariances, covariance: str) -> np.ndarray:
    """scikit-learn's ``precisions_cholesky_`` of the covariances (what saved models keep)."""
    covs = np.asarray(covariances, dtype=float)
    if covariance in ("diag", "spherical"):
        return 1.0 / np.sqrt(covs)

    def one(S):
        L = np.linalg.cholesky(S)
        return solve_triangular(L, np.eye(len(S)), lower=True).T

    return one(covs) if covariance == "tied" else np.stack([one(S) for S in covs])


def measurement_parameters(params: dict, covariance: str, complete: bool) -> dict:
    """Means and covariances in StepMix's layout of the same model (saved models keep it):
    the models with missing values (``gaussian_diag_nan``, ``gaussian_spherical_nan``) keep
    (k, d) variances, the others scikit-learn's covariances and ``precisions_cholesky``."""
    means = np.asarray(params["means"], dtype=float).copy()
    covs = np.asarray(params["covariances"], dtype=float).copy()
    if not complete:
        return {"means": means, "covariances": _diag_var(params, covariance, means.shape[1]).copy()}
    return {"means": means, "covariances": covs, "precisions_cholesky": precisions_cholesky(covs, covariance)}


# --------------------------------------------------------------------------- deterministic starts
#: Deterministic starts of every latent profile fit, beside the random ones (see :func:`partition`).
#: Random responsibilities start every profile near the grand mean: EM from there stays at
#: symmetric saddle points (tied covariance) or misses well-separated optima (iris VVV,3 is
#: reached by 1 random start in 200), where mclust, which starts from hierarchical clustering,
#: finds them.
DETERMINISTIC_STARTS = ("hc-svd", "hc-ward", "kmeans++")
#: Ward's method keeps n (n - 1) / 2 distances; above this many respondents the hierarchical
#: starts cluster a systematic subsample and assign the rest to the nearest centre.
HC_MAX_N = 4000


def _filled(data: GaussianData) -> np.ndarray:
    """Scores with missing values set to the variable's mean (for the starting partitions only)."""
    X = data.X
    if data.complete:
        return X
    mu = np.nanmean(X, axis=0)
    return np.where(np.isnan(X), mu, X)


def _standardised(X: np.ndarray) -> np.ndarray:
    sd = X.std(axis=0)
    return (X - X.mean(axis=0)) / np.where(sd > 0, sd, 1.0)


def _svd_scaled(X: np.ndarray) -> np.ndarray:
    """mclust's ``hcUse = "SVD"``: the centred, scaled data rotated to their principal axes and
    whitened (every axis variance 1), so Ward's criterion there treats all directions alike."""
    Z = _standardised(X)
    U, s, _ = np.linalg.svd(Z, full_matrices=False)
    keep = s > s[0] * 1e-8
    return U[:, keep] * np.sqrt(len(Z))


def _ward_tree(Z: np.ndarray):
    from scipy.cluster.hierarchy import linkage

    n = len(Z)
    if n <= HC_MAX_N:
        return np.arange(n), linkage(Z, method="ward")
    sub = np.linspace(0, n - 1, HC_MAX_N).round().astype(int)
    return sub, linkage(Z[sub], method="ward")


def partition(data: GaussianData, k: int, kind: str) -> np.ndarray:
    """A hard starting partition (labels 0..k-1) of the respondents, the same every time.

    ``hc-svd``: Ward's hierarchical clustering of the SVD-whitened scores (mclust's ``hcUse =
    "SVD"``; Ward's criterion is mclust's ``hc`` with model ``EII``), cut at ``k``;
    ``hc-ward``: Ward's clustering of the standardised scores, cut at ``k``; ``kmeans++``:
    k-means from k-means++ seeding (scikit-learn, ``random_state=0``, 4 starts) on the
    standardised scores. Missing values count as the variable's mean here only.
    """
    from scipy.cluster.hierarchy import fcluster
    from sklearn.cluster import KMeans

    X = _filled(data)
    if kind == "kmeans++":
        Z = _standardised(X)
        km = KMeans(n_clusters=k, n_init=4, random_state=0).fit(Z)
        return km.labels_.astype(int)
    if kind not in ("hc-svd", "hc-ward"):
        raise ValueError(f"unknown deterministic start {kind!r}")
    Z = _svd_scaled(X) if kind == "hc-svd" else _standardised(X)
    cache = data.__dict__.setdefault("_trees", {})
    if kind not in cache:  # one tree cut at every k
        cache[kind] = _ward_tree(Z)
    sub, tree = cache[kind]
    lab = fcluster(tree, t=k, criterion="maxclust") - 1
    if len(sub) == len(Z):
        return lab.astype(int)
    centres = np.stack([Z[sub][lab == c].mean(axis=0) for c in range(lab.max() + 1)])
    return ((Z[:, None, :] - centres[None]) ** 2).sum(axis=2).argmin(axis=1).astype(int)


def hard_start(data: GaussianData, labels: np.ndarray, k: int) -> dict:
    """Parameters of one M-step from a hard partition (mclust's ``me`` after ``hclass``)."""
    resp = np.zeros((data.n, k))
    resp[np.arange(data.n), np.asarray(labels, dtype=int)] = 1.0
    return mstep(data, resp)


def deterministic_start(data: GaussianData, k: int, kind: str) -> dict:
    return hard_start(data, partition(data, k, kind), k)


# --------------------------------------------------------------------------- singular profiles and saddles
#: A profile's own covariance matrix is singular when its smallest eigenvalue, relative to the
#: data's covariance (the generalised eigenvalue), falls below this.
SINGULAR_RATIO = 1e-6


def singular_profiles(data: GaussianData, params: dict, post: np.ndarray) -> str:
    """Why the fit has a singular profile, or '' (mclust returns no fit for these).

    A profile with its own full covariance matrix needs more than ``d`` respondents (its size,
    the sum of its posteriors, at most ``d`` leaves the matrix singular or nearly so) and a
    covariance whose smallest generalised eigenvalue against the data's covariance is at least
    :data:`SINGULAR_RATIO`; a profile with own variances needs more than one respondent.
    """
    cov = data.covariance
    d = data.d
    size = post.sum(axis=0)
    if cov == "full":
        small = np.flatnonzero(size <= d + 1e-9)
        if small.size:
            c = int(small[0])
            return (f"profile {c + 1} holds {size[c]:.1f} respondents, no more than the {d} variables: "
                    "its covariance matrix is singular")
        S = np.cov(data.X, rowvar=False).reshape(d, d)
        L = np.linalg.cholesky(S + 1e-300 * np.eye(d))
        for c, Sc in enumerate(np.asarray(params["covariances"], dtype=float)):
            M = solve_triangular(L, solve_triangular(L, Sc, lower=True).T, lower=True)
            ratio = float(np.linalg.eigvalsh((M + M.T) / 2).min())
            if ratio < SINGULAR_RATIO:
                return (f"profile {c + 1}'s covariance matrix is singular (smallest eigenvalue {ratio:.1e} of the "
                        "data's)")
    elif cov in ("diag", "spherical"):
        small = np.flatnonzero(size <= 1.0 + 1e-9)
        if small.size:
            return f"profile {int(small[0]) + 1} holds {size[small[0]]:.2f} respondents: its variances are zero"
    return ""


def duplicate_profiles(data: GaussianData, params: dict, tol: float = 1e-3) -> tuple[int, int] | None:
    """Two profiles with the same means and covariances (a symmetric saddle point of EM), or None.

    Means are compared in units of the variables' standard deviations, covariances relative
    to the variables' variances."""
    means = np.asarray(params["means"], dtype=float)
    k, d = means.shape
    sd = np.nanstd(data.X, axis=0)
    sd = np.where(sd > 0, sd, 1.0)
    var = variances(params, data.covariance, d) / sd**2
    covs = np.asarray(params["covariances"], dtype=float)
    for a in range(k):
        for b in range(a + 1, k):
            if np.abs((means[a] - means[b]) / sd).max() > tol or np.abs(var[a] - var[b]).max() > tol:
                continue
            if data.covariance == "full" and np.abs((covs[a] - covs[b]) / np.outer(sd, sd)).max() > tol:
                continue
            return a, b
    return None


def split_partitions(data: GaussianData, params: dict, pair: tuple[int, int], n_max: int = 3) -> list[np.ndarray]:
    """Starting partitions that break a symmetric saddle: the two identical profiles merged,
    and one of the (up to ``n_max`` largest) resulting profiles split in two by 2-means."""
    from sklearn.cluster import KMeans

    k = len(np.asarray(params["shares"]))
    lab = posteriors(data, params).argmax(axis=1)
    a, b = pair
    lab = np.where(lab == b, a, lab)
    lab = np.unique(lab, return_inverse=True)[1].reshape(-1)  # 0..m-1
    m = int(lab.max()) + 1
    Z = _standardised(_filled(data))
    sizes = np.bincount(lab, minlength=m)
    out = []
    for c in np.argsort(-sizes, kind="stable")[:n_max]:
        members = np.flatnonzero(lab == c)
        if len(members) < 4:
            continue
        need = k - m + 1  # clusters to make of this one
        sub = KMeans(n_clusters=need, n_init=4, random_state=0).fit(Z[members]).labels_
        new = lab.copy()
        new[members] = np.where(sub == 0, c, m + sub - 1)
        out.append(new)
    return out
