"""`branch-audit detect`: real output on real footage, and bad input as clear errors."""

import json

import cv2
import numpy as np
import pytest

from cli import main as cli
from tests.conftest import DATA, footage_file

LABELS = json.loads((DATA / "detector_labels.json").read_text())["vtest.avi"]


def run(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_video_json_lines_match_the_people_seen(capsys):
    code, out, _ = run(capsys, "detect", str(footage_file("vtest.avi")), "--fps", "1", "--json")
    assert code == 0
    lines = [json.loads(line) for line in out.splitlines()]
    assert [line["t"] for line in lines[:3]] == [0.0, 1.0, 2.0]
    assert len(lines) == 80  # 79.5 s at one frame per second
    by_t = {round(line["t"]): line["detections"] for line in lines}
    for t, label in LABELS.items():
        boxes = [d["xyxy"] for d in by_t[int(t)] if d["cls"] == "person"]
        for x, y in label["persons"]:
            assert any(b[0] <= x <= b[2] and b[1] <= y <= b[3] for b in boxes), (t, x, y)


def test_image_summary(capsys, tmp_path):
    cap = cv2.VideoCapture(str(footage_file("one-by-one-person-detection.mp4")))
    cap.set(cv2.CAP_PROP_POS_MSEC, 10_000)
    ok, frame = cap.read()
    assert ok
    cv2.imwrite(str(tmp_path / "post.png"), frame)
    code, out, err = run(capsys, "detect", str(tmp_path / "post.png"))
    assert code == 0 and "1 person" in out and "nanodet-m-416-coco@" in err


GOOD_IMAGE = "image.png"


@pytest.mark.parametrize(
    ("files", "argv", "message"),
    [
        ({}, ["missing.mp4"], "no such file"),
        ({"notes.mp4": b"plain text, not a video"}, ["notes.mp4"], "not a readable video"),
        ({"broken.png": b"\x89PNG but broken"}, ["broken.png"], "not a readable image"),
        ({"model.onnx": b"junk"}, [GOOD_IMAGE, "--weights", "model.onnx"], "not a valid ONNX"),
        ({}, [GOOD_IMAGE, "--weights", "none.onnx"], "weights file not found"),
        ({}, [GOOD_IMAGE, "--backend", "yolo"], "needs --weights"),
        ({}, [GOOD_IMAGE, "--fps", "0"], "--fps must be in (0, 30]"),
    ],
    ids=[
        "missing",
        "not-video",
        "bad-image",
        "weights-not-model",
        "no-weights",
        "yolo-bare",
        "fps",
    ],
)
def test_bad_input_is_one_clear_line_and_exit_2(capsys, tmp_path, files, argv, message):
    cv2.imwrite(str(tmp_path / GOOD_IMAGE), np.full((64, 64, 3), 128, np.uint8))
    for name, content in files.items():
        (tmp_path / name).write_bytes(content)
    argv = [str(tmp_path / a) if a.endswith((".png", ".mp4", ".onnx")) else a for a in argv]
    code, out, err = run(capsys, "detect", *argv)
    assert code == 2, err
    assert message in err and "Traceback" not in err and out == ""


def test_unknown_backend_is_refused_by_the_parser(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["detect", "x.png", "--backend", "tensorflow"])
    assert exit_info.value.code == 2
    assert "invalid choice: 'tensorflow'" in capsys.readouterr().err
