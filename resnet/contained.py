"""FFmpeg kept at arm's length: a clip is decoded, and its overlay encoded, in worker processes.

FFmpeg's decoders are C code parsing hostile input. In the server's process a decoder crash would
end every visitor's page, and a hang would hold the one video slot. Here each read of a clip
(its probe and frames, or one frame found again) and each overlay video runs in a worker
process (``python -m resnet.contained``: PyAV, numpy and Pillow, no torch, no Gradio; about
0.2 s to start) under limits: address space, CPU time, a wall-clock timeout between messages,
and no network where the system lets a process drop it. A worker that dies (a
segfault, the memory limit) or goes silent ends that clip with a ``VideoError`` ("crashed",
"stalled"); the server and every other page go on.

``ContainedReader`` and ``ContainedWriter`` have the interface of ``clipfile.VideoReader`` and
``clipfile.OverlayWriter``.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import resource
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from multiprocessing.connection import Connection
from pathlib import Path

import numpy as np
from PIL import Image

from .clipfile import Frame, Limits, OverlayWriter, VideoError, VideoInfo, VideoReader

MEMORY_BYTES = 3 * 2**30  # a worker's address space (a 4K frame and FFmpeg's buffers fit many times)
CPU_SECONDS = 300  # a worker's CPU time
STALL_S = 30.0  # a worker that sends nothing for this long is stopped
TEST_FAULT: str | None = None  # tests only: "segv:N" or "stall:N", the reading worker's fault after N frames
ROOT = Path(__file__).resolve().parent.parent  # where the worker finds the resnet package
_CLONE_NEWNET = 0x40000000


def _limit_worker() -> None:
    """In the worker: cap memory and CPU time, and leave the network where the system allows it."""
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS))
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.unshare(_CLONE_NEWNET)  # an empty network namespace; refused without the privilege


def _fault(fault: str | None, frames: int) -> None:
    if fault and frames == int(fault.split(":")[1]):
        if fault.startswith("segv"):
            os.kill(os.getpid(), signal.SIGSEGV)
        threading.Event().wait()  # "stall": never answer again


def _serve_reads(requests: Connection, answers: Connection, path: str, limits: Limits, fault: str | None) -> None:
    """Open the clip, answer ("info", VideoInfo), then serve ("frames", fps) with ("frame", Frame)...
    ("end", stopped), and ("frame_at", pts, index) with ("image", array); a VideoError is ("error", code, params)."""
    try:
        reader = VideoReader(path, limits)
        answers.send(("info", reader.info))
        while (request := requests.recv())[0] != "quit":
            if request[0] == "frames":
                for count, frame in enumerate(reader.frames(request[1])):
                    _fault(fault, count)
                    answers.send(("frame", frame))
                answers.send(("end", reader.stopped))
            else:
                answers.send(("image", reader.frame_at(*request[1:])))
    except VideoError as err:
        answers.send(("error", err.code, err.params))


def _serve_writes(requests: Connection, answers: Connection, path: str, fps: float) -> None:
    """Encode the pictures received (H, W, 3 uint8) until None, then answer ("done", frames)."""
    with OverlayWriter(path, fps) as writer:
        while (picture := requests.recv()) is not None:
            writer.write(Image.fromarray(picture))
    answers.send(("done", writer.frames))


def worker_main() -> None:
    """``python -m resnet.contained``: one worker. Requests come on stdin, answers go on stdout
    (anything else the process prints goes to stderr)."""
    _limit_worker()
    answers = Connection(os.dup(1), readable=False)
    os.dup2(2, 1)  # stray prints can no longer corrupt the answers
    requests = Connection(0, writable=False)
    try:
        job = requests.recv()
        if job[0] == "read":
            _serve_reads(requests, answers, *job[1:])
        else:
            _serve_writes(requests, answers, *job[1:])
    except EOFError:  # the server closed its end: nothing more to do
        pass


def _launch() -> tuple[subprocess.Popen, Connection, Connection]:
    """A new worker process, waiting for its job: (process, requests, answers)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    process = subprocess.Popen(
        [sys.executable, "-m", "resnet.contained"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env
    )
    requests = Connection(os.dup(process.stdin.fileno()), readable=False)
    answers = Connection(os.dup(process.stdout.fileno()), writable=False)
    process.stdin.close()
    process.stdout.close()
    return process, requests, answers


_spare_lock = threading.Lock()
_spare: tuple | None = None  # a worker started ahead, so a clip does not wait for Python to start


def _take_worker() -> tuple[subprocess.Popen, Connection, Connection]:
    """The spare worker if one is waiting (and start the next spare), else a new one."""
    global _spare
    with _spare_lock:
        taken, _spare = _spare, None
        if taken is not None and taken[0].poll() is not None:  # it died while waiting
            taken = None
        _spare = _launch()
    return taken or _launch()


class _Worker:
    """One worker process and its pipes; ``receive`` turns a death or silence into a VideoError."""

    def __init__(self, job: tuple, stall_s: float = STALL_S):
        self.process, self.requests, self.answers = _take_worker()
        self.stall_s = stall_s
        self.send(job)

    def receive(self):
        if not self.answers.poll(self.stall_s):
            self.stop()
            raise VideoError("stalled", seconds=self.stall_s)
        try:
            return self.answers.recv()
        except (EOFError, OSError):
            code = self.process.wait(timeout=5)
            why = f"signal {signal.Signals(-code).name}" if code < 0 else f"exit code {code}"
            raise VideoError("crashed", detail=why) from None

    def send(self, value) -> None:
        try:
            self.requests.send(value)
        except (BrokenPipeError, OSError):
            self.receive()  # the worker is gone: say why
            raise VideoError("crashed", detail="the worker stopped") from None

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self.requests.close()
        if self.process.poll() is None:
            try:
                self.process.wait(timeout=1)  # it leaves once its requests are closed
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self.answers.close()


class ContainedReader:
    """``VideoReader``'s interface, with every decoding in a limited worker process."""

    def __init__(self, path: str | os.PathLike, limits: Limits = Limits(), stall_s: float = STALL_S):  # noqa: B008
        self.path, self.limits, self.stall_s = Path(path), limits, stall_s
        self.stopped: str | None = None
        self.path.stat()  # a missing file is an OSError here, as for VideoReader
        self._ready: _Worker | None = self._start()  # probed; kept for the first read
        self.info: VideoInfo = self._opened(self._ready)

    def _start(self) -> _Worker:
        return _Worker(("read", str(self.path), self.limits, TEST_FAULT), stall_s=self.stall_s)

    def _take(self) -> _Worker:
        """The worker that probed the clip, or a new one that has opened it again."""
        worker, self._ready = self._ready, None
        if worker is None:
            worker = self._start()
            self._opened(worker)
        return worker

    @staticmethod
    def _opened(worker: _Worker) -> VideoInfo:
        try:
            return _answer(worker.receive())
        except VideoError:
            worker.stop()
            raise

    def frames(self, fps: float | None = None) -> Iterator[Frame]:
        """The sampled frames (see ``VideoReader.frames``), decoded in a worker."""
        self.stopped = None
        worker = self._take()
        try:
            worker.send(("frames", fps))
            while (message := worker.receive())[0] == "frame":
                yield message[1]
            self.stopped = _answer(message)
        finally:
            worker.stop()

    def frame_at(self, pts: int | None, index: int) -> np.ndarray:
        """One frame found again (see ``VideoReader.frame_at``), decoded in a worker."""
        worker = self._take()
        try:
            worker.send(("frame_at", pts, index))
            return _answer(worker.receive())
        finally:
            worker.stop()

    def expected_frames(self, fps: float | None) -> int | None:
        return VideoReader.expected_frames(self, fps)

    def close(self) -> None:
        """Let an unused worker go (a reader whose frames were never read)."""
        if self._ready is not None:
            self._ready.stop()
            self._ready = None

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self.close()


def _answer(message):
    """A worker's answer, or its VideoError raised here."""
    if message[0] == "error":
        raise VideoError(message[1], **message[2])
    return message[1]


class ContainedWriter:
    """``OverlayWriter``'s interface, with the encoding in a limited worker process."""

    def __init__(self, path: str | os.PathLike, fps: float, stall_s: float = STALL_S):
        self._worker = _Worker(("write", str(path), fps), stall_s=stall_s)
        self.frames = 0

    def write(self, picture: Image.Image) -> None:
        self._worker.send(np.asarray(picture.convert("RGB")))
        self.frames += 1

    def close(self) -> None:
        try:
            self._worker.send(None)
            message = self._worker.receive()
            self.frames = message[1]
        finally:
            self._worker.stop()

    def __enter__(self) -> ContainedWriter:
        return self

    def __exit__(self, *exc) -> None:
        if exc[0] is None:
            self.close()
        else:
            self._worker.stop()


if __name__ == "__main__":
    worker_main()
