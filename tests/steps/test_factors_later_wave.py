"""n_factors: auto on a later wave keeps the fitted wave's count (steps.factors._n_factors)."""

from types import SimpleNamespace

from workbench.steps.factors import _n_factors


def _ctx(model):
    return SimpleNamespace(loaded_model=model, wave="2")


def _model(items=("a", "b", "c", "d", "e", "f")):
    fs = SimpleNamespace(battery="needs", items=items, names=("one", "two"))
    return SimpleNamespace(wave="1", factors=(fs,))


def test_a_later_wave_keeps_the_fitted_waves_count():
    n, why = _n_factors(_ctx(_model()), "needs", "auto", list("abcdef"))
    assert n == 2 and why == "as in wave 1, where the segments were fitted"


def test_a_fitting_wave_a_given_count_or_a_battery_not_in_the_model_is_counted_as_asked():
    assert _n_factors(_ctx(None), "needs", "auto", list("abcdef")) == ("auto", "as the study asks")
    assert _n_factors(_ctx(_model()), "needs", 3, list("abcdef")) == (3, "as the study asks")
    assert _n_factors(_ctx(_model()), "barriers", "auto", list("abcdef")) == ("auto", "as the study asks")
    # an item of the fitted solution not asked in this wave: counted again
    assert _n_factors(_ctx(_model()), "needs", "auto", list("abcde")) == ("auto", "as the study asks")
