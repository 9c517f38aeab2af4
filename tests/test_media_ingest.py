"""Media sources: recognised by content, measured cheaply, kept beside the course, and given to
each engine only as it can read them (offline refuses what has no text, in one line)."""

from __future__ import annotations

import json

import pytest

from geminiteacher.backends.offline import OfflineEngine
from geminiteacher.cli import main
from geminiteacher.course.store import CourseStore
from geminiteacher.engine.runner import run_course
from geminiteacher.ingest.convert import load_sources
from geminiteacher.ingest.media import readable, sniff
from geminiteacher.models import MEDIA_KINDS, CourseSettings, EventKind, SourceRef
from tests.media_files import (
    flac_header,
    heic_header,
    long_wav_header,
    picture,
    scanned_pdf,
    tiny_mp4,
    tones_wav,
)
from tests.test_convert_pdf import book

NOTES = b"# Photosynthesis\n\nPlants turn light into sugar. " * 20
GEMINI = frozenset(MEDIA_KINDS)


@pytest.mark.parametrize(("data", "kind", "mime"), [
    (picture("PNG"), "image", "image/png"),
    (picture("JPEG"), "image", "image/jpeg"),
    (picture("WEBP"), "image", "image/webp"),
    (heic_header(), "image", "image/heic"),
    (tones_wav(), "audio", "audio/wav"),
    (flac_header(), "audio", "audio/flac"),
    (b"ID3\x04\x00" + bytes(100), "audio", "audio/mp3"),
    (b"OggS" + bytes(100), "audio", "audio/ogg"),
    (tiny_mp4(brand=b"M4A "), "audio", "audio/aac"),
    (tiny_mp4(), "video", "video/mp4"),
    (tiny_mp4(brand=b"qt  "), "video", "video/mov"),
    (b"\x1a\x45\xdf\xa3" + bytes(100), "video", "video/webm"),
    (b"\x00\x00\x01\xba" + bytes(100), "video", "video/mpeg"),
])
def test_media_is_recognised_by_content_not_by_name(data, kind, mime):
    source, errors = load_sources([("misnamed.txt", data)])
    assert errors == [] and source.parts == []
    [item] = source.media
    assert (item.kind, item.mime_type, item.name) == (kind, mime, "misnamed.txt")


def test_text_is_not_media():
    assert sniff(NOTES) is None


@pytest.mark.parametrize(("data", "seconds"), [
    (tones_wav(2.0), 2.0), (long_wav_header(600), 600.0), (tiny_mp4(600.0), 600.0),
    (flac_header(90.0), 90.0),
])
def test_durations_come_from_the_header(data, seconds):
    [item] = load_sources([("rec", data)])[0].media
    assert item.seconds == pytest.approx(seconds, abs=0.01)


def test_a_recording_on_disk_is_measured_and_hashed_without_a_copy_in_memory(tmp_path):
    path = tmp_path / "lecture.wav"
    path.write_bytes(long_wav_header(600))
    [item] = load_sources([path])[0].media
    assert item.data is None and item.path == str(path)
    assert item.seconds == 600 and item.size == path.stat().st_size and len(item.sha256) == 64


def test_a_scanned_pdf_is_media_only_with_its_page_count():
    source, errors = load_sources([("scan.pdf", scanned_pdf(3))])
    assert errors == [] and source.parts == []
    [item] = source.media
    assert (item.kind, item.pages) == ("pdf", 3)


def test_a_pdf_with_text_is_both_text_and_media():
    source, _ = load_sources([("book.pdf", book(4))])
    assert [p.name for p in source.parts] == ["book.pdf"]
    assert [(m.kind, m.pages) for m in source.media] == [("pdf", 4)]


def test_offline_reads_text_and_refuses_what_has_none_in_one_line_each():
    source, _ = load_sources([("book.pdf", book(4)), ("scan.pdf", scanned_pdf(2)),
                              ("talk.wav", tones_wav()), ("notes.md", NOTES)])
    kept, refused, _ = readable(source, frozenset(), "auto")
    assert [p.name for p in kept.parts] == ["book.pdf", "notes.md"] and kept.media == []
    lines = [str(e) for e in refused]
    assert [e.filename for e in refused] == ["scan.pdf", "talk.wav"]
    assert all("\n" not in line and "Gemini" in line for line in lines)
    assert "no text layer" in lines[0] and "recording" in lines[1]


def test_gemini_reads_pdfs_natively_by_default_without_their_text_twice():
    source, _ = load_sources([("book.pdf", book(4)), ("notes.md", NOTES)])
    kept, refused, _ = readable(source, GEMINI, "auto")
    assert refused == [] and [p.name for p in kept.parts] == ["notes.md"]
    assert [m.name for m in kept.media] == ["book.pdf"]


def test_read_text_keeps_the_text_layer_and_refuses_a_scan_naming_the_setting():
    source, _ = load_sources([("book.pdf", book(4)), ("scan.pdf", scanned_pdf(1)),
                              ("board.png", picture())])
    kept, refused, _ = readable(source, GEMINI, "text")
    assert [p.name for p in kept.parts] == ["book.pdf"]
    assert [m.name for m in kept.media] == ["board.png"]  # a photo has no text form
    assert [e.filename for e in refused] == ["scan.pdf"] and "--read auto" in str(refused[0])


def test_a_pdf_over_the_page_limit_is_read_as_text_with_a_note():
    source, _ = load_sources([("book.pdf", book(4))])
    kept, refused, notes = readable(source, GEMINI, "native", page_limit=3)
    assert refused == [] and kept.media == [] and [p.name for p in kept.parts] == ["book.pdf"]
    assert notes == ["book.pdf has 4 pages, more than the 3 Gemini reads natively: it is "
                     "read as text"]


def test_the_source_hash_follows_the_media_bytes():
    one = load_sources([("talk.wav", tones_wav(1.0))])[0]
    same = load_sources([("talk.wav", tones_wav(1.0))])[0]
    other = load_sources([("talk.wav", tones_wav(1.5))])[0]
    assert one.sha256 == same.sha256 != other.sha256


def test_the_course_keeps_media_originals_and_gives_them_back(tmp_path):
    source, _ = load_sources([("Talk 1.wav", tones_wav()), ("notes.md", NOTES)])
    store = CourseStore.create(tmp_path, "Course", source, CourseSettings(), OfflineEngine())
    store.close()
    [kept] = store.source.media
    assert kept.data is None and kept.path.endswith("media/01_Talk_1.wav")
    saved = CourseStore.open(store.path).saved_source()
    assert saved.sha256 == source.sha256 and saved.media[0].read() == tones_wav()
    listed = json.loads((store.path / "source.json").read_text())["media"]
    assert listed[0]["path"] == "media/01_Talk_1.wav" and "data" not in listed[0]


def test_a_saved_media_path_outside_the_course_folder_is_not_followed(tmp_path):
    source, _ = load_sources([("talk.wav", tones_wav())])
    store = CourseStore.create(tmp_path, "Course", source, CourseSettings(), OfflineEngine())
    store.close()
    saved = json.loads((store.path / "source.json").read_text())
    saved["media"][0]["path"] = "../../etc/passwd"
    (store.path / "source.json").write_text(json.dumps(saved))
    assert CourseStore.open(store.path).saved_source().media[0].path is None


def test_offline_course_goes_on_without_the_recording_and_says_so(tmp_path):
    source, _ = load_sources([("talk.wav", tones_wav()), ("notes.md", NOTES)])
    events = []
    course = run_course(source, CourseSettings(engine="offline", max_chapters=2),
                        output_dir=tmp_path, on_event=events.append, title="Plants")
    assert course.chapters
    warnings = [e.reason for e in events if e.kind is EventKind.WARNING]
    assert any(w.startswith("skipped talk.wav: ") and "Gemini" in w for w in warnings)


def test_offline_course_of_only_a_recording_is_refused_in_one_line(tmp_path):
    source, _ = load_sources([("talk.wav", tones_wav())])
    with pytest.raises(Exception, match=r"talk\.wav: .*Gemini") as caught:
        run_course(source, CourseSettings(engine="offline"), output_dir=tmp_path)
    assert "\n" not in str(caught.value)


def test_cli_offline_skips_media_in_one_line_and_writes_the_rest(tmp_path, capsys):
    (tmp_path / "notes.md").write_bytes(NOTES)
    (tmp_path / "talk.wav").write_bytes(tones_wav())
    (tmp_path / "scan.pdf").write_bytes(scanned_pdf(1))
    code = main(["--engine", "offline", "--input", str(tmp_path / "notes.md"), "--input",
                 str(tmp_path / "talk.wav"), "--input", str(tmp_path / "scan.pdf"),
                 "--output-dir", str(tmp_path / "out"), "--max-chapters", "2"])
    err = capsys.readouterr().err
    assert code == 0
    skipped = [line for line in err.splitlines() if line.startswith("geminiteacher: skipped")]
    assert len(skipped) == 2 and "talk.wav" in skipped[0] and "scan.pdf" in skipped[1]


def test_cli_read_and_media_resolution_flags_reach_the_settings():
    from geminiteacher.cli import load_options, settings_from
    settings = settings_from(load_options(["--read", "text", "--media-resolution", "low",
                                           "-i", "x"]))
    assert (settings.read, settings.media_resolution) == ("text", "low")


def test_time_ranges_label_like_a_clock():
    ref = SourceRef("lecture.mp3", "", None, 750.0, 1125.0)
    assert ref.label() == "lecture.mp3, 12:30\u201318:45"
    assert SourceRef.from_dict({"file": "a", "start": 3723, "end": 3724}).label() \
        == "a, 1:02:03\u20131:02:04"


def test_settings_refuse_unknown_read_modes():
    with pytest.raises(ValueError, match="read must be one of auto, text, native"):
        CourseSettings(read="ocr")


def test_recordings_are_estimated_at_the_audio_price():
    from geminiteacher.backends.pricing import estimate_cost
    settings = CourseSettings(cache="off", max_chapters=1)
    text = estimate_cost(100_000, settings, "gemini-3.8-flash", output_per_call=0)
    audio = estimate_cost(100_000, settings, "gemini-3.8-flash", output_per_call=0,
                          audio_tokens=100_000)
    assert audio == pytest.approx(text * 2)  # Flash: $1.00 a million for audio, $0.50 else


@pytest.mark.parametrize("data", [
    b"RIFF\x00\x00\x00\x00WAVE" + b"fmt \x00\x00\x00\x00" * 3 + bytes(64),  # a chunk of 0
    b"RIFF\x00\x00\x00\x00WAVE" + b"junk\x00\x00\x00\x00" * 50_000,  # endless tiny chunks
    b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isommp41" + b"\x00\x00\x00\x04moov" + bytes(64),
    b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isommp41" + b"\x00\x00\x00\x08free" * 50_000,
    b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isommp41" + b"\x00\x00\x00\x0cmoovmvhd",
], ids=["wav-empty-fmt", "wav-many-chunks", "mp4-short-moov", "mp4-many-boxes",
        "mp4-cut-mvhd"])
def test_hostile_headers_give_no_length_quickly(data):
    import time
    started = time.monotonic()
    [item] = load_sources([("odd", data)])[0].media
    assert item.seconds is None and time.monotonic() - started < 1.0
