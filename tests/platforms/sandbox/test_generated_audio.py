"""Generated voicemail audio: a real, speech-like PCM WAV."""

from __future__ import annotations

import io
import math
import shutil
import subprocess
import sys
import wave
from array import array

import pytest

from widget.platforms.sandbox import generated

VOICEMAIL_TEXT = (
    "Hi, this is Dana from Acme calling about your order. "
    "Please call me back when you get a chance."
)


# --------------------------------------------------------------------------- helpers


def wav_samples(data: bytes) -> tuple[array, int]:
    """Return the 16-bit mono samples and the frame rate of a WAV file."""
    with wave.open(io.BytesIO(data), "rb") as wav:
        assert wav.getnchannels() == 1
        assert wav.getsampwidth() == 2
        frames = wav.readframes(wav.getnframes())
        rate = wav.getframerate()
    samples = array("h", frames)
    if sys.byteorder == "big":
        samples.byteswap()
    return samples, rate


def rms(values) -> float:
    values = list(values)
    return math.sqrt(sum(v * v for v in values) / len(values)) if values else 0.0


def window_rms(samples: array, rate: int, ms: int = 20) -> list[float]:
    size = rate * ms // 1000
    return [rms(samples[i : i + size]) for i in range(0, len(samples) - size + 1, size)]


def count_bursts(levels: list[float], threshold: float) -> int:
    """Number of runs of consecutive windows above ``threshold``."""
    runs, above = 0, False
    for level in levels:
        if level > threshold and not above:
            runs += 1
        above = level > threshold
    return runs


def estimate_f0(segment: list[int], rate: int) -> float:
    """Autocorrelation pitch estimate; picks the shortest strong lag (no sub-octaves)."""
    scores = {}
    for lag in range(rate // 400, rate // 60 + 1):
        head, tail = segment[:-lag], segment[lag:]
        energy = math.sqrt(sum(a * a for a in head) * sum(b * b for b in tail)) or 1.0
        scores[lag] = sum(a * b for a, b in zip(head, tail, strict=True)) / energy
    best = max(scores.values())
    lag = min(k for k, v in scores.items() if v >= 0.9 * best)
    return rate / lag


# --------------------------------------------------------------------------- voicemail WAV


@pytest.mark.parametrize("rate", [8000, 16000])
def test_wav_header_fields(rate: int) -> None:
    data = generated.voicemail_wav("Hello there", seconds=2.0, sample_rate=rate)
    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE"
    with wave.open(io.BytesIO(data), "rb") as wav:
        assert wav.getnchannels() == 1
        assert wav.getsampwidth() == 2
        assert wav.getframerate() == rate
        assert wav.getcomptype() == "NONE"


@pytest.mark.parametrize("seconds", [1.5, 6.0, 10.0])
def test_wav_duration_matches_request(seconds: float) -> None:
    data = generated.voicemail_wav(VOICEMAIL_TEXT, seconds=seconds)
    duration = generated.wav_duration_seconds(data)
    assert abs(duration - seconds) <= 0.05 * seconds
    samples, rate = wav_samples(data)
    assert abs(len(samples) / rate - seconds) <= 0.05 * seconds


def test_wav_is_loud_speech_normalised_to_minus_3_dbfs() -> None:
    samples, _ = wav_samples(generated.voicemail_wav(VOICEMAIL_TEXT))
    assert rms(samples) / 32768 > 0.04, "voicemail must not be (near) silence"
    peak_db = 20 * math.log10(max(abs(v) for v in samples) / 32768)
    assert -3.6 < peak_db < -2.5


def test_wav_has_quiet_room_noise_before_and_after_speech() -> None:
    samples, rate = wav_samples(generated.voicemail_wav(VOICEMAIL_TEXT))
    for edge in (samples[: rate // 4], samples[-rate // 4 :]):
        level = rms(edge) / 32768
        assert 0 < level < 0.005, "leading/trailing room noise: present but quiet"
        assert any(v != 0 for v in edge)


@pytest.mark.parametrize("text", [VOICEMAIL_TEXT, "callback", ""])
def test_wav_envelope_has_several_syllable_bursts(text: str) -> None:
    samples, rate = wav_samples(generated.voicemail_wav(text, seconds=6.0))
    levels = window_rms(samples, rate, ms=20)
    threshold = 0.2 * max(levels)
    bursts = count_bursts(levels, threshold)
    assert bursts >= 8, f"expected syllable-like bursts at 3-5 Hz, got {bursts}"
    active = sum(level > threshold for level in levels) / len(levels)
    assert 0.25 < active < 0.9, "speech alternates with dips and pauses, unlike a beep"


def test_wav_voiced_pitch_is_in_speech_range_and_glides() -> None:
    samples, rate = wav_samples(generated.voicemail_wav(VOICEMAIL_TEXT, seconds=6.0))
    size = rate * 40 // 1000
    levels = window_rms(samples, rate, ms=40)
    loud = [i for i, level in enumerate(levels) if level > 0.6 * max(levels)]
    assert len(loud) >= 6
    estimates = []
    crossings_per_period = []
    for index in loud[:: max(1, len(loud) // 12)]:
        segment = list(samples[index * size : (index + 1) * size])
        f0 = estimate_f0(segment, rate)
        estimates.append(f0)
        crossings = sum((a < 0) != (b < 0) for a, b in zip(segment, segment[1:], strict=False))
        crossings_per_period.append(crossings / (len(segment) / rate * f0))
    assert all(65 <= f0 <= 260 for f0 in estimates), estimates
    assert len({round(f0 / 10) for f0 in estimates}) >= 3, f"pitch should glide: {estimates}"
    # A pure tone crosses zero twice per period; formant-rich voicing does more often.
    assert sum(crossings_per_period) / len(crossings_per_period) > 2.5


def test_wav_is_deterministic_per_text() -> None:
    first = generated.voicemail_wav("Call me back about invoice 4471")
    assert generated.voicemail_wav("Call me back about invoice 4471") == first
    assert generated.voicemail_wav("Call me back about invoice 4472") != first
    assert generated.voicemail_wav("Call me back about invoice 4471", seconds=5.0) != first


@pytest.mark.parametrize(
    ("seconds", "rate"), [(0, 8000), (-1.0, 8000), (math.nan, 8000), (2.0, 1000)]
)
def test_wav_rejects_bad_arguments(seconds: float, rate: int) -> None:
    with pytest.raises(ValueError):
        generated.voicemail_wav("hi", seconds=seconds, sample_rate=rate)


@pytest.mark.parametrize(
    "data",
    [b"", b"hello world", b"%PDF-1.4\n", b"RIFF\x04\x00\x00\x00WAVE", b"RIFF\x00\x00\x00\x00AVI "],
)
def test_wav_duration_rejects_non_wav(data: bytes) -> None:
    with pytest.raises(ValueError, match="not a WAV file"):
        generated.wav_duration_seconds(data)


@pytest.mark.skipif(shutil.which("file") is None, reason="file(1) / libmagic is not installed")
def test_wav_identified_by_libmagic(tmp_path) -> None:
    path = tmp_path / "voicemail.wav"
    path.write_bytes(generated.voicemail_wav(VOICEMAIL_TEXT, seconds=2.0))
    out = subprocess.run(["file", "-b", str(path)], capture_output=True, text=True, check=True)
    assert "WAVE audio" in out.stdout and "16 bit, mono 8000 Hz" in out.stdout
