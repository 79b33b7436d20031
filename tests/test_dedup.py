"""Near-dedup keeps the first copy, drops later near copies, and is deterministic."""

import inspect
import textwrap

from codealign.algorithms import dedup
from codealign.seeds import extract as extract_module

ORIGINAL = inspect.getsource(textwrap.dedent)
RENAMED = ORIGINAL.replace("def dedent(", "def strip_common_indent(").replace("Look for", "Find")  # renamed, a comment edited
PARTIAL = ORIGINAL.replace("margin", "common_indent")  # a third of the shingles differ
UNRELATED = inspect.getsource(extract_module.returns_value)


def test_renamed_copy_is_a_near_duplicate_of_the_first():
    assert dedup.jaccard(ORIGINAL, RENAMED) > 0.5
    assert dedup.near_duplicates([ORIGINAL, UNRELATED, RENAMED], threshold=0.5) == [None, None, 0]


def test_order_decides_which_copy_survives():
    assert dedup.near_duplicates([RENAMED, ORIGINAL], threshold=0.5) == [None, 0]


def test_below_threshold_both_are_kept():
    assert 0.5 < dedup.jaccard(ORIGINAL, PARTIAL) < 0.7
    assert dedup.near_duplicates([ORIGINAL, PARTIAL], threshold=0.8) == [None, None]


def test_deterministic_across_runs():
    texts = [ORIGINAL, UNRELATED, RENAMED, ORIGINAL + "\n# trailing", UNRELATED.upper()]
    assert dedup.near_duplicates(texts, threshold=0.5) == dedup.near_duplicates(texts, threshold=0.5)


def test_exact_duplicates_ignore_whitespace():
    assert dedup.exact_duplicates(["a  b\n", "c", "a b"]) == [None, None, 0]


def test_skipped_items_are_neither_kept_nor_compared():
    assert dedup.near_duplicates([ORIGINAL, RENAMED], threshold=0.5, skip=[True, False]) == [None, None]
