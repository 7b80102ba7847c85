"""Writes ``sample_clip.mp4``: the Video tab's one-click example (run from the repository root).

Four seconds at 10 frames per second, 320×240: a slow pan over the cat, then over the coffee
cup, so the timeline shows the model's answer change. Made from two CC0 example photos.
"""

from pathlib import Path

import av
import numpy as np
from PIL import Image

HERE = Path(__file__).resolve().parent
SIZE, FPS, SECONDS_PER_PHOTO = (320, 240), 10, 2.0


def pan(photo: Image.Image, steps: int) -> list[np.ndarray]:
    """``steps`` frames of a window sliding left to right over ``photo``, at the clip's size."""
    scale = SIZE[1] / photo.height * 1.25  # the window sees 80% of the photo's height
    big = photo.resize((round(photo.width * scale), round(photo.height * scale)))
    room = big.width - SIZE[0]
    top = (big.height - SIZE[1]) // 2
    lefts = np.linspace(0, room, steps).round().astype(int)
    return [np.asarray(big.crop((x, top, x + SIZE[0], top + SIZE[1]))) for x in lefts]


def main() -> None:
    steps = round(SECONDS_PER_PHOTO * FPS)
    frames = [f for name in ("chelsea.jpg", "coffee.jpg") for f in pan(Image.open(HERE / name).convert("RGB"), steps)]
    with av.open(str(HERE / "sample_clip.mp4"), "w") as container:
        stream = container.add_stream("libx264", rate=FPS, options={"crf": "26"})
        stream.width, stream.height, stream.pix_fmt = *SIZE, "yuv420p"
        for frame in frames:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        container.mux(stream.encode())


if __name__ == "__main__":
    main()
