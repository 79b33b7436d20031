"""Responses are split into implementation and tests, or rejected with a reason (recorded Gemma outputs)."""

import pytest

from codealign.generation.backend import Completion
from codealign.generation.prompts import load_bank
from codealign.selfalign import responses

GOOD = """We double the number.

## Implementation
```python
def double(x):
    return 2 * x
```

## Explanation
Multiplying by two doubles it.

## Tests
```python
assert double(2) == 4
assert double(0) == 0
```
Some trailing chatter that is not part of the response.
"""

# Recorded from Gemma 3 270M (I→R, 1-shot, T=0.7), trimmed.
RECORDED_NO_TESTS = """A process is a collection of objects; an object is a collection of items.

## Implementation
```python
object_OP = {}
def process_object(object):
    for item in object.values():
        if item not in object_OP:
            object_OP[item] = item
    print(object_OP)
```
"""
RECORDED_NO_CODE = (
    "`root_child_count()` creates a child of count(1), which is a child of count(2).\n"
    "If a key has a child in count(2), it will be deleted.\n"
)
RECORDED_SYNTAX_ERROR = """## Implementation
```python
max(x, y) = x + y
```

## Tests
```python
assert max(x, y) == x + y
```
"""


def test_a_well_formed_response_is_split():
    parsed = responses.split(GOOD)
    assert parsed.implementation == "def double(x):\n    return 2 * x\n"
    assert parsed.tests == "assert double(2) == 4\nassert double(0) == 0\n"
    assert parsed.n_asserts == 2
    assert parsed.response.startswith("## Reasoning\nWe double the number.") and parsed.response.endswith("```\n")
    assert "trailing chatter" not in parsed.response


def test_blocks_without_headers_still_split_when_a_later_block_asserts():
    parsed = responses.split("Easy.\n```python\ndef f():\n    return 1\n```\nCheck:\n```\nassert f() == 1\n```\n")
    assert parsed.implementation.startswith("def f()") and parsed.tests == "assert f() == 1\n"


@pytest.mark.parametrize(
    "text,reason",
    [
        (RECORDED_NO_TESTS, "no_tests"),
        (RECORDED_NO_CODE, "no_code"),
        (RECORDED_SYNTAX_ERROR, "syntax_error"),
        ("   \n", "empty"),
        (GOOD.replace("assert double(2) == 4\nassert double(0) == 0", "print(double(2))"), "no_tests"),
    ],
)
def test_unusable_responses_are_rejected_with_their_reason(text, reason):
    assert responses.split(text) == reason


def test_truncated_and_echoed_responses_are_rejected():
    bank = load_bank()
    assert responses.reason_for(Completion(GOOD, "length", 10, 512), bank[:1]) == "truncated"
    echo = bank[0]
    text = f"Reasons.\n\n## Implementation\n```python\n{echo.implementation}```\n\n## Tests\n```python\n{echo.tests}```\n"
    assert responses.reason_for(Completion(text, "stop", 10, 100), [echo]) == "echoed_fewshot"
    assert isinstance(responses.reason_for(Completion(GOOD, "stop", 10, 100), [echo]), responses.Parsed)


@pytest.mark.parametrize("tests", ["assert x == " + "-" * 100000 + "1\n", "assert 1" + " + 1" * 200000 + " == 2\n"])
def test_code_too_deep_for_the_parser_is_a_reason_not_a_crash(tests):
    text = f"We add.\n\n## Implementation\n```python\nx = 1\n```\n\n## Tests\n```python\n{tests}```\n"
    assert responses.split(text) == "too_deep"
