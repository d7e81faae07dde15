"""The multilevel latent class model against R's multilevLCA 2.1.2 (built from source; the
figures, the R calls and how they were made: tests/data/multilevlca/README.md): its documented
example (dataTOY: 10 binary items, 3000 respondents in 100 groups, 2 and 3 higher-level
classes) and two generated studies (300 accounts × 1-4 respondents, 8 three-category items;
one with 6 % missing answers, fitted by R with ``incomplete = TRUE``)."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linear_sum_assignment

from workbench.segments._multilevel import MultilevelLatentClass

DATA = Path(__file__).parent / "data" / "multilevlca"
REF = pd.read_csv(DATA / "reference.csv")
CASES = [("dataTOY", 2), ("dataTOY_M3", 3), ("gen_complete", 3), ("gen_missing", 3)]


def _load(name):
    if name.startswith("dataTOY"):
        d = pd.read_csv(DATA / "dataTOY.csv")
        return d[[f"Y_{i}" for i in range(1, 11)]], d["id_high"]
    d = pd.read_csv(DATA / f"{name}.csv")
    return d[[f"q{i}" for i in range(1, 9)]], d["id_high"]


@pytest.mark.parametrize("name,M", CASES, ids=[c[0] for c in CASES])
def test_matches_multilevlca(name, M):
    X, accounts = _load(name)
    ref = REF[REF["dataset"] == name]

    def one(q):
        return float(ref.loc[ref["quantity"] == q, "value"].iloc[0])

    m = MultilevelLatentClass(3, M, n_init=3, random_state=1, tol=1e-12).fit(X, accounts)
    assert m.loglik_ == pytest.approx(one("loglik"), abs=1e-4)
    assert m.bic_low_ == pytest.approx(one("BIClow"), abs=1e-3)
    assert m.bic_high_ == pytest.approx(one("BIChigh"), abs=1e-3)
    assert m.aic_ == pytest.approx(one("AIC"), abs=1e-3)
    phi = ref[ref["quantity"] == "phi"].pivot(index="row", columns="col", values="value").to_numpy()  # cats × T
    P = m.probabilities_
    ours = P[:, 1::2].T if phi.shape[0] == X.shape[1] else P.T  # binary items: R keeps P(y = 1)
    _, t = linear_sum_assignment(((ours[:, :, None] - phi[:, None, :]) ** 2).sum(axis=0))
    assert np.abs(ours - phi[:, t]).max() < 1e-3
    pi = ref[ref["quantity"] == "pi"].pivot(index="row", columns="col", values="value").to_numpy().T[:, t]  # M × T
    _, mm = linear_sum_assignment(((m.class_mix_[:, None, :] - pi[None]) ** 2).sum(axis=2))
    assert np.abs(m.class_mix_ - pi[mm]).max() < 1e-3
    omega = ref.loc[ref["quantity"] == "omega", "value"].to_numpy()
    assert np.abs(m.account_shares_ - omega[mm]).max() < 1e-3
