"""Factor analysis of attitude batteries, with the numbers of R's ``psych`` and ``lavaan``.

The statistics room of the flow (see DESIGN.md): plain data frames in, result objects out;
nothing here reads files or knows about studies.

* :func:`suitability` - KMO (overall, per item) and Bartlett's test of sphericity.
* :func:`parallel_analysis` - how many factors: parallel analysis, Kaiser, scree, MAP.
* :func:`efa` - exploratory factor analysis (minres, ml, principal axes, principal
  components; oblimin, quartimin, geomin, promax, varimax), sorted and blanked loadings,
  reliability per factor, suggested names, factor scores.
* :func:`reliability`, :func:`cronbach_alpha`, :func:`omega_total` - scale reliability.
* :func:`cfa` - confirmatory fit of an earlier wave's structure on a new wave.
* :func:`correlation_matrix`, :func:`polychoric`, :func:`tetrachoric` - the correlations behind it all.

Missing answers are handled pairwise by default (as ``psych``); "don't know" is missing.
"""

from .confirm import CFAResult, cfa, fit_statistics
from .correlation import (CorrelationInfo, bivariate_normal_cdf, correlation_matrix, polychoric, polychoric_pair,
                          suggest_correlation, tetrachoric)
from .count import FactorCount, map_test, parallel_analysis
from .efa import METHODS, ROTATIONS, EFAResult, FactorWarning, efa, suggest_names
from .reliability import Reliability, cronbach_alpha, omega_total, reliability
from .suitability import Suitability, bartlett, kmo, kmo_verdict, suitability

__all__ = [
    "efa", "EFAResult", "suitability", "Suitability", "parallel_analysis", "FactorCount",
    "reliability", "Reliability", "cronbach_alpha", "omega_total", "cfa", "CFAResult",
    "fit_statistics", "correlation_matrix", "CorrelationInfo", "polychoric", "polychoric_pair",
    "bivariate_normal_cdf", "tetrachoric", "suggest_correlation", "kmo", "kmo_verdict", "bartlett", "map_test", "suggest_names",
    "FactorWarning", "METHODS", "ROTATIONS",
]
