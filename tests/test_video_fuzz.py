"""Every broken clip is a VideoError: property-based fuzzing over mutated real clips.

Real clips of the four containers the page takes (H.264/MP4, VP9/WebM, H.264/MOV, MPEG-4/AVI)
get bit flips, junk runs, truncations, duplicated chunks and another container's header; each
must read as a clip (frames, or frames up to the damage with a note) or fail with a
``VideoError`` whose message says what to do. Nothing else may escape, and nothing may hang.
"""

from __future__ import annotations

import time
import warnings

import pytest
from clips import write_clip
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from resnet.video.frames import VIDEO_ERRORS, VideoError, VideoReader

CONTAINERS = {"mp4": "libx264", "webm": "libvpx-vp9", "mov": "libx264", "avi": "mpeg4"}
EXAMPLES = 2000  # about 15 s on 2 cores: each clip is 4 frames of 64×48
SLOW_S = 10.0  # no single clip may take longer (a hang fails the test)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzzed")


@pytest.fixture(scope="module")
def originals(folder) -> dict[str, bytes]:
    return {
        suffix: write_clip(folder / f"original.{suffix}", codec=codec, size=(64, 48), seconds=0.5, fps=8).read_bytes()
        for suffix, codec in CONTAINERS.items()
    }


def check_outcome(folder, data: bytes, suffix: str) -> str:
    """Read the clip as the page does; return "ok" or the VideoError's code. Anything else fails."""
    path = folder / f"fuzzed.{suffix}"
    path.write_bytes(data)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            frames, error = list(VideoReader(path).frames(fps=5)), None
        except VideoError as err:
            frames, error = [], err
    outcome = "ok" if error is None else error.code
    if error is not None:
        assert error.code in VIDEO_ERRORS and str(error).endswith(".") and str(folder) not in str(error)
    if outcome == "ok":
        assert all(frame.image.ndim == 3 and frame.image.shape[2] == 3 for frame in frames)
    assert time.perf_counter() - start < SLOW_S
    return outcome


def mutate(data: bytes, other: bytes, kind: str, position: float, value: int, length: int) -> bytes:
    at = int(position * len(data))
    if kind == "flip":  # one bit
        mutated = bytearray(data)
        mutated[min(at, len(data) - 1)] ^= 1 << (value % 8)
        return bytes(mutated)
    if kind == "run":  # a run of one byte value
        return data[:at] + bytes([value]) * length * 8 + data[at + length * 8 :]
    if kind == "truncate":
        return data[:at]
    if kind == "duplicate":  # a chunk written twice
        return data[: at + length * 16] + data[at : at + length * 16] + data[at + length * 16 :]
    return other[: length * 4] + data[length * 4 :]  # "header": another container's first bytes


@pytest.mark.slow
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    suffix=st.sampled_from(list(CONTAINERS)),
    other=st.sampled_from(list(CONTAINERS)),
    kind=st.sampled_from(["flip", "flip", "run", "truncate", "duplicate", "header"]),
    position=st.floats(0, 1, exclude_max=True),
    value=st.integers(0, 255),
    length=st.integers(1, 64),
)
def test_any_mutation_is_a_clip_or_a_video_error(folder, originals, suffix, other, kind, position, value, length):
    check_outcome(folder, mutate(originals[suffix], originals[other], kind, position, value, length), suffix)
