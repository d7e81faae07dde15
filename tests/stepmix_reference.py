"""StepMix as the reference the package's own EM is checked against (tests only)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd


def lca_as_stepmix(model):
    """A fitted :class:`LatentClassModel`'s measurement model as a StepMix estimator, built
    through StepMix's public API (``fit`` on every answer code once to validate the settings,
    then ``set_parameters``); ordinal items enter with the answer probabilities their
    thresholds and locations imply. Its input is ``model.encoding_.transform(data)``."""
    from stepmix.stepmix import StepMix

    enc = model.encoding_
    width = enc.max_categories
    pis = np.full((model.n_classes_, len(enc.columns) * width), 1e-15)
    off = np.concatenate([[0], np.cumsum([len(c) for c in enc.categories])])
    for j in range(len(enc.columns)):
        pis[:, j * width:j * width + off[j + 1] - off[j]] = model.probabilities_[:, off[j]:off[j + 1]]
    sm = StepMix(n_components=model.n_classes_, measurement="categorical_nan", n_init=1, max_iter=1,
                 progress_bar=0, verbose=0, random_state=0,
                 measurement_params=dict(integer_codes=False, max_n_outcomes=width,
                                         total_outcomes=enc.total_categories))
    rows = 2 * max(model.n_classes_, width)
    dummy = pd.DataFrame({c: [cats[i % len(cats)] for i in range(rows)] for c, cats in zip(enc.columns, enc.categories)})
    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore", under="ignore"):
        warnings.simplefilter("ignore")
        sm.fit(enc.transform(dummy))
    params = sm.get_parameters()
    params["weights"] = model.shares_.copy()
    params["measurement"]["pis"] = np.clip(pis, 1e-15, 1.0)
    sm.set_parameters(params)
    return sm
