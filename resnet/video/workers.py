"""FFmpeg kept at arm's length: a clip is decoded, and its overlay encoded, in worker processes.

FFmpeg's decoders are C code parsing hostile input. In the server's process a decoder crash would
end every visitor's page, and a hang would hold the one video slot. Here each read of a clip
(its probe and frames, or one frame found again) and each overlay video runs in a worker
process (``python -m resnet.video.workers``: PyAV, numpy and Pillow, no torch, no Gradio; about
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
import fcntl
import io
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

from resnet.video.decoding import Frame, Limits, OverlayWriter, VideoError, VideoInfo, VideoReader

MEMORY_BYTES = 3 * 2**30  # a worker's address space (a 4K frame and FFmpeg's buffers fit many times)
CPU_SECONDS = 300  # a worker's CPU time
NICENESS = 10  # workers yield the cores to the model's threads, which stall when one is taken
PIPE_BYTES = 4 * 2**20  # what a pipe to a worker may hold, where the system allows it (Linux)
STALL_S = 30.0  # a worker that sends nothing for this long is stopped
TEST_FAULT: str | None = None  # tests only: "segv:N" or "stall:N", the reading worker's fault after N frames
ROOT = Path(__file__).resolve().parent.parent  # where the worker finds the resnet package
_CLONE_NEWNET = 0x40000000


def _limit_worker() -> None:
    """In the worker: cap memory and CPU time, and leave the network where the system allows it."""
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS))
    os.nice(NICENESS)
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.unshare(_CLONE_NEWNET)  # an empty network namespace; refused without the privilege


def _fault(fault: str | None, frames: int) -> None:
    if fault and frames == int(fault.split(":")[1]):
        if fault.startswith("segv"):
            os.kill(os.getpid(), signal.SIGSEGV)
        threading.Event().wait()  # "stall": never answer again


def _serve_reads(requests: Connection, answers: Connection, path: str, limits: Limits, fault: str | None) -> None:
    """Open the clip, answer ("info", VideoInfo), then serve ("frames", fps) with ("frame", index,
    time_s, pts, shape) and the pixels as raw bytes for each frame, then ("end", stopped); and
    ("frame_at", pts, index) with ("image", array). A VideoError is ("error", code, params)."""
    try:
        reader = VideoReader(path, limits)
        answers.send(("info", reader.info))
        while (request := requests.recv())[0] != "quit":
            if request[0] == "frames":
                for count, frame in enumerate(reader.frames(request[1])):
                    _fault(fault, count)
                    answers.send(("frame", frame.index, frame.time_s, frame.pts, frame.image.shape))
                    _send_pixels(answers, frame.image)
                answers.send(("end", reader.stopped))
            else:
                answers.send(("image", reader.frame_at(*request[1:])))
    except VideoError as err:
        answers.send(("error", err.code, err.params))


def _serve_writes(requests: Connection, answers: Connection, path: str, fps: float) -> None:
    """Encode the pictures received (a shape, then H×W×3 uint8 bytes) until None, then answer
    ("done", frames)."""
    with OverlayWriter(path, fps) as writer:
        while (shape := requests.recv()) is not None:
            writer.write(Image.fromarray(_receive_pixels(requests, shape)))
    answers.send(("done", writer.frames))


def _send_pixels(connection: Connection, image: np.ndarray) -> None:
    """An image's bytes as they lie in memory: no pickling, no copy on this side."""
    connection.send_bytes(np.ascontiguousarray(image).reshape(-1))


def _receive_pixels(connection: Connection, shape: tuple[int, ...]) -> np.ndarray:
    """The image ``_send_pixels`` sent, read straight into its own (writable) buffer."""
    pixels = bytearray(int(np.prod(shape)))
    connection.recv_bytes_into(pixels)
    return np.frombuffer(pixels, np.uint8).reshape(shape)


def _warm_up() -> None:
    """Encode and decode a tiny H.264 clip in memory: a fresh process's first frames cost 5-15 ms
    each (FFmpeg's and PyAV's first calls); a spare worker pays that while it waits for a job."""
    import av

    with contextlib.suppress(Exception):  # only a head start: a worker works without it
        clip = io.BytesIO()
        with av.open(clip, "w", format="mp4") as container:
            stream = container.add_stream("h264", rate=10, options={"preset": "ultrafast"})
            stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
            for value in range(3):
                picture = np.full((48, 64, 3), value * 80, np.uint8)
                container.mux(stream.encode(av.VideoFrame.from_ndarray(picture, format="rgb24")))
            container.mux(stream.encode())
        clip.seek(0)
        with av.open(clip) as container:
            for frame in container.decode(video=0):
                frame.to_ndarray(format="rgb24")


def worker_main() -> None:
    """``python -m resnet.video.workers``: one worker. Requests come on stdin, answers go on stdout
    (anything else the process prints goes to stderr)."""
    _limit_worker()
    answers = Connection(os.dup(1), readable=False)
    os.dup2(2, 1)  # stray prints can no longer corrupt the answers
    requests = Connection(0, writable=False)
    _warm_up()
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
        [sys.executable, "-m", "resnet.video.workers"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env
    )
    for pipe in (process.stdin, process.stdout):
        _widen(pipe.fileno())
    requests = Connection(os.dup(process.stdin.fileno()), readable=False)
    answers = Connection(os.dup(process.stdout.fileno()), writable=False)
    process.stdin.close()
    process.stdout.close()
    return process, requests, answers


def _widen(pipe: int) -> None:
    """Let a pipe hold a whole decoded frame (640×480 RGB is 0.9 MB; Linux's default is 64 KB), so
    a frame crosses in one write instead of waking the reader 15 times (2.5 ms a frame)."""
    with contextlib.suppress(OSError, AttributeError, ValueError):
        limit = int(Path("/proc/sys/fs/pipe-max-size").read_text())
        fcntl.fcntl(pipe, fcntl.F_SETPIPE_SZ, min(limit, PIPE_BYTES))


SPARES = 2  # workers started ahead (a clip's reader and its overlay's writer), so no clip waits for Python
_spares_lock = threading.Lock()
_spares: list[tuple] = []


def _take_worker() -> tuple[subprocess.Popen, Connection, Connection]:
    """A spare worker if one is waiting (and start the next spares), else a new one."""
    with _spares_lock:
        _spares[:] = [spare for spare in _spares if spare[0].poll() is None]  # drop any that died waiting
        taken = _spares.pop(0) if _spares else None
        while len(_spares) < SPARES - (taken is None):
            _spares.append(_launch())
    return taken or _launch()


class _Worker:
    """One worker process and its pipes; ``receive`` turns a death or silence into a VideoError."""

    def __init__(self, job: tuple, stall_s: float = STALL_S):
        self.process, self.requests, self.answers = _take_worker()
        self.stall_s = stall_s
        self.send(job)

    def receive(self, shape: tuple[int, ...] | None = None):
        """The next answer; with ``shape``, the raw pixels of an image of that shape."""
        if not self.answers.poll(self.stall_s):
            self.stop()
            raise VideoError("stalled", seconds=self.stall_s)
        try:
            return self.answers.recv() if shape is None else _receive_pixels(self.answers, shape)
        except (EOFError, OSError):
            code = self.process.wait(timeout=5)
            why = f"signal {signal.Signals(-code).name}" if code < 0 else f"exit code {code}"
            raise VideoError("crashed", detail=why) from None

    def send(self, value, pixels: np.ndarray | None = None) -> None:
        """A request, followed by an image's raw pixels when given."""
        try:
            self.requests.send(value)
            if pixels is not None:
                _send_pixels(self.requests, pixels)
        except (BrokenPipeError, OSError):
            self.receive()  # the worker is gone: say why
            raise VideoError("crashed", detail="the worker stopped") from None

    def stop(self) -> None:
        """Close the pipes; the worker leaves on its own (it is reaped, or killed after a
        second, off the caller's path: a clean exit takes 30-60 ms)."""
        with contextlib.suppress(OSError):
            self.requests.close()
        self.answers.close()
        if self.process.poll() is None:
            threading.Thread(target=_reap, args=(self.process,), name="reap-video-worker", daemon=True).start()


def _reap(process: subprocess.Popen) -> None:
    try:
        process.wait(timeout=1)  # it leaves once its requests are closed
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


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
                _, index, time_s, pts, shape = message
                yield Frame(index, time_s, pts, worker.receive(shape))
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
        pixels = np.asarray(picture.convert("RGB"))
        self._worker.send(pixels.shape, pixels)
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
