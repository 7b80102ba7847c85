"""Images as decorrelated Fourier spectra (Lucid's parameterization, Olah et al. 2017).

An image is the inverse real FFT of a spectrum scaled by 1/frequency (so low frequencies move
first and the image stays smooth), in a decorrelated colour space mapped back to RGB by the
square root of ImageNet's colour covariance, through a sigmoid into [0, 1]. ``spectrum_of`` is
the exact inverse of ``image_of`` for any image strictly inside (0, 1).
"""

from __future__ import annotations

import torch

# The square root of ImageNet's RGB covariance (Lucid's), its columns scaled to at most unit norm.
COLOR_SQRT = torch.tensor([[0.26, 0.09, 0.02], [0.27, 0.00, -0.05], [0.27, -0.09, 0.03]])
COLOR = COLOR_SQRT / COLOR_SQRT.norm(dim=0).max()
MAGIC = 4.0  # Lucid's spectrum scale: larger is less saturated
DECAY = 1.0  # the spectrum's 1/f^DECAY scaling


def frequencies(size: int) -> torch.Tensor:
    """|f| of the real FFT's bins for a size×size image: (size, size // 2 + 1)."""
    fy = torch.fft.fftfreq(size)[:, None]
    fx = torch.fft.rfftfreq(size)[None, :]
    return torch.sqrt(fx * fx + fy * fy)


def spectrum_scale(size: int) -> torch.Tensor:
    """1 / max(|f|, 1/size)^DECAY per bin: (size, size // 2 + 1)."""
    return 1.0 / frequencies(size).clamp(min=1.0 / size) ** DECAY


def random_spectrum(batch: int, size: int, generator: torch.Generator, sd: float = 0.01) -> torch.Tensor:
    """A small random start: (B, 3, size, size // 2 + 1, 2), real and imaginary parts."""
    return torch.randn(batch, 3, size, size // 2 + 1, 2, generator=generator) * sd


def image_of(spectrum: torch.Tensor) -> torch.Tensor:
    """(B, 3, H, H//2+1, 2) spectrum -> (B, 3, H, H) RGB in (0, 1)."""
    size = spectrum.shape[2]
    scaled = torch.view_as_complex(spectrum.contiguous()) * spectrum_scale(size).to(spectrum.device)
    decorrelated = torch.fft.irfft2(scaled, s=(size, size), norm="ortho") / MAGIC  # (B, 3, H, H)
    rgb = torch.einsum("ij,bjhw->bihw", COLOR.to(spectrum.device), decorrelated)
    return torch.sigmoid(rgb)


def spectrum_of(image: torch.Tensor) -> torch.Tensor:
    """The inverse of ``image_of``: (B, 3, H, H) RGB strictly inside (0, 1) -> its spectrum."""
    size = image.shape[-1]
    rgb = torch.logit(image.double())
    decorrelated = torch.einsum("ij,bjhw->bihw", torch.linalg.inv(COLOR.double()), rgb) * MAGIC
    scaled = torch.fft.rfft2(decorrelated, norm="ortho") / spectrum_scale(size).double()
    return torch.view_as_real(scaled).to(image.dtype)
