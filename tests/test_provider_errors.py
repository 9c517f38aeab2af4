"""No raw provider error text reaches a person: each becomes one sentence with the reason."""

from __future__ import annotations

import json

import pytest
from google.genai import errors as genai_errors

from geminiteacher.engine.runner import run_course
from geminiteacher.errors import describe
from tests.course_helpers import MATERIAL, fast_settings

ANSWER = {"error": {"code": 400, "status": "INVALID_ARGUMENT",
                    "message": "Request contains an invalid argument.\n  Field: contents"}}
SENTENCE = ("the server answered HTTP 400 INVALID_ARGUMENT: Request contains an invalid "
            "argument. Field: contents")


def test_an_sdk_api_error_is_one_sentence_with_the_servers_reason():
    error = genai_errors.ClientError(400, ANSWER)
    assert str(error).startswith("400 INVALID_ARGUMENT. {'error'")  # what the SDK says
    assert describe(error) == SENTENCE


@pytest.mark.parametrize("text", [str(genai_errors.ClientError(400, ANSWER)),
                                  "400 INVALID_ARGUMENT. " + json.dumps(ANSWER)])
def test_raw_answer_text_wrapped_in_another_error_is_one_sentence_too(text):
    assert describe(RuntimeError(text)) == SENTENCE


def test_a_refused_explicit_cache_is_noted_in_words_not_as_the_raw_answer(gemini_env, tmp_path):
    run_course(MATERIAL, fast_settings(cache="on"), title="T", output_dir=tmp_path)
    warnings = json.loads((tmp_path / "T" / "course.json").read_text())["warnings"]
    note = next(w for w in warnings if "no explicit cache" in w)
    assert "(the server answered HTTP 400 INVALID_ARGUMENT: Cached content is too small" in note
    assert "{" not in note and "'error'" not in note
