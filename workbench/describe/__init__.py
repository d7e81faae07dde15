"""Describing segments for the client (after the scorecard of :mod:`workbench.criteria` judged them).

``profiles``       segment profiles: means, shares and indices with Holm-corrected tests
``alignment``      segment labels ordered by size and matched across fits
``opportunities``  JTBD opportunity scores per segment
``personas``       persona drafts and the consultant's edits kept across waves (personas.yaml)
``persona_names``  persona names in the study's language (one table of words per language)
``suppression``    segments below ``min_segment_n`` hidden in the typing tool and customer base

These import :mod:`workbench.core`, :mod:`workbench.files` and each other.
"""
