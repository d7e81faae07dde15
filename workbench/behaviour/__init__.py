"""Transactions into per-customer behaviour, joined to the survey.

The client's order lines (CSV or Parquet, columns mapped in ``study.yaml`` under
``behaviour.transactions``) and optional customer master (``behaviour.customers``) are
read by DuckDB *directly from the files*: every feature below is one SQL query over the
lines, so tens of millions of lines are handled in modest memory on a laptop, and the
same query (:attr:`CustomerFeatures.sql`) can be pointed at a warehouse later. Survey
data stays in pandas; only the small per-customer table comes back from DuckDB.

Features, per customer, as of a reference date (the wave's ``reference_date``, else the
end of its fieldwork; lines dated after it are not seen, so a later wave sees later
behaviour). "Window" = the ``window_months`` (default 12) up to and including the
reference date.

==================  ===========================================================================
order               the lines sharing an order id (without an order-id column: one customer-day)
purchase            every order except a *return*: an order made only of negative lines
                    (zero-value orders, e.g. free replacements, are purchases)
recency_days        days from the last purchase to the reference date (any time before it)
frequency           purchases in the window
revenue             value of the window's orders: positive lines minus returned value
                    (``returns: net``, default) or positive lines only (``returns: exclude``)
gross_revenue       positive lines in the window; ``returns_value`` the negative lines (as a
                    positive amount); ``return_rate`` = returns_value / gross_revenue
aov                 revenue / frequency (average order value)
tenure_days         days since the first order: the earlier of the master's first order date
                    (``customers.first_order``) and the first purchase in the file
revenue_recent      revenue in the last ``trend_months`` (default 6); ``revenue_previous`` the
                    ``trend_months`` before; ``trend`` = (recent - previous) /
                    (abs(recent) + abs(previous)), from -1 (stopped buying) to +1 (new buyer)
r/f/m_score         quantile scores 1..bins (default 5; 5 = most recent / most frequent /
                    highest revenue) among customers with any purchase before the reference
                    date, as ``1 + floor(bins * (position - 1) / n)`` with ``position`` the
                    customer's place in ascending order. **Ties** (half the customers may
                    have bought once, where ``pandas.qcut`` fails with "bin edges must be
                    unique"): with ``ties: rank`` (default) equal values are ordered by the
                    other two measures and then by customer id, so the scores are equal-sized
                    quantiles; with ``ties: equal`` equal values share the lowest position
                    (``rank()``), so equal customers share a score and bins may be unequal
rfm_total, rfm_tier  R + F + M, and the tier: ``score_sum`` rule (default) gold if total >=
                    ``gold`` (default 12 for 5 bins, 2.4 x bins otherwise), silver if >=
                    ``silver`` (default 8, 1.6 x bins), else bronze; ``revenue_share`` rule:
                    ranked by revenue, gold while the revenue of customers strictly above is
                    below ``gold`` (0.5) of the total, silver below ``silver`` (0.8), else
                    bronze (equal revenues share a tier). No purchase at all: "no purchases"
lapsed              no purchase for more than ``lapsed_days`` (default 90) days; ``active``:
                    a purchase in the window
orders_share_<ch>,  share of the window's purchases and revenue by channel (channels as the
revenue_share_<ch>  study names them; an order's channel is the one its lines name, the
                    first in study order if they differ)
dominant_channel    the channel with most purchases (ties: more revenue, then study order)
digital_share       share of purchases through the study's ``digital.channels``
cost_to_serve       delivery + handling cost of the window's orders and returns;
                    ``cost_per_order`` per purchase; ``cost_share`` as a share of revenue
cost_tier           low / medium / high on ``cost_to_serve.measure``: tertiles (ties by rank:
                    value, then customer id) or fixed ``thresholds`` (a value on a threshold
                    goes up)
units               quantity in the window, net of returned units (when a quantity is mapped)
digital_maturity    respondents only: ``declared_weight`` x the survey's digital-maturity
                    answer rescaled to 0-1 + the rest x ``digital_share``; either part alone
                    when the other is missing (``digital_declared`` is the rescaled answer)
==================  ===========================================================================

Cancelled lines (``status`` in ``cancelled``) are dropped and counted. The customer base
is the master's customers whose first order date is not after the reference date, plus
every customer with lines up to the reference date (those missing from the master are
flagged ``in_master = False``); nothing is dropped without being counted in the match
report.

What customers did *after* the reference date (lapsed, orders, revenue and its change,
channel switch, cost to serve and its change, over 6 and 12 months) is
:func:`workbench.behaviour.forward.forward_outcomes`: the same ``orders`` relation, one SQL
text on DuckDB and Spark; lines after the reference date reach those outcomes, never a
feature.
"""

from .compute import compute_behaviour
from .features import customer_features
from .match import MATCH_STATUSES, match_respondents
from .result import Behaviour
from .rules import COST_TIERS, TIERS, channel_slug
from .table import CustomerFeatures

__all__ = [
    "CustomerFeatures",
    "Behaviour",
    "customer_features",
    "match_respondents",
    "compute_behaviour",
    "channel_slug",
    "TIERS",
    "COST_TIERS",
    "MATCH_STATUSES",
]
