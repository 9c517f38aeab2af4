"""The sidebar: engine, key, model and course settings, turned into `CourseSettings`."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from urllib.parse import urlsplit

import streamlit as st

from geminiteacher.backends import KEY_VARIABLES, configured_api_key, resolve_engine
from geminiteacher.backends.gemini import GeminiEngine
from geminiteacher.backends.openai import BASE_URL_ENV, OpenAIEngine
from geminiteacher.backends.openai.client import configured_key, is_loopback
from geminiteacher.errors import GeminiTeacherError, ModelAccessError, SettingsError, describe
from geminiteacher.models import (
    DEFAULT_MODEL,
    MAX_WAIT,
    MAX_WORKERS,
    CourseSettings,
    checked_base_url,
)
from geminiteacher.ui.markdown import safe_label

THINKING = {
    "auto": "Auto (the model decides)", "off": "Off (or the model's lowest level)",
    "low": "Low", "medium": "Medium", "high": "High",
}
CACHING = {
    "auto": "Auto (when it pays)", "on": "Always", "off": "Never (implicit caching only)",
}
READ = {
    "auto": "Auto (Gemini reads pages and pictures)", "text": "As text only",
    "native": "Natively (pages and pictures)",
}
RESOLUTION = {
    "auto": "Auto (the model's default)", "low": "Low (fewest tokens)", "medium": "Medium",
    "high": "High (small print)",
}
ENGINES = {"auto": "Auto", "gemini": "Gemini", "openai": "OpenAI-compatible",
           "offline": "Offline"}
LOCAL_SERVER = "http://localhost:11434/v1"  # Ollama's, the most common local server
BATCH_LABEL = "Batch: half price, results within hours"
MODES = {
    "parallel": "Parallel: several chapters at once (fastest)",
    "sequential": "Sequential: one chapter after another",
    "cascade": "Cascade: each chapter sees the ones before it",
}


@dataclass
class Choices:
    """What the sidebar produced: settings (None while invalid), the key for a new course
    (Gemini's, or the OpenAI-compatible server's; None offline or keyless) and the Gemini key
    configured here whatever the engine (for follow-ups on a course written with Gemini)."""

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


@dataclass(frozen=True)
class KeyCheck:
    """What listing the models with a key said: the models, or why not and whether the
    server refused the key itself (a server that cannot list models refuses nothing)."""

    models: list[str]
    problem: str = ""
    refused: bool = False


@st.cache_data(ttl=900, show_spinner="Checking your API key…")
def check_key(key_digest: str, base_url: str, _api_key: str) -> KeyCheck:
    """The models this key may use, listed once per key hash and base URL (the engine reads
    GOOGLE_GEMINI_BASE_URL itself) for 15 minutes: a cheap call that also proves the key."""
    try:
        return KeyCheck(GeminiEngine(_api_key, DEFAULT_MODEL).list_models())
    except ModelAccessError as exc:
        return KeyCheck([], describe(exc), refused=True)
    except GeminiTeacherError as exc:
        return KeyCheck([], describe(exc))


def key_check(api_key: str) -> KeyCheck:
    digest = hashlib.sha256(api_key.encode()).hexdigest()
    return check_key(digest, os.environ.get("GOOGLE_GEMINI_BASE_URL", ""), api_key)


def model_picker(check: KeyCheck) -> str:
    """A selectbox of the account's models, or a text box when they cannot be listed."""
    names = check.models
    if not names:
        if check.problem and not check.refused:
            st.caption(f"Your models could not be listed ({safe_label(check.problem)}); type a "
                       "model name.")
        return st.text_input("Model", value=DEFAULT_MODEL, help="A Gemini model name.")
    index = names.index(DEFAULT_MODEL) if DEFAULT_MODEL in names else 0
    return st.selectbox("Model", names, index=index,
                        help="Models your API key may use: aliases first, then newest first. "
                             f"{DEFAULT_MODEL} always points at Google's current Flash model.")


@st.cache_data(ttl=300, show_spinner="Asking the server for its models…")
def server_models(base_url: str, key_digest: str, _api_key: str | None) -> tuple[list[str], str]:
    """The models an OpenAI-compatible server lists; ([], reason) when it cannot.

    Cached per base URL and key hash, never the key itself.
    """
    try:
        return OpenAIEngine("listing", base_url=base_url, api_key=_api_key,
                            timeout=30).list_models(), ""
    except GeminiTeacherError as exc:
        return [], describe(exc)


@dataclass
class Server:
    """An OpenAI-compatible server as the sidebar set it: its URL, key and chosen model."""

    base_url: str
    api_key: str | None
    model: str


def openai_server() -> Server | None:
    """Base URL, optional key and model of an OpenAI-compatible server; None while invalid.

    Says where the material goes: nothing leaves the machine only for a loopback address.
    """
    typed_url = st.text_input(
        "Server base URL", value=os.environ.get(BASE_URL_ENV, "").strip() or LOCAL_SERVER,
        key="base_url",
        help="An OpenAI-compatible API: Ollama http://localhost:11434/v1, vLLM "
             "http://localhost:8000/v1, LM Studio http://localhost:1234/v1, llama.cpp "
             "http://localhost:8080/v1, or a service such as OpenAI, Azure OpenAI "
             "(https://NAME.openai.azure.com/openai/v1) or OpenRouter.")
    typed_key = st.text_input(
        "Server API key (optional for local servers)", type="password", key="typed_openai_key",
        help="Kept in this browser session only: never saved, logged or put in a course. "
             "Empty: OPENAI_API_KEY from the server's environment, or none.")
    try:
        base_url = checked_base_url(typed_url)
    except SettingsError as exc:
        st.error(safe_label(describe(exc)))
        return None
    if base_url is None:
        st.error("Give the server's base URL, e.g. " + LOCAL_SERVER)
        return None
    api_key = configured_key(typed_key)
    if is_loopback(base_url):
        st.caption("Local server: your material is sent only to this machine; nothing leaves "
                   "it.")
    else:
        st.caption(f"Your material is sent to {urlsplit(base_url).hostname}.")
    digest = hashlib.sha256((api_key or "").encode()).hexdigest()
    names, problem = server_models(base_url, digest, api_key)
    if not names:
        if problem:
            st.caption(f"The server's models could not be listed "
                       f"({safe_label(problem.rstrip('.'))}); type a model name.")
        model = st.text_input("Model", key="typed_server_model",
                              help="The model's name on the server, e.g. llama3.2 (Ollama).")
    else:
        model = st.selectbox("Model", names, help="The models the server lists.")
    return Server(base_url, api_key, (model or "").strip())


def temperature_choice() -> float | None:
    """None (the model's own default, which Google advises for Gemini 3) unless ticked."""
    if not st.checkbox("Set a temperature", help="Off: the model's own default (1.0 on "
                       "Gemini 3, which Google advises keeping)."):
        return None
    return st.slider("Temperature", 0.0, 2.0, 1.0, 0.1,
                     help="Higher values make Gemini's wording more varied.")


def model_notes(api_key: str | None, settings: CourseSettings) -> None:
    """What the chosen model will do with these settings, in grey; a wrong key or model in
    red."""
    try:
        notes = resolve_engine(settings, api_key).notes(settings)
    except ModelAccessError as exc:
        st.error(safe_label(describe(exc)))
        return
    except GeminiTeacherError:
        return
    for note in notes:
        st.caption(f"Note: {safe_label(note)}.")


def sidebar_settings() -> Choices:
    """Draw the settings and build `CourseSettings` from them; problems are shown in words."""
    with st.sidebar:
        st.header("Settings")
        engine = st.radio(
            "Engine", list(ENGINES), horizontal=True, format_func=ENGINES.get,
            help="Auto uses Gemini when a Gemini API key is configured, else the server in "
                 "OPENAI_BASE_URL, else the offline engine, which extracts sentences from your "
                 "documents without any network. OpenAI-compatible: Ollama, vLLM, LM Studio, "
                 "llama.cpp, OpenRouter, Azure OpenAI, OpenAI.",
        )
        typed = st.text_input(
            "Gemini API key", type="password", key="typed_key",
            help="Kept in this browser session only: never saved, logged or put in a course.",
        ) if engine != "openai" else ""
        api_key, origin = key_origin(typed)
        chosen = engine if engine != "auto" else "gemini" if api_key is not None \
            else "openai" if os.environ.get(BASE_URL_ENV, "").strip() else "offline"
        uses_gemini = chosen == "gemini"
        check = key_check(api_key) if uses_gemini and api_key else None
        server = None
        if engine == "gemini" and api_key is None:
            st.error("The Gemini engine needs an API key: type one above or set GEMINI_API_KEY.")
        elif check is not None and check.refused:
            st.error(safe_label(f"{check.problem[:1].upper()}{check.problem[1:]}."))
        elif uses_gemini:
            st.caption(f"Writing with Gemini, key {origin}.")
        elif chosen == "openai":
            server = openai_server()
        else:
            st.caption("Writing offline: chapters are extracted from your documents.")
        model = model_picker(check) if check is not None \
            else server.model if server is not None else DEFAULT_MODEL
        temperature = thinking = None
        read, resolution = "auto", "auto"
        if uses_gemini or server is not None:
            thinking = st.selectbox("Thinking", list(THINKING), format_func=THINKING.get,
                                    help="How much the model thinks before writing: Gemini 3 "
                                         "gets a thinking level, 2.5 models a budget, other "
                                         "servers a reasoning_effort.")
            temperature = temperature_choice()
        if uses_gemini:
            read = st.selectbox("Read documents", list(READ), format_func=READ.get,
                                help="Auto: Gemini reads PDFs as pages (scans, figures, "
                                     "formulas and tables count) and the pictures in Word, "
                                     "PowerPoint, EPUB and HTML files. Text: only their text.")
            resolution = st.selectbox(
                "Media resolution", list(RESOLUTION), format_func=RESOLUTION.get,
                help="Tokens per page, picture and video frame: low costs about a quarter of "
                     "the default; high reads small print better. Audio is the same at every "
                     "resolution.")
        language = st.text_input("Language", value="English", help="The language of the course.")
        max_chapters = st.number_input("Max chapters", min_value=1, value=10, step=1,
                                       help="The outline has at most this many chapters (1–100).")
        exact = st.checkbox("Exactly this many chapters")
        mode = st.selectbox("Mode", list(MODES), format_func=MODES.get)
        batch = st.checkbox(BATCH_LABEL, disabled=not uses_gemini or mode == "cascade",
                            help="The chapters go to Gemini as one batch job at half the price; "
                                 "Gemini returns it within 24 hours. Not for cascade mode.")
        quiz = st.number_input("Quiz questions per chapter", min_value=0, max_value=20, value=5,
                               step=1, help="Multiple-choice questions after each chapter.")
        matter = st.checkbox("Include title pages, contents, licences and indexes",
                             help="Off: the outline leaves front and back matter out (it stays "
                                  "in the source).")
        with st.expander("Speed and limits"):
            workers = st.number_input("Workers", min_value=1, max_value=MAX_WORKERS, value=4,
                                      step=1,
                                      help="Chapters written at the same time in parallel mode.")
            delay = st.slider("Delay between requests (s)", 0.0, 10.0, (0.1, 0.5), 0.1,
                              help="A random pause in this range before each request.")
            retries = st.number_input("Retries per chapter", min_value=0, value=3, step=1)
            rpm = st.number_input("Requests per minute (0 = no cap)", min_value=0, value=0,
                                  step=1, help="Stay under your plan's per-minute quota.")
            wait = st.number_input("Longest rate-limit wait (minutes)", min_value=1,
                                   value=int(MAX_WAIT // 60), step=1,
                                   help="A longer wait asked for by Gemini stops the course "
                                        "instead; resume it later.")
            cache = st.selectbox("Explicit cache", list(CACHING), format_func=CACHING.get,
                                 disabled=not uses_gemini,
                                 help="Keep the document in a Gemini cache while the course "
                                      "runs, so every call reads it at the cached price.")
            window = st.number_input(
                "Context window (tokens, 0 = ask the server)", min_value=0, value=0, step=1024,
                disabled=server is None,
                help="For OpenAI-compatible servers: the input tokens the model takes. Unset, "
                     "it is read from the server (vLLM, Ollama, LM Studio) or taken as "
                     "128,000. Ollama serves at most OLLAMA_CONTEXT_LENGTH: give that here.")
        custom = st.text_area("Custom instructions",
                              help="Extra guidance for every chapter, e.g. the audience.")
        try:
            settings = CourseSettings(
                engine="openai" if server is not None else engine,
                model_name=model.strip() or DEFAULT_MODEL,
                temperature=temperature, language=language.strip() or "English",
                max_chapters=int(max_chapters), fixed_chapter_count=exact,
                custom_prompt=custom.strip() or None, mode=mode, max_workers=int(workers),
                delay_range=(float(delay[0]), float(delay[1])), max_retries=int(retries),
                requests_per_minute=float(rpm) if rpm else None,
                thinking=thinking or "auto", cache=cache, batch=batch and uses_gemini,
                quiz_questions=int(quiz), include_front_back_matter=matter,
                max_wait=float(wait) * 60, read=read, media_resolution=resolution,
                base_url=server.base_url if server is not None else None,
                context_window=int(window) if window and server is not None else None,
            )
        except SettingsError as exc:
            st.error(f"Please fix a setting: {safe_label(exc)}.")
            settings = None
        if (engine == "gemini" and api_key is None) or (check is not None and check.refused) \
                or (chosen == "openai" and server is None):
            settings = None
        elif server is not None and not server.model:
            st.error("Name the server's model above.")
            settings = None
        if settings is not None and uses_gemini and api_key:
            model_notes(api_key, settings)
        elif settings is not None and server is not None:
            model_notes(server.api_key, settings)
    key = api_key if uses_gemini else server.api_key if server is not None else None
    return Choices(settings, key, api_key)
