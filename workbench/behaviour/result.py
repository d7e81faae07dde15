"""The result of the behaviour step: tables, charts and ``behaviour.xlsx``."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..core.errors import WorkbenchError
from ..core.measures import CORE_KPIS, MEASURES
from ..core.summary import Summarised, Summary, SummaryTable
from .table import CustomerFeatures
from .match import MATCH_STATUSES
from .rules import TIERS, channel_slug


@dataclass(frozen=True)
class Behaviour(Summarised):
    """Behavioural features of a wave's customer base, joined to its respondents.

    Attributes
    ----------
    customers : DataFrame
        One row per customer of the base, indexed by customer id: every feature.
    respondents : DataFrame
        The clean respondents (same index as the survey data): customer id, match status,
        duplicate flag, every customer feature (NaN where no behaviour) and the
        digital-maturity indicator.
    match : DataFrame
        The match report (group, status, n, share, what happens).
    unmatched : DataFrame
        Respondents without behaviour, with the reason, and duplicated keys.
    lines : DataFrame
        Lines read, cancelled, after the reference date, returns, used.
    features : CustomerFeatures
        The DuckDB computation (SQL, sources, settings).
    study_id, wave : str
    as_of : date
    key : str
        The survey column joined on.
    lapsed_days : int
        The lapsed threshold (days without a purchase).
    weighting : RakingResult or None
        Raking of the respondents to the customer base, when the study declares it.
    """

    customers: pd.DataFrame
    respondents: pd.DataFrame
    match: pd.DataFrame
    unmatched: pd.DataFrame
    lines: pd.DataFrame
    features: CustomerFeatures
    study_id: str
    wave: str
    as_of: _dt.date
    key: str
    lapsed_days: int = 90
    weighting: Any = None

    @property
    def channels(self) -> tuple[str, ...]:
        return self.features.channels

    # ---- tables
    def feature_summary(self) -> pd.DataFrame:
        """Numeric features of the base and of the matched respondents: n, mean, quartiles."""
        num = [c for c in self.customers.columns
               if pd.api.types.is_numeric_dtype(self.customers[c]) and not pd.api.types.is_bool_dtype(self.customers[c])]
        rows = []
        matched = self.respondents[self.respondents["match"] == MATCH_STATUSES[0]]
        for c in num:
            for who, frame in (("customer base", self.customers), ("respondents (matched)", matched)):
                s = pd.to_numeric(frame[c], errors="coerce").astype(float).dropna()
                rows.append({"feature": c, "who": who, "n": len(s),
                             "mean": s.mean() if len(s) else np.nan,
                             "p25": s.quantile(0.25) if len(s) else np.nan,
                             "median": s.median() if len(s) else np.nan,
                             "p75": s.quantile(0.75) if len(s) else np.nan})
        return pd.DataFrame(rows).set_index(["feature", "who"]).round(4)

    def distribution(self, column: str) -> pd.DataFrame:
        """Share of the customer base, the respondents and (when weighted) the weighted
        respondents in each category of ``column`` (e.g. ``rfm_tier``, ``lapsed``)."""
        if column not in self.customers:
            raise WorkbenchError(f"no behaviour feature '{column}'; features: {', '.join(self.customers.columns)}")
        base = self.customers[column]
        cats = list(base.cat.categories) if isinstance(base.dtype, pd.CategoricalDtype) else sorted(base.dropna().unique(), key=str)
        resp = self.respondents[column]
        out = pd.DataFrame(index=pd.Index(cats, name=column))
        out["customers"] = base.value_counts().reindex(cats).fillna(0).astype(int)
        out["customers %"] = 100 * out["customers"] / max(base.notna().sum(), 1)
        out["respondents"] = resp.value_counts().reindex(cats).fillna(0).astype(int)
        out["respondents %"] = 100 * out["respondents"] / max(resp.notna().sum(), 1)
        if self.weighting is not None:
            w = self.weighting.weights.reindex(self.respondents.index)
            ws = w.groupby(resp.astype(object)).sum().reindex(cats).fillna(0)
            out["weighted respondents %"] = 100 * ws / max(w[resp.notna()].sum(), 1e-300)
        return out.round(2)

    def categories(self) -> list[str]:
        """The category and yes/no features of the customer base (RFM and cost-to-serve
        tiers, main channel, lapsed, active) this study's data gave, in the order of
        :data:`workbench.core.measures.MEASURES`: the columns :meth:`distribution` takes."""
        return [c for c, m in MEASURES.items() if m.unit in ("category", "flag") and c in self.customers.columns]

    def respondent_kpis(self) -> pd.DataFrame:
        """One row per clean respondent: the customer id, how the join matched them, the
        KPIs (:data:`workbench.core.measures.CORE_KPIS` order) and the digital-maturity
        indicators, as far as this study's data gave them."""
        cols = ("customer_id", "match", *CORE_KPIS, "digital_declared", "digital_maturity")
        return self.respondents[[c for c in dict.fromkeys(cols) if c in self.respondents.columns]]

    def tier_distribution(self) -> pd.DataFrame:
        """RFM tiers by lapsed flag for the base, plus tier shares for the respondents."""
        return self.distribution("rfm_tier")

    def channel_mix(self) -> pd.DataFrame:
        """Mean share of orders and of revenue by channel (active customers), and the
        share of customers for whom each channel is dominant."""
        act = self.customers[self.customers["active"]]
        rows = []
        for ch in self.channels:
            s = channel_slug(ch)
            rows.append({
                "channel": ch,
                "orders share (mean)": act[f"orders_share_{s}"].mean(),
                "revenue share (mean)": act[f"revenue_share_{s}"].mean(),
                "dominant for % of customers": 100 * (act["dominant_channel"] == ch).mean() if len(act) else np.nan,
                "dominant for % of respondents": 100 * (
                    self.respondents.loc[self.respondents["active"].fillna(False).astype(bool), "dominant_channel"] == ch
                ).mean(),
            })
        return pd.DataFrame(rows).set_index("channel").round(4) if rows else pd.DataFrame()

    def summary(self) -> pd.DataFrame:
        """One table: the headline numbers of the base and the join."""
        c = self.customers
        n_match = int((self.respondents["match"] == MATCH_STATUSES[0]).sum())
        rows = [
            ("reference date", str(self.as_of)),
            ("customers in the base", len(c)),
            ("active (a purchase in the window)", int(c["active"].sum())),
            ("lapsed", int(c["lapsed"].fillna(False).sum())),
            ("bought exactly once in the window", int((c["frequency"] == 1).sum())),
            ("respondents", len(self.respondents)),
            ("respondents matched to behaviour", n_match),
            ("median recency (days)", c["recency_days"].median()),
            ("median frequency (active)", c.loc[c["active"], "frequency"].median()),
            ("total revenue in the window", round(float(c["revenue"].sum()), 2)),
            ("order lines used", int(self.lines.loc["lines used", "n"])),
        ]
        for t in TIERS[:3]:
            rows.append((f"{t} customers", int((c["rfm_tier"] == t).sum())))
        if self.weighting is not None:
            d = self.weighting.diagnostics
            rows += [("design effect (weights)", d["design effect"]), ("effective n", d["effective n"])]
        return pd.DataFrame(rows, columns=["measure", "value"]).set_index("measure")

    # ---- charts
    def plot_distributions(self):
        """RFM tiers, recency, frequency and channel mix of the base vs the respondents.

        Returns
        -------
        matplotlib.figure.Figure
        """
        from matplotlib.figure import Figure

        fig = Figure(figsize=(11, 7.5))  # not pyplot: shown once in a notebook
        axes = fig.subplots(2, 2)
        tiers = self.tier_distribution()
        cols = [c for c in ("customers %", "respondents %", "weighted respondents %") if c in tiers]
        tiers[cols].plot.bar(ax=axes[0, 0], rot=0)
        axes[0, 0].set_title("RFM tier (% of customers / respondents)")
        axes[0, 0].set_xlabel("")
        rec = self.customers["recency_days"].dropna().astype(float)
        axes[0, 1].hist(rec, bins=40, color="#4C72B0")
        axes[0, 1].axvline(self.lapsed_days, color="#C44E52", ls="--", label=f"lapsed: > {self.lapsed_days} days")
        axes[0, 1].set_title("Days since last purchase (customer base)")
        axes[0, 1].legend()
        freq = self.customers.loc[self.customers["active"], "frequency"].astype(float)
        axes[1, 0].hist(freq.clip(upper=freq.quantile(0.99) if len(freq) else 1), bins=40, color="#55A868")
        axes[1, 0].set_title("Purchases in the window (active customers, top 1 % clipped)")
        mix = self.channel_mix()
        if not mix.empty:
            mix[["orders share (mean)", "revenue share (mean)"]].plot.barh(ax=axes[1, 1])
            axes[1, 1].set_title("Channel mix (mean share, active customers)")
        else:
            axes[1, 1].axis("off")
        fig.suptitle(f"Behaviour as of {self.as_of} — {self.study_id}, wave {self.wave}")
        fig.tight_layout()
        return fig

    def plot_rfm(self):
        """Mean revenue by recency and frequency score (the classic RFM grid).

        Returns
        -------
        matplotlib.figure.Figure
        """
        from matplotlib.figure import Figure

        c = self.customers.dropna(subset=["r_score", "f_score"])
        grid = c.pivot_table(index="r_score", columns="f_score", values="revenue", aggfunc="mean", observed=True)
        fig = Figure(figsize=(6.5, 5))
        ax = fig.add_subplot()
        im = ax.imshow(grid.to_numpy(dtype=float), origin="lower", cmap="viridis", aspect="auto")
        ax.set_xticks(range(grid.shape[1]), [str(x) for x in grid.columns])
        ax.set_yticks(range(grid.shape[0]), [str(x) for x in grid.index])
        ax.set_xlabel("F score (5 = most purchases)")
        ax.set_ylabel("R score (5 = most recent)")
        ax.set_title("Mean revenue in the window by R and F score")
        fig.colorbar(im, ax=ax, label="revenue")
        fig.tight_layout()
        return fig

    # ---- output
    def sheets(self) -> tuple[dict[str, pd.DataFrame], dict[str, str]]:
        """The tables of ``behaviour.xlsx`` with a note for each."""
        sheets = {
            "Summary": self.summary(),
            "Match report": self.match,
            "Unmatched respondents": self.unmatched,
            "Feature summary": self.feature_summary(),
            "RFM tiers": self.tier_distribution(),
            "Lapsed": self.distribution("lapsed"),
            "Channel mix": self.channel_mix(),
        }
        if "cost_tier" in self.customers:  # not computed without cost columns
            sheets["Cost-to-serve tiers"] = self.distribution("cost_tier")
        if "dominant_channel" in self.customers:
            sheets["Dominant channel"] = self.distribution("dominant_channel")
        sheets["Respondent features"] = self.respondents
        sheets["Lines"] = self.lines
        sheets["Settings"] = self.features.settings
        sheets["Sources"] = self.features.sources
        notes = {
            "Summary": f"Behaviour as of {self.as_of} (the wave's reference date); lines after it are not used.",
            "Match report": "Every respondent and every customer, by what happened in the join: nothing unmatched is dropped.",
            "Unmatched respondents": "Respondents without behaviour, and customer ids shared by several respondents.",
            "Feature summary": "Numeric features: customer base vs matched respondents.",
            "RFM tiers": "Share of the base and of the respondents in each RFM tier (rule in Settings).",
            "Channel mix": "Mean share of purchases and revenue by channel among active customers.",
            "Respondent features": "Every behaviour feature per clean respondent (empty where no behaviour).",
            "Settings": "The rules the features were computed with (from study.yaml, behaviour:).",
        }
        if self.weighting is not None:
            ws, wn = self.weighting.sheets()
            sheets.update(ws)
            notes.update(wn)
        return sheets, notes

    def to_excel(self, path, *, pii=(), currency: str | None = None, labels=None) -> Path:
        """Write ``behaviour.xlsx`` (refuses PII columns); amounts in ``currency`` when given."""
        from ..files.outputs import write_workbook

        sheets, notes = self.sheets()
        return write_workbook(path, sheets, pii=pii, notes=notes, currency=currency, labels=labels)

    def summarise(self) -> Summary:
        """The headline (customers, active, lapsed, respondents matched), the raking's line, the
        headline numbers and the match report."""
        s = self.summary()["value"]
        n_match = s["respondents matched to behaviour"]
        head = (f"Behaviour {self.study_id} wave {self.wave} as of {self.as_of}: {s['customers in the base']:,} "
                f"customers ({s['active (a purchase in the window)']:,} active, {s['lapsed']:,} lapsed); "
                f"{n_match:,} of {len(self.respondents):,} respondents matched")
        lines = [head] + ([self.weighting.text()] if self.weighting is not None else [])
        return Summary(f"Behaviour, wave {self.wave}", lines,
                       [SummaryTable(self.summary(), title="Base and join"), SummaryTable(self.match, title="Join")])

    def __repr__(self) -> str:
        return (f"Behaviour(study={self.study_id!r}, wave={self.wave!r}, as_of={self.as_of}, "
                f"customers={len(self.customers)}, respondents={len(self.respondents)})")
