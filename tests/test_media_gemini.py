"""Gemini reads the material itself: scans, pictures and recordings go to the fake Gemini
through the Files API (uploaded once, deleted at the end), every call sees them, and chapters
cite pages and time ranges inside them."""

from __future__ import annotations

import json
import threading

import pytest

from geminiteacher.backends.pricing import course_cost, price_for
from geminiteacher.engine.runner import finish_course, run_course
from geminiteacher.errors import CancelledError, GeminiTeacherError
from geminiteacher.ingest.convert import load_sources
from geminiteacher.models import EventKind
from tests.course_helpers import fast_settings
from tests.fakes.files import field
from tests.media_files import long_wav_header, picture, scanned_pdf, tiny_mp4
from tests.test_convert_pdf import book


def manifest(folder) -> dict:
    return json.loads((folder / "course.json").read_text(encoding="utf-8"))


def chapter_calls(fake):
    return [r for r in fake.requests if r.kind == "chapter"]


def file_uris(rec) -> list[str]:
    return [field(field(p, "fileData"), "fileUri") for c in rec.body.get("contents") or []
            for p in c.get("parts") or [] if field(p, "fileData")]


def course_of(files, tmp_path, **changes):
    source, errors = load_sources(files)
    assert errors == []
    settings = fast_settings(cache="off", **changes)
    return run_course(source, settings, title="Course", output_dir=tmp_path)


def test_a_scanned_pdf_becomes_a_course_whose_chapters_saw_it_and_cite_its_pages(
        gemini_env, tmp_path):
    course = course_of([("scan.pdf", scanned_pdf(3))], tmp_path)
    assert len(course.chapters) == 4
    for chapter in course.chapters:
        assert "Media seen: scan.pdf (DOCUMENT, 774 tokens)" in chapter.explanation
        assert [ref.label() for ref in chapter.sources] == ["scan.pdf, pp. 1\u20132"]
    assert all(len(file_uris(r)) == 1 for r in chapter_calls(gemini_env))
    assert manifest(tmp_path / "Course")["source_files"] == [
        {"name": "scan.pdf", "kind": "pdf", "pages": 3, "seconds": None}]


def test_each_file_is_uploaded_once_and_deleted_when_the_course_ends(gemini_env, tmp_path):
    course_of([("scan.pdf", scanned_pdf(2)), ("board.png", picture())], tmp_path)
    assert sorted(gemini_env.files.uploaded) == ["board.png", "scan.pdf"]
    assert gemini_env.files.live() == []
    assert manifest(tmp_path / "Course")["files"] == {}


def test_a_ten_minute_recording_gives_chapters_time_ranges_inside_it(gemini_env, tmp_path):
    course = course_of([("lecture.wav", long_wav_header(600))], tmp_path)
    for chapter in course.chapters:
        assert "Media seen: lecture.wav (AUDIO, 19200 tokens)" in chapter.explanation
        [ref] = chapter.sources  # the range past the end was dropped
        assert (ref.file, ref.start, ref.end) == ("lecture.wav", 150.0, 300.0)
        assert ref.label() == "lecture.wav, 2:30\u20135:00"
    text = (tmp_path / "Course" / "chapter_01_Topic_1.md").read_text()
    assert "- lecture.wav, 2:30\u20135:00" in text


def test_a_video_is_read_natively_and_waited_on_while_it_is_processing(gemini_env, tmp_path):
    gemini_env.files.processing_polls = 2
    course = course_of([("talk.mp4", tiny_mp4(120.0))], tmp_path)
    assert "Media seen: talk.mp4 (VIDEO" in course.chapters[0].explanation
    gets = [r for r in gemini_env.requests if r.kind == "files" and r.method == "GET"]
    assert len(gets) >= 2


def test_an_upload_answered_without_a_state_is_waited_on_until_active(gemini_env, tmp_path):
    gemini_env.files.upload_without_state = True  # and it is still PROCESSING
    course = course_of([("scan.pdf", scanned_pdf(2))], tmp_path)
    assert "Media seen: scan.pdf (DOCUMENT" in course.chapters[0].explanation
    assert [r for r in gemini_env.requests if r.kind == "files" and r.method == "GET"]


def test_text_and_media_go_together_and_a_pdf_is_not_sent_twice(gemini_env, tmp_path):
    course_of([("book.pdf", book(4)), ("notes.md", b"# Notes\n\nSome notes. " * 30)], tmp_path)
    call = chapter_calls(gemini_env)[0]
    assert len(file_uris(call)) == 1
    assert "Notes" in call.parts[0] and "Page1end" not in call.parts[0]


def test_the_explicit_cache_holds_the_media_so_calls_send_none(gemini_env, tmp_path):
    source, _ = load_sources([("lecture.wav", long_wav_header(600))])
    run_course(source, fast_settings(cache="on"), title="Course", output_dir=tmp_path)
    [cache_create] = [r for r in gemini_env.requests if r.kind == "cache" and r.method == "POST"]
    assert len(file_uris(cache_create)) == 1
    calls = [r for r in gemini_env.requests if r.kind in ("chapter", "summary")]
    assert len(calls) == 5  # (the outline call may come before the cache is made)
    assert all(r.body.get("cachedContent") and not file_uris(r) for r in calls)
    assert gemini_env.caches.live() == [] and gemini_env.files.live() == []


def _cache_resolutions(fake) -> list:
    [create] = [r for r in fake.requests if r.kind == "cache" and r.method == "POST"]
    return [field(p, "mediaResolution") for c in create.body["contents"] for p in c["parts"]
            if field(p, "fileData")]


def test_a_cache_holds_gemini_3_media_at_the_chosen_resolution_per_part(gemini_env, tmp_path):
    source, _ = load_sources([("lecture.wav", long_wav_header(600))])
    run_course(source, fast_settings(cache="on", media_resolution="low"), title="Course",
               output_dir=tmp_path)
    assert _cache_resolutions(gemini_env) == [{"level": "MEDIA_RESOLUTION_LOW"}]
    assert gemini_env.caches.created == 1


def test_a_cache_for_gemini_2_5_carries_no_per_part_resolution_and_is_made(gemini_env,
                                                                           tmp_path):
    source, _ = load_sources([("lecture.wav", long_wav_header(600))])
    run_course(source, fast_settings(cache="on", media_resolution="low",
                                     model_name="gemini-2.5-flash-lite"),
               title="Course", output_dir=tmp_path)
    assert _cache_resolutions(gemini_env) == [None]
    assert gemini_env.caches.created == 1 and gemini_env.caches.live() == []


def test_batch_requests_reference_the_uploaded_file(gemini_env, tmp_path):
    source, _ = load_sources([("scan.pdf", scanned_pdf(2))])
    run_course(source, fast_settings(cache="off", batch=True), title="Course",
               output_dir=tmp_path)
    assert gemini_env.batch_items and all(len(file_uris(r)) == 1
                                          for r in gemini_env.batch_items)
    assert gemini_env.files.live() == []


def test_files_are_deleted_when_the_course_is_cancelled(gemini_env, tmp_path):
    gemini_env.latency = 0.2
    cancel = threading.Event()
    source, _ = load_sources([("scan.pdf", scanned_pdf(2))])

    def stop(event):
        if event.kind is EventKind.DONE:
            cancel.set()

    with pytest.raises(CancelledError):
        run_course(source, fast_settings(cache="off", max_workers=1), title="Course",
                   output_dir=tmp_path, on_event=stop, cancel=cancel)
    assert gemini_env.files.uploaded == ["scan.pdf"] and gemini_env.files.live() == []


def test_files_are_deleted_after_ctrl_c(gemini_env, tmp_path):
    source, _ = load_sources([("scan.pdf", scanned_pdf(2))])

    def interrupt(event):
        if event.kind is EventKind.OUTLINE:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_course(source, fast_settings(cache="off"), title="Course", output_dir=tmp_path,
                   on_event=interrupt)
    assert gemini_env.files.uploaded == ["scan.pdf"] and gemini_env.files.live() == []


def test_a_finished_course_is_followed_up_from_the_kept_original(gemini_env, tmp_path):
    course_of([("scan.pdf", scanned_pdf(2))], tmp_path)
    folder = tmp_path / "Course"
    assert (folder / "media" / "01_scan.pdf").exists()
    data = manifest(folder)
    data["chapters"][1]["status"] = "failed"
    (folder / "course.json").write_text(json.dumps(data))
    (folder / data["chapters"][1]["file"]).unlink()
    course = finish_course(folder)
    assert "Media seen: scan.pdf" in course.chapters[1].explanation
    assert gemini_env.files.uploaded == ["scan.pdf", "scan.pdf"]  # the old upload was deleted
    assert gemini_env.files.live() == []


def test_a_file_gone_mid_course_is_uploaded_again_once_and_the_course_goes_on(
        gemini_env, tmp_path):
    source, _ = load_sources([("scan.pdf", scanned_pdf(2))])

    def lose_the_file(event):
        if event.kind is EventKind.OUTLINE:
            for file in gemini_env.files.live():
                gemini_env.files.delete(file.name)

    course = run_course(source, fast_settings(cache="off", max_workers=1), title="Course",
                        output_dir=tmp_path, on_event=lose_the_file)
    assert all("Media seen: scan.pdf" in c.explanation for c in course.chapters)
    assert gemini_env.files.uploaded == ["scan.pdf", "scan.pdf"]


def test_a_resumed_course_reuses_a_live_upload_and_replaces_an_expired_one(gemini_env,
                                                                          tmp_path):
    from geminiteacher.backends.gemini.files import CourseFiles
    from geminiteacher.backends.gemini.transport import GeminiTransport
    from tests.fakes.plugin import TEST_KEY

    [item] = load_sources([("scan.pdf", scanned_pdf(1))])[0].media
    transport = GeminiTransport(TEST_KEY, "gemini-3.8-flash", base_url=gemini_env.url)
    saved: dict = {}
    first = CourseFiles(transport._client, transport._http_options(), [item], {}, saved.update)
    first.open()
    again = CourseFiles(transport._client, transport._http_options(), [item], dict(saved))
    again.open()
    assert gemini_env.files.uploaded == ["scan.pdf"]  # reused while Gemini has it
    soon = {sha: {**record, "expires": "2000-01-01T00:00:00+00:00"}
            for sha, record in saved.items()}  # too little life left for a course
    renewed = CourseFiles(transport._client, transport._http_options(), [item], soon)
    renewed.open()
    assert gemini_env.files.uploaded == ["scan.pdf", "scan.pdf"]
    gemini_env.files.advance(hours=49)  # every upload has expired at Gemini
    later = CourseFiles(transport._client, transport._http_options(), [item],
                        {item.sha256: renewed.live[item.sha256]})
    later.open()
    assert gemini_env.files.uploaded == ["scan.pdf", "scan.pdf", "scan.pdf"]
    later.close()
    assert gemini_env.files.live() == []


def test_media_resolution_is_sent_and_lowers_the_media_tokens(gemini_env, tmp_path):
    low = course_of([("scan.pdf", scanned_pdf(4))], tmp_path, media_resolution="low")
    call = chapter_calls(gemini_env)[0]
    assert call.generation_config.get("mediaResolution") == "MEDIA_RESOLUTION_LOW"
    assert "Media seen: scan.pdf (DOCUMENT, 258 tokens)" in low.chapters[0].explanation


def test_an_upload_is_counted_at_the_courses_media_resolution(gemini_env, tmp_path):
    course_of([("scan.pdf", scanned_pdf(4))], tmp_path, media_resolution="low")
    [count] = [r for r in gemini_env.requests if r.kind == "count"]
    [part] = count.body["contents"][0]["parts"]
    assert field(part, "mediaResolution") == {"level": "MEDIA_RESOLUTION_LOW"}


def test_usage_reports_tokens_per_modality(gemini_env, tmp_path):
    course_of([("lecture.wav", long_wav_header(60))], tmp_path)
    [outline] = [r for r in gemini_env.requests if r.kind == "outline"]
    chapter = manifest(tmp_path / "Course")["chapters"][0]
    assert chapter["tokens"]["input"] > 60 * 32  # the recording's tokens are billed
    assert file_uris(outline)


def without_breakdown(tokens: dict) -> dict:
    """A usage as course.json held it before input tokens were split by modality."""
    return {k: v for k, v in tokens.items() if k in ("input", "cached", "output", "thinking")}


def test_input_tokens_per_modality_are_kept_and_audio_is_priced_at_its_rate(gemini_env,
                                                                           tmp_path):
    course_of([("lecture.wav", long_wav_header(600))], tmp_path)
    saved = manifest(tmp_path / "Course")
    assert all(c["tokens"]["input_audio"] == 19_200 for c in saved["chapters"])
    usage = saved["usage"]
    assert usage["input_audio"] + usage["input_text"] == usage["input"]
    price = price_for(saved["model"])
    old = {**saved, "usage": without_breakdown(usage)}  # a manifest from before: text rate
    extra = usage["input_audio"] * (price.audio - price.input) / 1e6
    assert course_cost(saved) - course_cost(old) == pytest.approx(extra)


def test_cached_audio_is_recorded_and_priced_at_the_cached_audio_rate(gemini_env, tmp_path):
    source, _ = load_sources([("lecture.wav", long_wav_header(600))])
    run_course(source, fast_settings(cache="on"), title="Course", output_dir=tmp_path)
    saved = manifest(tmp_path / "Course")
    usage = saved["usage"]
    assert usage["cached_audio"] >= 5 * 19_200  # four chapters and the summary read the cache
    assert usage["cached_audio"] <= usage["cached"]
    assert saved["cache"]["audio_tokens"] == 19_200  # written into the cache once
    price = price_for(saved["model"])
    old = {**saved, "usage": without_breakdown(usage),
           "cache": {k: v for k, v in saved["cache"].items() if k != "audio_tokens"}}
    fresh_audio = usage["input_audio"] - usage["cached_audio"] + 19_200
    extra = (fresh_audio * (price.audio - price.input)
             + usage["cached_audio"] * price.cached * (price.audio / price.input - 1)) / 1e6
    assert course_cost(saved) - course_cost(old) == pytest.approx(extra)


def test_a_batch_answer_keeps_its_tokens_per_modality(gemini_env, tmp_path):
    source, _ = load_sources([("lecture.wav", long_wav_header(600))])
    run_course(source, fast_settings(cache="off", batch=True), title="Course",
               output_dir=tmp_path)
    chapters = manifest(tmp_path / "Course")["chapters"]
    assert all(c.get("batch") and c["tokens"]["input_audio"] == 19_200 for c in chapters)


def test_an_upload_over_the_size_limit_fails_the_course_in_one_line(gemini_env, tmp_path):
    gemini_env.files.max_bytes = 1000
    source, _ = load_sources([("scan.pdf", scanned_pdf(2))])
    with pytest.raises(GeminiTeacherError, match=r"scan\.pdf could not be uploaded") as caught:
        run_course(source, fast_settings(cache="off"), title="Course", output_dir=tmp_path)
    assert "\n" not in str(caught.value)


def test_the_fake_refuses_a_file_it_does_not_have(gemini_env):
    from google import genai
    from google.genai import errors, types

    from tests.fakes.plugin import TEST_KEY

    client = genai.Client(api_key=TEST_KEY, http_options=types.HttpOptions(
        base_url=gemini_env.url, api_version="v1beta"))
    part = types.Part.from_uri(file_uri="https://fake.files/v1beta/files/nope",
                               mime_type="application/pdf")
    with pytest.raises(errors.ClientError, match="may not exist"):
        client.models.generate_content(model="gemini-3.8-flash", contents=[part, "hi"])


def test_a_youtube_link_is_sent_by_reference_and_sources_link_to_the_start_time(
        gemini_env, tmp_path):
    from geminiteacher.exports import export_course

    course = course_of(["https://youtu.be/9hE5-98ZeCg"], tmp_path)
    call = chapter_calls(gemini_env)[0]
    assert file_uris(call) == ["https://www.youtube.com/watch?v=9hE5-98ZeCg"]
    assert gemini_env.files.uploaded == []  # a link is never uploaded
    [ref] = course.chapters[0].sources
    assert ref.label() == "YouTube 9hE5-98ZeCg, 1:00\u20132:00"
    [page] = export_course(course.path, ["html"])
    assert 'href="https://www.youtube.com/watch?v=9hE5-98ZeCg&amp;t=60s"' in page.read_text()


def test_a_slide_deck_of_pictures_becomes_a_course_that_saw_every_picture(gemini_env,
                                                                         tmp_path):
    from tests.media_files import slides_of_pictures

    course = course_of([("deck.pptx", slides_of_pictures(3))], tmp_path,
                       max_chapters=3)
    for chapter in course.chapters:
        for n in (1, 2, 3):
            assert f"Media seen: deck.pptx, figure {n}.png (IMAGE, 258 tokens)" \
                in chapter.explanation
    assert [c.sources[0].label() for c in course.chapters] == [
        "deck.pptx, Slide 1", "deck.pptx, Slide 2", "deck.pptx, Slide 3"]
    assert len(gemini_env.files.uploaded) == 3 and gemini_env.files.live() == []


def test_read_text_sends_no_pictures_of_documents(gemini_env, tmp_path):
    from tests.media_files import slides_of_pictures

    course_of([("deck.pptx", slides_of_pictures(2))], tmp_path, max_chapters=2, read="text")
    assert gemini_env.files.uploaded == []
    assert not any(file_uris(r) for r in chapter_calls(gemini_env))


@pytest.fixture
def client(gemini_env):
    from google import genai
    from google.genai import types

    from tests.fakes.plugin import TEST_KEY

    return genai.Client(api_key=TEST_KEY, http_options=types.HttpOptions(
        base_url=gemini_env.url, api_version="v1beta",
        retry_options=types.HttpRetryOptions(attempts=1)))


def upload(client, data: bytes, mime: str, name: str):
    import io

    from google.genai import types
    return client.files.upload(file=io.BytesIO(data), config=types.UploadFileConfig(
        mime_type=mime, display_name=name))


def ask(client, file, model="gemini-3.8-flash"):
    from google.genai import types
    part = types.Part.from_uri(file_uri=file.uri, mime_type=file.mime_type)
    return client.models.generate_content(model=model, contents=[part, "Summarise."])


def test_the_fake_refuses_a_file_still_processing_then_serves_it_once_active(client,
                                                                            gemini_env):
    from google.genai import errors
    gemini_env.files.processing_polls = 1
    file = upload(client, scanned_pdf(1), "application/pdf", "scan.pdf")
    assert str(file.state.value) == "PROCESSING"
    with pytest.raises(errors.ClientError, match="not in an ACTIVE state") as refused:
        ask(client, file)
    assert (refused.value.code, refused.value.status) == (400, "FAILED_PRECONDITION")
    assert str(client.files.get(name=file.name).state.value) == "PROCESSING"
    assert str(client.files.get(name=file.name).state.value) == "ACTIVE"
    usage = ask(client, file).usage_metadata
    assert {d.modality.value: d.token_count for d in usage.prompt_tokens_details}["DOCUMENT"] \
        == 258


def test_the_fake_refuses_unsupported_types_too_many_pages_and_deleted_files(client,
                                                                           gemini_env):
    from google.genai import errors
    gemini_env.files.processing_polls = 0
    odd = upload(client, b"GIF89a" + bytes(64), "image/gif", "anim.gif")
    with pytest.raises(errors.ClientError, match="Unsupported MIME type: image/gif"):
        ask(client, odd)
    gemini_env.files.max_pdf_pages = 2
    long = upload(client, scanned_pdf(3), "application/pdf", "long.pdf")
    with pytest.raises(errors.ClientError, match="more than 2 pages"):
        ask(client, long)
    assert {f.name for f in client.files.list()} == {odd.name, long.name}
    client.files.delete(name=long.name)
    with pytest.raises(errors.ClientError, match="may not exist"):
        ask(client, long)
    with pytest.raises(errors.ClientError):
        client.files.get(name=long.name)


def test_the_fake_takes_a_per_part_media_resolution_on_gemini_3_only(client, gemini_env):
    from google.genai import errors, types
    gemini_env.files.processing_polls = 0
    file = upload(client, scanned_pdf(1), "application/pdf", "scan.pdf")
    part = types.Part(file_data=types.FileData(file_uri=file.uri, mime_type=file.mime_type),
                      media_resolution=types.PartMediaResolution(level="MEDIA_RESOLUTION_LOW"))
    assert client.models.generate_content(model="gemini-3.8-flash",
                                          contents=[part, "Summarise."]).text
    with pytest.raises(errors.ClientError, match="Per-part media_resolution"):
        client.models.generate_content(model="gemini-2.5-flash-lite",
                                       contents=[part, "Summarise."])


def test_the_fakes_count_tokens_counts_a_pdf_at_258_a_page_beside_the_text(client,
                                                                            gemini_env):
    from google.genai import types
    gemini_env.files.processing_polls = 0
    file = upload(client, scanned_pdf(2), "application/pdf", "scan.pdf")
    part = types.Part.from_uri(file_uri=file.uri, mime_type=file.mime_type)
    counted = client.models.count_tokens(model="gemini-3.8-flash",
                                         contents=[part, "Summarise."])
    assert 516 < counted.total_tokens < 516 + 10


def test_the_fake_expires_files_after_48_hours(client, gemini_env):
    from google.genai import errors
    gemini_env.files.processing_polls = 0
    file = upload(client, scanned_pdf(1), "application/pdf", "scan.pdf")
    gemini_env.files.advance(hours=48.1)
    with pytest.raises(errors.ClientError):
        client.files.get(name=file.name)
    assert list(client.files.list()) == []


def test_the_cli_reads_a_scan_and_a_recording_with_gemini_and_leaves_no_upload(gemini_env,
                                                                              tmp_path):
    from tests.test_cli import cli, gemini_cli_env

    (tmp_path / "scan.pdf").write_bytes(scanned_pdf(2))
    (tmp_path / "lecture.wav").write_bytes(long_wav_header(120))
    done = cli("--input", str(tmp_path / "scan.pdf"), "--input", str(tmp_path / "lecture.wav"),
               "--title", "Lecture", "--output-dir", str(tmp_path / "out"), "--max-chapters",
               "2", "--fixed-chapter-count", "--delay-min", "0", "--delay-max", "0",
               "--media-resolution", "low", env=gemini_cli_env(gemini_env))
    assert done.returncode == 0, done.stderr
    assert "estimated cost" in done.stderr and "skipped" not in done.stderr
    folder = tmp_path / "out" / "Lecture"
    assert sorted(p.name for p in (folder / "media").iterdir()) == ["01_scan.pdf",
                                                                    "02_lecture.wav"]
    assert sorted(gemini_env.files.uploaded) == ["lecture.wav", "scan.pdf"]
    assert gemini_env.files.live() == []


def test_ctrl_c_in_the_cli_deletes_the_uploads(gemini_env, tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    from tests.fakes.plugin import TEST_KEY

    (tmp_path / "scan.pdf").write_bytes(scanned_pdf(2))
    env = {k: v for k, v in os.environ.items() if k != "GOOGLE_API_KEY"}
    env.update(GEMINI_API_KEY=TEST_KEY, GOOGLE_GEMINI_BASE_URL=gemini_env.url,
               PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    gemini_env.hang_next(1, seconds=0)  # the outline answers at once...
    gemini_env.hang_next(4, seconds=20)  # ...and the chapters hang: Ctrl-C comes mid-course
    process = subprocess.Popen(
        [sys.executable, "-m", "geminiteacher", "--input", str(tmp_path / "scan.pdf"),
         "--title", "C", "--output-dir", str(tmp_path), "--max-chapters", "4",
         "--fixed-chapter-count", "--delay-min", "0", "--delay-max", "0", "--cache", "off"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while gemini_env.count("chapter") < 1:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    assert process.wait(10) == 130, process.stderr.read()
    assert gemini_env.files.uploaded == ["scan.pdf"] and gemini_env.files.live() == []
    assert json.loads((tmp_path / "C" / "course.json").read_text())["files"] == {}


def test_a_file_gemini_cannot_process_fails_the_course_in_one_line_and_nothing_is_left(
        gemini_env, tmp_path):
    gemini_env.files.fail_processing = {"talk.mp4"}
    source, _ = load_sources([("talk.mp4", tiny_mp4(60.0)), ("scan.pdf", scanned_pdf(1))])
    with pytest.raises(GeminiTeacherError, match=r"Gemini could not process talk\.mp4 "
                       r"\(The file could not be decoded\.\)") as caught:
        run_course(source, fast_settings(cache="off"), title="Course", output_dir=tmp_path)
    assert "\n" not in str(caught.value)
    assert gemini_env.files.live() == []  # the upload that failed is deleted too
    assert manifest(tmp_path / "Course")["state"] == "failed"


def test_a_file_that_stays_processing_too_long_is_a_clear_error(gemini_env):
    from geminiteacher.backends.gemini.files import CourseFiles
    from geminiteacher.backends.gemini.transport import GeminiTransport
    from tests.fakes.plugin import TEST_KEY

    gemini_env.files.processing_polls = 1000
    [item] = load_sources([("talk.mp4", tiny_mp4(60.0))])[0].media
    transport = GeminiTransport(TEST_KEY, "gemini-3.8-flash", base_url=gemini_env.url)
    files = CourseFiles(transport._client, transport._http_options(), [item], timeout=0.5)
    with pytest.raises(GeminiTeacherError, match=r"still processing talk\.mp4 after 0\.5 s"):
        files.open()
    files.close()


def test_a_model_without_explicit_caching_goes_on_with_a_note(gemini_env, tmp_path,
                                                              monkeypatch):
    from dataclasses import replace

    from tests.fakes import catalog

    spec = catalog.MODELS["gemini-3.8-flash"]
    monkeypatch.setitem(catalog.MODELS, "gemini-3.8-flash",
                        replace(spec, methods=catalog.GENERATE))
    source, _ = load_sources([("lecture.wav", long_wav_header(600))])
    events = []
    course = run_course(source, fast_settings(cache="on", model_name="gemini-3.8-flash"),
                        title="Course", output_dir=tmp_path, on_event=events.append)
    notes = [e.reason for e in events if e.kind is EventKind.WARNING]
    assert any("has no explicit caching" in note for note in notes)
    assert all("Media seen: lecture.wav" in c.explanation for c in course.chapters)
    assert not [r for r in gemini_env.requests if r.kind == "cache"]
    assert gemini_env.files.uploaded == ["lecture.wav"] and gemini_env.files.live() == []


def test_a_missing_original_is_one_clear_line(gemini_env, tmp_path):
    course_of([("scan.pdf", scanned_pdf(1))], tmp_path)
    folder = tmp_path / "Course"
    (folder / "media" / "01_scan.pdf").unlink()
    data = manifest(folder)
    data["chapters"][0]["status"] = "failed"
    (folder / "course.json").write_text(json.dumps(data))
    (folder / data["chapters"][0]["file"]).unlink()
    with pytest.raises(GeminiTeacherError, match=r"scan\.pdf could not be uploaded") as caught:
        finish_course(folder)
    assert "\n" not in str(caught.value)


def test_a_course_with_nothing_left_to_write_uploads_nothing(gemini_env, tmp_path):
    course_of([("scan.pdf", scanned_pdf(1))], tmp_path)
    finish_course(tmp_path / "Course")
    assert gemini_env.files.uploaded == ["scan.pdf"]  # the first run's upload only
