"""Voicemail audio: speech-like "babble" as a RIFF/WAVE file.

Built with :mod:`wave`/:mod:`array`/:mod:`math` only; fast enough to run while
the demo database is seeded (about 10-20 ms per second of 8 kHz audio in
CPython).  Output is deterministic per argument set.
"""

from __future__ import annotations

import cmath
import hashlib
import io
import math
import random
import re
import sys
import wave
from array import array

__all__ = ["voicemail_wav", "wav_duration_seconds"]


def _seed(*parts: str) -> int:
    """Return a stable 64-bit seed for ``parts`` (``hash()`` is salted per process)."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).digest()
    return int.from_bytes(digest[:8], "big")


#: Rough formant frequencies (F1, F2, F3 in Hz) of a few vowels, adult speaker.
_VOWEL_FORMANTS: dict[str, tuple[float, float, float]] = {
    "a": (730.0, 1090.0, 2440.0),
    "e": (530.0, 1840.0, 2480.0),
    "i": (300.0, 2250.0, 2950.0),
    "o": (570.0, 840.0, 2410.0),
    "u": (320.0, 900.0, 2240.0),
    "y": (400.0, 1900.0, 2600.0),
    "@": (500.0, 1500.0, 2500.0),  # schwa
}
_FORMANT_BANDWIDTHS = (80.0, 100.0, 140.0)
_VOWELS = "aeiouy"
_FRICATIVES = frozenset("sfvzhcjxw")
_PLOSIVES = frozenset("ptkbdgq")
_TABLE_SIZE = 128  # samples per stored pitch period


def _period_table(
    formants: tuple[float, float, float], f0_max: float, sample_rate: int
) -> list[float]:
    """One pitch period of a sawtooth source filtered by three formant resonators.

    The steady-state output of a resonator cascade driven by a periodic source is
    again periodic, so it is computed once per syllable in the frequency domain
    (harmonic ``k`` of a sawtooth has amplitude ``1/k``; each resonator multiplies
    it by ``F^2 / (F^2 - f^2 + j f B)``) and then replayed with a phase
    accumulator, which lets the pitch glide without re-running the filters.
    Harmonics are kept below 0.45 * sample rate at the highest pitch used, so the
    replayed table does not alias.  Returns ``_TABLE_SIZE + 1`` floats (the first
    sample repeated at the end for interpolation), peak-normalised to 1.
    """
    n = _TABLE_SIZE
    limit = min(0.45 * sample_rate, 3800.0)
    harmonics = max(1, min(n // 2 - 1, int(limit // f0_max)))
    f0 = f0_max  # the shape (not the absolute pitch) is what is stored
    coeffs: list[complex] = []
    for k in range(1, harmonics + 1):
        f = k * f0
        h: complex = 1.0 / k
        for centre, bandwidth in zip(formants, _FORMANT_BANDWIDTHS, strict=True):
            h *= centre * centre / complex(centre * centre - f * f, f * bandwidth)
        coeffs.append(h)
    # Sum the harmonics (sines with the filtered amplitude and phase) over one period.
    table = [0.0] * n
    sin = math.sin
    for k, h in enumerate(coeffs, start=1):
        magnitude, angle = abs(h), cmath.phase(h)
        step = 2.0 * math.pi * k / n
        table = [t + magnitude * sin(step * i + angle) for i, t in enumerate(table)]
    peak = max(abs(v) for v in table) or 1.0
    table = [v / peak for v in table]
    table.append(table[0])
    return table


def _syllables(word: str) -> list[str]:
    """Split ``word`` into 1-4 chunks, one per vowel group (roughly syllables)."""
    low = word.lower()
    groups = len(re.findall(r"[aeiouy]+", low))
    count = max(1, min(4, groups, max(1, len(low) // 2)))
    size = len(low) / count
    return [low[round(i * size) : round((i + 1) * size)] or low for i in range(count)]


def _vowel_of(chunk: str) -> str:
    """Return the vowel key used for ``chunk`` (its first vowel, else a seeded one)."""
    for ch in chunk:
        if ch in _VOWELS:
            return ch
    keys = list(_VOWEL_FORMANTS)
    return keys[sum(map(ord, chunk)) % len(keys)]


def voicemail_wav(text: str, seconds: float = 6.0, sample_rate: int = 8000) -> bytes:
    """Synthesise a speech-like voicemail recording for ``text``.

    The audio is "babble" rather than words: each word of ``text`` becomes 1-4
    syllables (3-5 per second) whose vowel formants, pitch glide and stress are
    taken from the word's letters; fricative and plosive onsets get a short noise
    burst; words are separated by short pauses (longer after punctuation) and the
    text is repeated until ``seconds`` are filled.  The speech is faded in/out,
    peak-normalised to about -3 dBFS and framed by 0.3 s of quiet room noise.

    Returns the bytes of a RIFF/WAVE file, PCM 16-bit mono at ``sample_rate`` Hz,
    exactly ``round(seconds * sample_rate)`` frames long.  The same arguments
    always produce the same bytes.
    """
    if not (isinstance(seconds, int | float) and math.isfinite(seconds) and seconds > 0):
        raise ValueError("seconds must be a positive number")
    if not 4000 <= sample_rate <= 48000:
        raise ValueError("sample_rate must be between 4000 and 48000 Hz")

    sr = int(sample_rate)
    total = max(1, round(seconds * sr))
    rng = random.Random(_seed("voicemail", text))
    rnd = rng.random
    lead = min(round(0.3 * sr), total // 4)
    speech_len = total - 2 * lead
    speech = [0.0] * speech_len

    words = text.split() or ["hello"]
    base_f0 = 110.0 + 70.0 * rng.random()  # 110-180 Hz speaker
    table_size = float(_TABLE_SIZE)
    breath = 0.08  # aspiration noise mixed into the voiced source
    sin = math.sin
    phase = 0.0
    pos = 0
    word_index = 0
    while pos < speech_len:
        word = words[word_index % len(words)]
        word_index += 1
        chunks = _syllables(word)
        for s_index, chunk in enumerate(chunks):
            if pos >= speech_len:
                break
            n = round(sr / (3.0 + 2.0 * rnd()))  # 3-5 syllables per second
            n = min(n, speech_len - pos)
            if n < 8:
                pos += n
                continue
            # Declination: pitch falls slightly over each repetition of the text.
            progress = (pos / speech_len) if speech_len else 0.0
            f0_start = base_f0 * (1.08 - 0.16 * progress) * (0.9 + 0.2 * rnd())
            glide = 0.85 + 0.25 * rnd() if s_index < len(chunks) - 1 else 0.8 + 0.1 * rnd()
            f0_end = f0_start * glide
            vowel = _VOWEL_FORMANTS[_vowel_of(chunk)]
            formants = (
                min(vowel[0] * (0.92 + 0.16 * rnd()), 0.4 * sr),
                min(vowel[1] * (0.92 + 0.16 * rnd()), 0.42 * sr),
                min(vowel[2] * (0.95 + 0.1 * rnd()), 0.44 * sr),
            )
            table = _period_table(formants, max(f0_start, f0_end), sr)
            stress = 0.55 + 0.45 * rnd()
            step = f0_start * table_size / sr
            dstep = (f0_end - f0_start) * table_size / sr / n
            w = math.pi / n
            voiced: list[float] = []
            append = voiced.append
            for i in range(n):
                phase += step + dstep * i
                if phase >= table_size:
                    phase -= table_size
                j = int(phase)
                a = table[j]
                sample = a + (table[j + 1] - a) * (phase - j) + breath * rnd() - breath / 2
                append(stress * sin(w * i) * sample)
            speech[pos : pos + n] = voiced
            # Consonant onset: a hiss (fricative) or a click-like burst (plosive).
            onset = chunk[:1]
            if onset in _FRICATIVES or onset in _PLOSIVES:
                fricative = onset in _FRICATIVES
                m = min(n, round(sr * (0.05 + 0.04 * rnd() if fricative else 0.012)))
                level = (0.22 if fricative else 0.35) * stress
                prev = 0.0
                for i in range(m):
                    r = rnd() - 0.5
                    hiss = r - prev if onset in "sczx" else r  # sibilants are brighter
                    prev = r
                    shape = sin(math.pi * i / m) if fricative else 1.0 - i / m
                    speech[pos + i] += level * shape * hiss
            pos += n
        # Pause between words; longer after punctuation.
        pause = 0.35 + 0.15 * rnd() if word[-1] in ".,;:!?" else 0.12 + 0.16 * rnd()
        pos += round(pause * sr)

    # Fade the speech in and out (40 ms) so truncated syllables do not click.
    fade = min(round(0.04 * sr), speech_len // 2)
    for i in range(fade):
        g = i / fade
        speech[i] *= g
        speech[speech_len - 1 - i] *= g

    peak = max((abs(v) for v in speech), default=0.0) or 1.0
    target = 0.70 * 32767.0 / peak  # speech peak ~ -3.1 dBFS; noise adds < 0.1 dB
    noise_amp = 0.0027 * 32767.0  # room noise peaks ~ -48 dBFS (3 draws summed)
    # Low-passed room noise (sum of three consecutive uniform draws) under everything.
    draws = [rnd() for _ in range(total + 2)]
    noise = [
        (a + b + c - 1.5) * noise_amp for a, b, c in zip(draws, draws[1:], draws[2:], strict=False)
    ]
    scaled = [0.0] * lead + [v * target for v in speech] + [0.0] * (total - lead - speech_len)
    mixed = [v + r for v, r in zip(scaled, noise, strict=True)]
    edge = max(1, min(round(0.01 * sr), total // 2))  # 10 ms fade at the file's edges
    for i in range(edge):
        mixed[i] *= i / edge
        mixed[total - 1 - i] *= i / edge
    # int() truncates towards zero: at most 1 LSB of error, far below the noise floor.
    pcm = array("h", map(int, mixed))
    if sys.byteorder == "big":
        pcm.byteswap()

    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(sr)
        wav.writeframes(pcm.tobytes())
    return out.getvalue()


def wav_duration_seconds(data: bytes) -> float:
    """Return the duration in seconds of the RIFF/WAVE file ``data``.

    Raises ``ValueError("not a WAV file")`` when ``data`` is not a readable WAV.
    """
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise ValueError("not a WAV file")
    try:
        with wave.open(io.BytesIO(data), "rb") as wav:
            frames = wav.getnframes()
            rate = wav.getframerate()
    except (wave.Error, EOFError) as exc:
        raise ValueError("not a WAV file") from exc
    if rate <= 0:
        raise ValueError("not a WAV file")
    return frames / rate
