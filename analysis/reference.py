"""Published reference figures (METHOD.md): the baseline, the national series and the sample rule.

Kept as named values so no figure is a magic number elsewhere; all in percent.
"""

from __future__ import annotations

from types import MappingProxyType

__all__ = [
    "BASELINE",
    "BASELINE_RANK",
    "BASELINE_YEAR",
    "NATIONAL",
    "NATIONAL_SIPAS",
    "PROVINCES",
    "SMALL_SAMPLE_HALF_WIDTH",
    "SMALL_SAMPLE_N",
    "TARGET_HALF_WIDTH",
]

#: Lai Châu SIPAS 2024, rank 55 of 63 provinces: the baseline every estimate is compared with.
BASELINE = 81.51
BASELINE_YEAR = 2024
BASELINE_RANK = 55
PROVINCES = 63

#: National SIPAS by year. Since 2022 the national survey is household-based; earlier figures
#: (counter exit surveys) are not comparable and are deliberately not listed.
NATIONAL_SIPAS = MappingProxyType({2022: 80.08, 2023: 82.66, 2024: 83.94})
#: The national figure shown next to the baseline in the index JSON.
NATIONAL = NATIONAL_SIPAS[2024]

#: An estimate on fewer responses, or with a wider interval (half-width, pp), is "small_sample".
SMALL_SAMPLE_N = 30
SMALL_SAMPLE_HALF_WIDTH = 10.0
#: The half-width (pp) a unit's report aims for; about 246 effective responses at 80 %.
TARGET_HALF_WIDTH = 5.0
