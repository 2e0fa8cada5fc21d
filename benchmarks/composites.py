"""Composite phones for the positive set: there is no licensed real footage of a teller with a
phone here, so a drawn phone is put into the hands of real people in the real clips.

A phone is a dark rounded slab with a lit screen (a gradient and a few app-like blocks), seen
at an angle, with fingers over one edge (the hand-occlusion edge), blurred and noised to the
softness of the clip. These are composites and are reported as such (docs/accuracy.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

SKIN_BGR = ((90, 120, 180), (70, 100, 150), (120, 150, 200), (60, 80, 120))


@dataclass(frozen=True)
class PlacedPhone:
    xyxy: tuple[float, float, float, float]  # the phone's box in frame pixels
    length: int  # the long side before rotation, pixels


def draw_phone(
    length: int, angle: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """A BGR patch and its alpha (float 0..1) of a phone `length` px long, rotated `angle`°."""
    s = 4  # draw large, then shrink: smooth edges at 30 px
    L, W = length * s, int(round(length * rng.uniform(0.46, 0.52))) * s
    body = np.zeros((L, W, 3), np.uint8)
    alpha = np.zeros((L, W), np.uint8)
    r = int(0.14 * W)
    shade = tuple(int(v) for v in rng.integers(15, 45, 3))
    for img, colour in ((body, shade), (alpha, 255)):
        cv2.rectangle(img, (r, 0), (W - r - 1, L - 1), colour, -1)
        cv2.rectangle(img, (0, r), (W - 1, L - r - 1), colour, -1)
        for cx, cy in ((r, r), (W - r - 1, r), (r, L - r - 1), (W - r - 1, L - r - 1)):
            cv2.circle(img, (cx, cy), r, colour, -1, cv2.LINE_AA)
    bx, by = int(0.06 * W), int(0.07 * L)
    screen = body[by : L - by, bx : W - bx]
    top, bottom = rng.uniform(150, 255, 3), rng.uniform(120, 240, 3)
    ramp = np.linspace(0, 1, screen.shape[0])[:, None, None]
    screen[:] = (top * (1 - ramp) + bottom * ramp).astype(np.uint8)
    for _ in range(rng.integers(2, 6)):  # app tiles, a picture, a text block
        h, w = screen.shape[:2]
        x1, y1 = int(rng.uniform(0.05, 0.6) * w), int(rng.uniform(0.05, 0.85) * h)
        x2, y2 = x1 + int(rng.uniform(0.15, 0.4) * w), y1 + int(rng.uniform(0.05, 0.15) * h)
        cv2.rectangle(
            screen, (x1, y1), (x2, y2), tuple(int(v) for v in rng.integers(0, 255, 3)), -1
        )
    # Fingers over a long edge and the thumb across the lower part: the hand-occlusion edge.
    skin = SKIN_BGR[rng.integers(len(SKIN_BGR))]
    side = 0 if rng.random() < 0.5 else W
    for k in range(3):
        cy = int(L * (0.45 + 0.14 * k))
        cv2.ellipse(body, (side, cy), (int(0.16 * W), int(0.06 * L)), 0, 0, 360, skin, -1)
        cv2.ellipse(alpha, (side, cy), (int(0.16 * W), int(0.06 * L)), 0, 0, 360, 255, -1)
    thumb = (W - side, int(L * rng.uniform(0.55, 0.8)))
    cv2.ellipse(body, thumb, (int(0.35 * W), int(0.07 * L)), 20, 0, 360, skin, -1)
    cv2.ellipse(alpha, thumb, (int(0.35 * W), int(0.07 * L)), 20, 0, 360, 255, -1)

    # Rotate on a square canvas big enough for any angle, then shrink.
    d = int(np.hypot(L, W)) + 2
    canvas = np.zeros((d, d, 3), np.uint8)
    mask = np.zeros((d, d), np.uint8)
    ox, oy = (d - W) // 2, (d - L) // 2
    canvas[oy : oy + L, ox : ox + W] = body
    mask[oy : oy + L, ox : ox + W] = alpha
    m = cv2.getRotationMatrix2D((d / 2, d / 2), angle, 1.0)
    canvas = cv2.warpAffine(canvas, m, (d, d), flags=cv2.INTER_LINEAR)
    mask = cv2.warpAffine(mask, m, (d, d), flags=cv2.INTER_LINEAR)
    ys, xs = np.nonzero(mask > 8)
    canvas = canvas[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    mask = mask[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    size = (max(1, canvas.shape[1] // s), max(1, canvas.shape[0] // s))
    canvas = cv2.resize(canvas, size, interpolation=cv2.INTER_AREA)
    mask = cv2.resize(mask, size, interpolation=cv2.INTER_AREA)
    return canvas, mask.astype(np.float32) / 255.0


def composite(
    frame: np.ndarray,
    centre: tuple[float, float],
    length: int,
    angle: float,
    rng: np.random.Generator,
) -> tuple[np.ndarray, PlacedPhone | None]:
    """The frame with a phone centred at `centre`; None where it would leave the frame."""
    patch, alpha = draw_phone(length, angle, rng)
    blur = rng.uniform(0.4, 1.0)  # the clip's own softness (compression, focus)
    patch = cv2.GaussianBlur(patch, (0, 0), blur)
    alpha = cv2.GaussianBlur(alpha, (0, 0), blur)[..., None]
    h, w = patch.shape[:2]
    x1, y1 = int(round(centre[0] - w / 2)), int(round(centre[1] - h / 2))
    if x1 < 0 or y1 < 0 or x1 + w > frame.shape[1] or y1 + h > frame.shape[0]:
        return frame, None
    out = frame.copy()
    roi = out[y1 : y1 + h, x1 : x1 + w].astype(np.float32)
    noise = rng.normal(0, 3, patch.shape)
    out[y1 : y1 + h, x1 : x1 + w] = np.clip(
        roi * (1 - alpha) + (patch + noise) * alpha, 0, 255
    ).astype(np.uint8)
    return out, PlacedPhone((x1, y1, x1 + w, y1 + h), length)
