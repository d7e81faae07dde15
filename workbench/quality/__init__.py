"""Data-quality checks on a wave's raw responses, and the exclusions they lead to.

:func:`check_quality` runs every check on the :class:`~workbench.data.readers.Responses` a
reader returned and decides, as the study's ``quality:`` section says, which respondent
rows are excluded.  Nothing is dropped silently: every row a check touches is listed in
:attr:`QualityReport.exclusions` with its file, row and reasons, and
:meth:`QualityReport.apply` is the only place rows are removed.

The checks
----------
duplicates
    A respondent id on more than one row.  ``duplicates: error`` stops the run naming the
    id, files and rows; ``keep_first`` / ``keep_last`` exclude the other occurrences;
    ``exclude_all`` excludes every occurrence.
out of range
    Codes not on the question's scale (found and blanked by the reader).  ``set_missing``
    lists them; ``exclude`` also excludes the respondent.
straightliners
    A *grid* is a block's set of questions on one likert or ordinal scale with at least
    ``min_items`` items (an outcomes block holds two grids: importance and satisfaction).
    A respondent straightlines a grid when they answered at least ``min_answered_share``
    of its items and gave every answered item the same code.  Respondents straightlining
    at least ``min_grids`` grids are flagged or excluded.
speeders
    When ``quality.duration`` names a column: a duration below ``ratio_to_median`` times
    the median duration.  The median is taken over the usable durations (positive
    numbers); blank, zero or negative durations are not judged and are reported.
missing
    Per respondent, the share of the analysed questions (blocks of kind needs,
    motivations, barriers, outcomes, firmographics; questions the wave did not ask are
    left out) that are blank or hold a missing code such as 98 "don't know".  Above
    ``max_respondent_share``: flagged or excluded.  Per item, the same share (and the
    don't-know share separately); items above ``max_item_share`` are flagged, never
    dropped.
columns
    Columns in the file the study does not declare, declared columns the wave did not
    ask, and SPSS value labels that disagree with the study's codes.

Every check runs on all rows read, including duplicate occurrences, so a row can carry
several reasons.

Modules: :mod:`~workbench.quality.checks` (the checks, :func:`check_quality`) and
:mod:`~workbench.quality.report` (:class:`QualityReport`, its tables and files).
"""

from .checks import ANALYSED_KINDS, check_quality, grids
from .report import CHECKS, QualityReport

__all__ = ["QualityReport", "check_quality", "grids", "ANALYSED_KINDS", "CHECKS"]
