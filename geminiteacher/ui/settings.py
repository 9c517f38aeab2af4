"""The sidebar: engine, key, model and course settings, turned into `CourseSettings`."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

import streamlit as st

from geminiteacher.backends import KEY_VARIABLES, configured_api_key
from geminiteacher.backends.gemini import GeminiEngine
from geminiteacher.errors import GeminiTeacherError, SettingsError, describe
from geminiteacher.models import DEFAULT_MODEL, CourseSettings

THINKING = {  # label -> thinking budget in tokens (None: the model's default)
    "Model default": None, "Off (fastest, cheapest)": 0, "Light (1,024 tokens)": 1024,
    "Deep (8,192 tokens)": 8192,
}
MODES = {
    "parallel": "Parallel: several chapters at once (fastest)",
    "sequential": "Sequential: one chapter after another",
    "cascade": "Cascade: each chapter sees the ones before it",
}


@dataclass
class Choices:
    """What the sidebar produced: settings (None while invalid), the key for a new course
    (None when it is written offline) and the key configured here whatever the engine (for
    follow-ups on a course written with Gemini)."""

    settings: CourseSettings | None
    api_key: str | None
    available_key: str | None = None


def secrets_key() -> str | None:
    """A key from `.streamlit/secrets.toml`, if the file exists and holds one."""
    try:
        return next((str(st.secrets[n]) for n in KEY_VARIABLES if n in st.secrets), None)
    except FileNotFoundError:
        return None


def key_origin(typed: str) -> tuple[str | None, str]:
    """The API key to use and where it came from: typed, environment, then secrets."""
    if typed.strip():
        return typed.strip(), "typed above"
    from_env = configured_api_key(None)
    if from_env:
        return from_env, "from the server's environment"
    from_secrets = secrets_key()
    return from_secrets, "from the app's secrets" if from_secrets else ""


@st.cache_data(ttl=900, show_spinner="Listing your models…")
def account_models(key_digest: str, base_url: str, _api_key: str) -> tuple[list[str], str]:
    """The models this key may use; ([], reason) when listing fails.

    Cached per key hash and base URL (the engine reads GOOGLE_GEMINI_BASE_URL itself).
    """
    try:
        return GeminiEngine(_api_key, DEFAULT_MODEL).list_models(), ""
    except GeminiTeacherError as exc:
        return [], describe(exc)


def model_picker(api_key: str) -> str:
    """A selectbox of the account's models, or a text box when they cannot be listed."""
    digest = hashlib.sha256(api_key.encode()).hexdigest()
    names, problem = account_models(digest, os.environ.get("GOOGLE_GEMINI_BASE_URL", ""), api_key)
    if problem:
        st.error(f"Could not list your models: {problem}")
    if not names:
        return st.text_input("Model", value=DEFAULT_MODEL, help="A Gemini model name.")
    index = names.index(DEFAULT_MODEL) if DEFAULT_MODEL in names else 0
    return st.selectbox("Model", names, index=index, help="Models your API key may use.")


def sidebar_settings() -> Choices:
    """Draw the settings and build `CourseSettings` from them; problems are shown in words."""
    with st.sidebar:
        st.header("Settings")
        engine = st.radio(
            "Engine", ["auto", "gemini", "offline"], horizontal=True,
            format_func=str.capitalize,
            help="Auto uses Gemini when an API key is configured, else the offline engine, "
                 "which extracts sentences from your documents without any network.",
        )
        typed = st.text_input(
            "Gemini API key", type="password", key="typed_key",
            help="Kept in this browser session only: never saved, logged or put in a course.",
        )
        api_key, origin = key_origin(typed)
        uses_gemini = engine == "gemini" or (engine == "auto" and api_key is not None)
        if engine == "gemini" and api_key is None:
            st.error("The Gemini engine needs an API key: type one above or set GEMINI_API_KEY.")
        elif uses_gemini:
            st.caption(f"Writing with Gemini, key {origin}.")
        else:
            st.caption("Writing offline: chapters are extracted from your documents.")
        model = model_picker(api_key) if uses_gemini and api_key else DEFAULT_MODEL
        temperature = st.slider("Temperature", 0.0, 2.0, 0.0, 0.1,
                                help="Higher values make Gemini's wording more varied.",
                                ) if uses_gemini else None
        language = st.text_input("Language", value="English", help="The language of the course.")
        max_chapters = st.number_input("Max chapters", min_value=1, value=10, step=1,
                                       help="The outline has at most this many chapters (1–100).")
        exact = st.checkbox("Exactly this many chapters")
        mode = st.selectbox("Mode", list(MODES), format_func=MODES.get)
        with st.expander("Speed and limits"):
            workers = st.number_input("Workers", min_value=1, value=4, step=1,
                                      help="Chapters written at the same time in parallel mode.")
            delay = st.slider("Delay between requests (s)", 0.0, 10.0, (0.1, 0.5), 0.1,
                              help="A random pause in this range before each request.")
            retries = st.number_input("Retries per chapter", min_value=0, value=3, step=1)
            rpm = st.number_input("Requests per minute (0 = no cap)", min_value=0, value=0,
                                  step=1, help="Stay under your plan's per-minute quota.")
            thinking = st.selectbox(
                "Thinking", list(THINKING),
                help="How much Gemini may think before writing each chapter. Off is faster "
                     "and cheaper on Flash models; Pro models always think a little.")
        custom = st.text_area("Custom instructions",
                              help="Extra guidance for every chapter, e.g. the audience.")
        try:
            settings = CourseSettings(
                engine=engine, model_name=model.strip() or DEFAULT_MODEL,
                temperature=temperature, language=language.strip() or "English",
                max_chapters=int(max_chapters), fixed_chapter_count=exact,
                custom_prompt=custom.strip() or None, mode=mode, max_workers=int(workers),
                delay_range=(float(delay[0]), float(delay[1])), max_retries=int(retries),
                requests_per_minute=float(rpm) if rpm else None,
                thinking_budget=THINKING[thinking],
            )
        except SettingsError as exc:
            st.error(f"Please fix a setting: {exc}.")
            settings = None
        if engine == "gemini" and api_key is None:
            settings = None
    return Choices(settings, api_key if uses_gemini else None, api_key)
